#!/usr/bin/env bash
# Side by side, in one session: xent's BenchmarkSgemm (2 threads), then
# OpenBLAS through numpy (OPENBLAS_NUM_THREADS=2) on the same shapes.
#
#   apt-get install -y python3-numpy libopenblas0-pthread   # once
#   bench/sgemm_run.sh [count]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-5}
echo "== machine"; grep -m1 'model name' /proc/cpuinfo; nproc; go version; uptime
echo "== xent: go test ./internal/gemm -bench BenchmarkSgemm -count $count"
go test ./internal/gemm -run '^$' -bench 'BenchmarkSgemm$' -benchtime 5x -count "$count" -cpu 2
echo "== OpenBLAS via numpy"
uptime
OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/numpy_sgemm.py --iters 10
