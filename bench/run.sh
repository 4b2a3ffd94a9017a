#!/usr/bin/env bash
# Side by side, in one session: xent's BenchmarkCrossEntropy, then PyTorch's
# F.cross_entropy forward+backward on the same shapes (Debian's python3-torch,
# 2 threads). Nothing else should run meanwhile: the machine is shared and
# compare ratios from one run only.
#
#   apt-get install -y python3-torch   # once
#   bench/run.sh [count]               # default 5 Go runs, 7 PyTorch iterations
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-5}
echo "== machine"; grep -m1 'model name' /proc/cpuinfo; nproc; go version
echo "== xent: go test ./loss -bench BenchmarkCrossEntropy -count $count"
go test ./loss -run '^$' -bench BenchmarkCrossEntropy -benchtime 10x -count "$count" -cpu 2
echo "== PyTorch"
/usr/bin/python3 bench/pytorch_cross_entropy.py --threads 2 --iters 7
