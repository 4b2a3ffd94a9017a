#!/usr/bin/env bash
# Side by side, in one session: llama.cpp's llama-perplexity and xent eval
# --window llamacpp on the same GGUF files, text and context (512), 2
# threads each, for a SmolLM2-135M- and a Qwen2.5-0.5B-shaped model with
# random weights (go run ./bench/tinyhf -full: the published shapes and
# vocabularies) as F32, F16, Q8_0 (xent export gguf) and Q4_K_M
# (llama-quantize from the F16 file); then xent on the bf16 Hugging Face
# directory itself beside llama.cpp on its F32 file. Runs alternate
# (llama.cpp, xent, llama.cpp, ...), RUNS of each.
#
# Reported per file, min / median / max over the runs:
#   llama.cpp pp t/s   llama-perplexity's own "prompt eval" tokens/s (the
#                      forward passes only: its perf counters, which it
#                      prints only with -lv 4)
#   llama.cpp wall     tokens / wall clock of the whole llama-perplexity
#                      command (load, warm-up, tokenizing, scoring)
#   xent wall          tokens / wall clock of the whole xent eval command
#                      (load, tokenizing, scoring)
# where tokens = chunks × 512, the positions each tool runs forward. Both
# commands also print their perplexity, which must agree.
#
# llama.cpp is built from source beside the project (never committed):
#   cmake -B build -DGGML_NATIVE=ON -DLLAMA_CURL=OFF -DGGML_OPENMP=ON -DCMAKE_BUILD_TYPE=Release
#   cmake --build build -j2 --target llama-perplexity llama-quantize
#
#   bench/llamacpp_eval_run.sh /path/to/llama.cpp/build/bin [runs] [chunks] [workdir]
#
# runs defaults to 3, chunks to 4 (2,048 tokens of the Opticks' held-out
# 10%), workdir to a new temporary directory (give one to keep the model
# files between runs: it is reused if it holds them). MODELS and TYPES
# (space-separated) pick a subset: MODELS="smollm2-135m" TYPES="q8_0".
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:?usage: bench/llamacpp_eval_run.sh LLAMA_CPP_BIN [runs] [chunks] [workdir]}
runs=${2:-3}
chunks=${3:-4}
work=${4:-$(mktemp -d /tmp/xent-llamacpp-bench.XXXXXX)}
ctx=512
models=${MODELS:-smollm2-135m qwen2.5-0.5b}
types=${TYPES:-f32 f16 q8_0 q4_k_m}
mkdir -p "$work"

echo "== machine"; grep -m1 'model name' /proc/cpuinfo; nproc
grep -o 'avx512f\|avx512_vnni\|avx512_bf16\|amx_tile' /proc/cpuinfo | sort -u | tr '\n' ' '; echo
go version; date -u; uptime
echo "== llama.cpp: $bin"
"$bin/llama-perplexity" --version 2>&1 | grep -i 'version\|built' || true
echo "xent: $(git rev-parse HEAD)$(git diff --quiet || echo ' (modified)')"

go build -o "$work/xent" ./cmd/xent
go build -o "$work/tinyhf" ./bench/tinyhf
xent=$work/xent

# The text: the Opticks' held-out 10% (data.Split: the last tenth of the
# bytes, moved forward to a character boundary).
python3 - "$work/heldout.txt" <<'EOF'
import sys
t = open("data/corpus/opticks.txt", "rb").read()
cut = len(t) - len(t) // 10
while cut < len(t) and t[cut] & 0xC0 == 0x80:
    cut += 1
open(sys.argv[1], "wb").write(t[cut:])
EOF

