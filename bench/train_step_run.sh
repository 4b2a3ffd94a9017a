#!/usr/bin/env bash
# One GPT-2 small training step, B=4, T=64, 2 threads: llm.c's CPU trainer
# against xent, side by side in one run, with each side's peak RSS.
#
#   bench/train_step_run.sh LLMC_DIR [STEPS]    # default 6 timed steps a side
#
# LLMC_DIR is a directory where llm.c (github.com/karpathy/llm.c) has been
# built; this script does not build it, and none of llm.c's code is in this
# repository. How the llm.c side was set up, in words: a checkout of llm.c's
# master (measured at commit f1e2ace) outside this repository; `make
# train_gpt2` there, unmodified, which compiles train_gpt2.c with the
# Makefile's CPU flags: cc -Ofast -march=native -fopenmp -DOMP, linked with
# gcc's libgomp. train_gpt2.c takes no flags: B=4 and T=64 are its built-in
# values, and it reads gpt2_124M.bin and
# dev/data/tinyshakespeare/tiny_shakespeare_{train,val}.bin relative to its
# working directory. bench/llmc_checkpoint.py writes those: a random-init
# GPT-2 124M checkpoint in llm.c's format (magic 20240326, version 3, the
# vocabulary padded to 50304) and random token files (magic 20240520). No
# gpt2_tokenizer.bin: llm.c only warns, and it needs one only to print the
# samples it generates at step 20, which this run does not reach.
#
# train_gpt2.c runs 41 steps with validation every 10 and sampling every 20;
# instead of editing it, this script runs it (OMP_NUM_THREADS=2, under
# /usr/bin/time -v for the peak RSS, stdout line-buffered through stdbuf) and
# stops it with SIGTERM once it has printed step STEPS. Step 0 is the
# warm-up (it also allocates the gradients and AdamW state); steps 1..STEPS
# are reported, from llm.c's own "took N ms" timing of forward, zero_grad,
# backward and update (its validation pass before step 0 is not timed).
#
# The xent side is the same step: ZeroGrads, ForwardBackward,
# ClipGlobalNorm(1.0), AdamW (train's BenchmarkTrainStep, and `xent bench
# train`, one warm-up step then STEPS timed ones), each under
# /usr/bin/time -v with GOMAXPROCS=2; BenchmarkTrainStep also times it
# with bf16 compute (",compute=bf16": the blocks' and the head's products
# in bfloat16, `xent train --compute bf16`), and BenchmarkTrainStepCompute runs the
# two alternately for their ratio. llm.c's update has no clipping and no
# weight decay; xent's does both.
#
# The machine is shared: nothing else should run meanwhile (the script
# prints the load average before each side), and compare numbers from one
# run only.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 1 ] || [ ! -x "$1/train_gpt2" ]; then
	echo "usage: $0 LLMC_DIR [STEPS]  (LLMC_DIR/train_gpt2 built by llm.c's Makefile)" >&2
	exit 2
fi
llmc=$(cd "$1" && pwd)
steps=${2:-6}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

stats() { # seconds, one per line, on stdin -> min/median/max
	/usr/bin/python3 -c '
import statistics, sys
xs = [float(l) for l in sys.stdin if l.strip()]
print("seconds/step over %d steps: min %.3f  median %.3f  max %.3f" % (len(xs), min(xs), statistics.median(xs), max(xs)))'
}
rss() { # peak RSS from a /usr/bin/time -v report
	awk -F': ' '/Maximum resident set size/ {printf "peak RSS: %.0f MB (%s kB)\n", $2/1024, $2}' "$1"
}

echo "== machine"; grep -m1 'model name' /proc/cpuinfo; nproc; go version; date -u
echo "== writing the llm.c checkpoint and token files"
/usr/bin/python3 bench/llmc_checkpoint.py "$work/llmc"
go test -c -o "$work/train.test" ./train
go build -o "$work/xent" ./cmd/xent

echo "== llm.c: train_gpt2 (OMP_NUM_THREADS=2), steps 1..$steps after warm-up step 0"
uptime
(cd "$work/llmc" && exec env OMP_NUM_THREADS=2 /usr/bin/time -v -o "$work/llmc.time" \
	stdbuf -oL "$llmc/train_gpt2" >"$work/llmc.log" 2>&1) &
timepid=$!
printed() { # step lines llm.c has printed so far
	local n
	n=$(grep -c '^step ' "$work/llmc.log" 2>/dev/null) || true
	echo "${n:-0}"
}
while [ "$(printed)" -le "$steps" ] && kill -0 "$timepid" 2>/dev/null; do
	sleep 0.5
done
child=$(pgrep -P "$timepid" || true)
if [ -n "$child" ]; then kill -TERM "$child"; fi
wait "$timepid" || true
if [ "$(printed)" -le "$steps" ]; then
	echo "llm.c stopped before step $steps:" >&2
	cat "$work/llmc.log" >&2
	exit 1
fi
grep -E '^(num_parameters|val loss|step )' "$work/llmc.log"
grep '^step ' "$work/llmc.log" | sed -n "2,$((steps + 1))p" |
	sed -E 's/.*took ([0-9.]+) ms.*/\1/' | awk '{print $1 / 1000}' | stats
rss "$work/llmc.time"

echo "== xent: BenchmarkTrainStep/gpt2-124M,B=4,T=64 (-benchtime ${steps}x, 2 threads)"
uptime
(cd train && /usr/bin/time -v -o "$work/bench.time" "$work/train.test" -test.run '^$' \
	-test.bench 'BenchmarkTrainStep/gpt2-124M,B=4,T=64' -test.benchtime "${steps}x" -test.count 1 -test.cpu 2)
rss "$work/bench.time"

echo "== xent: the same step in float32 and with bf16 compute, alternately (BenchmarkTrainStepCompute, -benchtime ${steps}x, 2 threads)"
uptime
(cd train && "$work/train.test" -test.run '^$' -test.bench 'BenchmarkTrainStepCompute' -test.benchtime "${steps}x" -test.count 1 -test.cpu 2)

echo "== xent: xent bench train --b 4 --t 64 --iters $steps (GOMAXPROCS=2)"
uptime
GOMAXPROCS=2 /usr/bin/time -v -o "$work/xent.time" "$work/xent" bench train --b 4 --t 64 --iters "$steps"
rss "$work/xent.time"
