#!/usr/bin/env bash
# xent export gguf checked by llama.cpp: every tinyhf family (random
# weights, the families' published configs shrunk) is exported as an f32
# GGUF file; llama.cpp's llama-perplexity must load it and give the
# perplexity xent eval --window llamacpp gives on the same file, and on
# the Hugging Face directory it was exported from, at context 128, 2
# threads. Prints one line per family:
#
#   family  llama.cpp PPL  xent on the .gguf  xent on the directory  rel. diff (llama.cpp vs xent .gguf)
#
# llama.cpp is built from source beside the project (never committed), as
# bench/llamacpp_eval_run.sh says:
#
#   bench/gguf_export_run.sh /path/to/llama.cpp/build/bin [text] [workdir]
#
# text defaults to the first 20,000 bytes of README.md, workdir to a new
# temporary directory. FAMILIES (space-separated) picks a subset; TYPES
# (default f32) adds f16, bf16 or q8_0 files.
set -euo pipefail
bin=${1:?usage: $0 /path/to/llama.cpp/build/bin [text] [workdir]}
root=$(cd "$(dirname "$0")/.." && pwd)
work=${3:-$(mktemp -d)}
mkdir -p "$work"
text=${2:-$work/text.txt}
[ -n "$text" ] || text=$work/text.txt
[ -f "$text" ] || head -c 20000 "$root/README.md" > "$text"
families=${FAMILIES:-"smollm2-135m llama-3.1-8b llama-3.2-1b mistral-7b-v0.1 qwen2.5-0.5b qwen3-0.6b phi-3-mini-4k gemma-2b gemma-2-2b gemma-3-1b gpt2"}
types=${TYPES:-f32}
(cd "$root" && go build -o "$work/xent" ./cmd/xent)
ppl() { awk '/^perplexity/ {print $2}'; }
i=0
for fam in $families; do
  # The directory's name becomes general.name, on which llama.cpp keys
  # vocabulary quirks ("phi-3" makes it look up Phi-3's special tokens,
  # which tinyhf's GPT-2 vocabulary lacks): number them instead.
  i=$((i + 1))
  dir=$work/model$i
  [ -d "$dir" ] || (cd "$root" && go run ./bench/tinyhf -family "$fam" -out "$dir" > /dev/null)
  for typ in $types; do
    f=$work/model$i-$typ.gguf
    "$work/xent" export gguf --model "$dir" --out "$f" --type "$typ" --force > /dev/null 2>&1
    l=$("$bin/llama-perplexity" -m "$f" -f "$text" -c 128 -t 2 2>&1 | sed -n 's/.*Final estimate: PPL = \([0-9.]*\).*/\1/p' || true)
    x=$("$work/xent" eval --model "$f" --data "$text" --window llamacpp --context 128 2>/dev/null | ppl)
    s=$("$work/xent" eval --model "$dir" --data "$text" --window llamacpp --context 128 2>/dev/null | ppl)
    awk -v f="$fam/$typ" -v l="${l:-failed}" -v x="$x" -v s="$s" 'BEGIN {
      d = (l == "failed") ? "-" : sprintf("%.1e", (l > x ? l - x : x - l) / x)
      printf "%-24s %14s %14s %14s %10s\n", f, l, x, s, d }'
  done
done