# prefix DIR: the shortest prefix of the held-out text, cut at a line end,
# that the model's tokenizer turns into at least chunks×ctx tokens (and
# fewer than (chunks+1)×ctx), so that both tools score exactly $chunks chunks.
prefix() {
	local dir=$1 out=$2 lines n
	for lines in $(seq 10 10 2000); do
		head -n "$lines" "$work/heldout.txt" | head -c -1 >"$out"
		n=$("$xent" tokenize --tokenizer "$dir" --count <"$out")
		if ((n >= chunks * ctx)); then
			if ((n >= (chunks + 1) * ctx)); then
				echo "prefix: $n tokens at $lines lines: too many" >&2
				return 1
			fi
			echo "$n"
			return 0
		fi
	done
	echo "prefix: the held-out text is too short for $chunks chunks" >&2
	return 1
}

# stats: min / median / max of the numbers on stdin
stats() { sort -g | awk '{ v[NR] = $1 } END { printf "%10.1f %10.1f %10.1f", v[1], v[int((NR + 1) / 2)], v[NR] }'; }

# side LABEL LLAMA_FILE XENT_MODEL: $runs alternating runs of each tool.
side() {
	local label=$1 lfile=$2 xmodel=$3 i t0 t1 out ppl_l="" ppl_x=""
	: >"$work/pp.txt"
	: >"$work/lwall.txt"
	: >"$work/xwall.txt"
	for i in $(seq "$runs"); do
		t0=$(date +%s.%N)
		out=$("$bin/llama-perplexity" -m "$lfile" -f "$text" -c $ctx -b $ctx -t 2 -lv 4 2>&1) || {
			echo "$out" | tail -5
			return 1
		}
		t1=$(date +%s.%N)
		echo "$out" | sed -n 's/.*prompt eval time.*, *\([0-9.]*\) tokens per second.*/\1/p' >>"$work/pp.txt"
		awk -v a="$t0" -v b="$t1" -v n=$((chunks * ctx)) 'BEGIN { print n / (b - a) }' >>"$work/lwall.txt"
		ppl_l=$(echo "$out" | sed -n 's/.*Final estimate: PPL = \([0-9.]*\).*/\1/p')
		t0=$(date +%s.%N)
		out=$(GOMAXPROCS=2 "$xent" eval --model "$xmodel" --data "$text" --window llamacpp --context $ctx --threads 2 --json 2>/dev/null) || {
			echo "xent eval failed on $xmodel"
			return 1
		}
		t1=$(date +%s.%N)
		awk -v a="$t0" -v b="$t1" -v n=$((chunks * ctx)) 'BEGIN { print n / (b - a) }' >>"$work/xwall.txt"
		ppl_x=$(echo "$out" | python3 -c 'import json, sys; print("%.4f" % json.load(sys.stdin)["ppl"])')
	done
	printf "%-28s %s   %s   %s   PPL %s / %s\n" "$label" "$(stats <"$work/pp.txt")" "$(stats <"$work/lwall.txt")" \
		"$(stats <"$work/xwall.txt")" "$ppl_l" "$ppl_x"
}

for m in $models; do
	dir=$work/$m
	[ -d "$dir" ] || nice -n 5 "$work/tinyhf" -family "$m" -full -out "$dir" >/dev/null
	for t in f32 f16 q8_0; do
		[ -f "$work/$m-$t.gguf" ] || "$xent" export gguf --model "$dir" --out "$work/$m-$t.gguf" --type "$t" >/dev/null
	done
	[ -f "$work/$m-q4_k_m.gguf" ] || "$bin/llama-quantize" "$work/$m-f16.gguf" "$work/$m-q4_k_m.gguf" Q4_K_M >/dev/null 2>&1
	text=$work/$m.txt
	n=$(prefix "$dir" "$text")
	echo
	echo "== $m: $chunks chunks of $ctx ($n tokens of text), 2 threads, $runs runs each; tokens/s min / median / max"
	uptime
	printf "%-28s %32s   %32s   %32s\n" "file" "llama.cpp pp t/s" "llama.cpp wall t/s" "xent wall t/s"
	for t in $types; do
		side "$m $t" "$work/$m-$t.gguf" "$work/$m-$t.gguf"
	done
	side "$m bf16 dir (llama.cpp f32)" "$work/$m-f32.gguf" "$dir"
done
echo
uptime
echo "files in $work"
