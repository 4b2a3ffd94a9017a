#!/usr/bin/env bash
# Side by side, in one session: llama.cpp's llama-perplexity and xent eval
# --window llamacpp on the same GGUF files, text and context (512), 2
# threads each, for a SmolLM2-135M- and a Qwen2.5-0.5B-shaped model with
# random weights (go run ./bench/tinyhf -full: the published shapes and
# vocabularies) as F32, F16, Q8_0 (xent export gguf) and Q4_K_M
# (llama-quantize from the F16 file); then xent on the bf16 Hugging Face
# directory itself (--compute bf16 and f32) beside llama.cpp on its F32
# file. Runs alternate (llama.cpp, xent, llama.cpp, ...), RUNS of each.
#
# Each tool scores two prefixes of the Opticks' held-out text, SHORT and
# LONG chunks of 512 tokens (default 2 and 11), and its rate is
#     (LONG − SHORT) × 512 / (t_long − t_short)
# tokens run forward a second of wall clock: loading, tokenizing and the
# first pass's warm-up cancel, and what is left is scoring. llama.cpp's own
# "prompt eval" counter is not used: on this machine it reported 313
# tokens/s for a Qwen2.5-0.5B F32 file whose whole commands differ by 3.35 s
# a chunk (153 tokens/s), above the float32 peak of the cores. Reported per
# file, min / median / max over the runs, and the median ratio of xent to
# llama.cpp. Both commands also print their perplexity on the long text.
#
# llama.cpp is built from source beside the project (never committed):
#   cmake -B build -DGGML_NATIVE=ON -DLLAMA_CURL=OFF -DGGML_OPENMP=ON -DCMAKE_BUILD_TYPE=Release
#   cmake --build build -j2 --target llama-perplexity llama-quantize
#
#   bench/llamacpp_eval_run.sh /path/to/llama.cpp/build/bin [runs] [workdir]
#
# runs defaults to 3, workdir to a new temporary directory (give one to keep
# the model files between runs: it is reused if it holds them). MODELS and
# TYPES (space-separated) pick a subset: MODELS="smollm2-135m"
# TYPES="q8_0 dir". SHORT and LONG set the chunk counts.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:?usage: bench/llamacpp_eval_run.sh LLAMA_CPP_BIN [runs] [workdir]}
runs=${2:-3}
work=${3:-$(mktemp -d /tmp/xent-llamacpp-bench.XXXXXX)}
ctx=512
short=${SHORT:-2}
long=${LONG:-11}
models=${MODELS:-smollm2-135m qwen2.5-0.5b}
types=${TYPES:-f32 f16 q8_0 q4_k_m dir}
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

# prefix DIR OUT CHUNKS: the shortest prefix of the held-out text, cut at a
# line end, that the model's tokenizer turns into at least chunks×ctx tokens
# (and fewer than (chunks+1)×ctx), so that both tools score exactly CHUNKS
# chunks.
prefix() {
	local dir=$1 out=$2 chunks=$3 lines n
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

# timed CMD...: runs CMD, output to $work/out.txt, prints its wall seconds.
timed() {
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >"$work/out.txt" 2>&1 || {
		tail -5 "$work/out.txt" >&2
		return 1
	}
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }'
}

# rate SHORT_SECONDS LONG_SECONDS: tokens run forward a second between the two.
rate() { awk -v a="$1" -v b="$2" -v n=$(((long - short) * ctx)) 'BEGIN { print n / (b - a) }'; }

# side LABEL LLAMA_FILE XENT_MODEL [XENT FLAGS...]: $runs alternating runs of each tool.
side() {
	local label=$1 lfile=$2 xmodel=$3 i a b ppl_l="" ppl_x=""
	shift 3
	: >"$work/lrate.txt"
	: >"$work/xrate.txt"
	for i in $(seq "$runs"); do
		a=$(timed "$bin/llama-perplexity" -m "$lfile" -f "$text_short" -c $ctx -b $ctx -t 2)
		b=$(timed "$bin/llama-perplexity" -m "$lfile" -f "$text_long" -c $ctx -b $ctx -t 2)
		ppl_l=$(sed -n 's/.*Final estimate: PPL = \([0-9.]*\).*/\1/p' "$work/out.txt")
		rate "$a" "$b" >>"$work/lrate.txt"
		a=$(timed env GOMAXPROCS=2 "$xent" eval --model "$xmodel" --data "$text_short" --window llamacpp --context $ctx --threads 2 --json "$@")
		b=$(timed env GOMAXPROCS=2 "$xent" eval --model "$xmodel" --data "$text_long" --window llamacpp --context $ctx --threads 2 --json "$@")
		ppl_x=$(sed -n '/^{/,$p' "$work/out.txt" | python3 -c 'import json, sys; print("%.4f" % json.load(sys.stdin)["ppl"])')
		rate "$a" "$b" >>"$work/xrate.txt"
	done
	printf "%-30s %s   %s   %6.2f   PPL %s / %s\n" "$label" "$(stats <"$work/lrate.txt")" "$(stats <"$work/xrate.txt")" \
		"$(paste "$work/xrate.txt" "$work/lrate.txt" | awk '{ print $1 / $2 }' | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')" "$ppl_l" "$ppl_x"
}

for m in $models; do
	dir=$work/$m
	[ -d "$dir" ] || nice -n 5 "$work/tinyhf" -family "$m" -full -out "$dir" >/dev/null
	for t in f32 f16 q8_0; do
		[ -f "$work/$m-$t.gguf" ] || "$xent" export gguf --model "$dir" --out "$work/$m-$t.gguf" --type "$t" >/dev/null
	done
	[ -f "$work/$m-q4_k_m.gguf" ] || "$bin/llama-quantize" "$work/$m-f16.gguf" "$work/$m-q4_k_m.gguf" Q4_K_M >/dev/null 2>&1
	text_short=$work/$m-short.txt
	text_long=$work/$m-long.txt
	ns=$(prefix "$dir" "$text_short" "$short")
	nl=$(prefix "$dir" "$text_long" "$long")
	echo
	echo "== $m: $short and $long chunks of $ctx ($ns and $nl tokens of text), 2 threads, $runs runs each"
	echo "   tokens run forward a second, (long − short) chunks over the difference in wall time: min / median / max"
	uptime
	printf "%-30s %32s   %32s   %6s\n" "file" "llama.cpp" "xent" "ratio"
	for t in $types; do
		if [ "$t" = dir ]; then
			side "$m bf16 dir, --compute bf16" "$work/$m-f32.gguf" "$dir" --compute bf16
			side "$m bf16 dir, --compute f32" "$work/$m-f32.gguf" "$dir" --compute f32
		else
			side "$m $t" "$work/$m-$t.gguf" "$work/$m-$t.gguf"
		fi
	done
done
echo
uptime
echo "files in $work"
