#!/usr/bin/env bash
# Side by side, in one session: PyTorch 1.13 (Debian's python3-torch, 2
# threads) evaluating GPT-2 124M over 1x1024 tokens (forward + per-token NLL),
# then xent's BenchmarkEval/gpt2-124M,ctx=1024 (GOMAXPROCS=2). Both use random
# weights. The machine is shared: nothing else should run meanwhile (the
# script prints the load average before each side), and compare numbers from
# one run only.
#
#   apt-get install -y python3-torch   # once
#   bench/eval_run.sh [count]          # default 5 timed passes a side
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-5}
echo "== machine"; grep -m1 'model name' /proc/cpuinfo; nproc; go version; date -u
echo "== PyTorch: bench/torch_eval.py --threads 2 --repeats $count"
uptime
/usr/bin/python3 bench/torch_eval.py --threads 2 --repeats "$count"
echo "== xent: go test ./eval -bench 'BenchmarkEval/gpt2-124M,ctx=1024' -count $count -benchtime 1x -cpu 2"
uptime
go test ./eval -run '^$' -bench 'BenchmarkEval/gpt2-124M,ctx=1024' -count "$count" -benchtime 1x -cpu 2
