#!/usr/bin/env bash
# Side by side, in one session: xent's float32 Sgemm and its bf16
# SgemmBF16Native (the best bf16 kernel here, then each other one with
# GEMM_BF16_KERNEL), then PyTorch 1.13's bf16 a @ b, on the same shapes,
# with 2 threads and with 1. Two rates per benchmark, min/median/max over
# the repeats (benchstat-free: awk over -count runs): GFLOPS by the wall
# clock, and cpuGFLOPS by the CPU time the process used (the rate per busy
# core; on a machine others load, compare the 1-thread cpuGFLOPS, which
# the load leaves nearly intact).
#
#   apt-get install -y python3-torch   # once
#   bench/bf16_sgemm_run.sh [count]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-5}
echo "== machine"; grep -m1 'model name' /proc/cpuinfo; nproc
grep -o 'avx512_bf16\|amx_bf16\|amx_tile' /proc/cpuinfo | sort -u | tr '\n' ' '; echo
go version; uptime
summary() { # min/median/max of GFLOPS and cpuGFLOPS per benchmark name
  /usr/bin/python3 -c '
import collections, statistics, sys
rates = collections.defaultdict(lambda: collections.defaultdict(list))
for line in sys.stdin:
    f = line.split()
    for i in range(1, len(f)):
        if f[i] in ("GFLOPS", "cpuGFLOPS"):
            rates[f[0]][f[i]].append(float(f[i - 1]))
mmm = lambda xs: "%8.1f %8.1f %8.1f" % (min(xs), statistics.median(xs), max(xs)) if xs else "%26s" % "-"
print("%-48s %26s   %26s" % ("", "GFLOPS min/median/max", "cpuGFLOPS min/median/max"))
for k in sorted(rates):
    print("%-48s %s   %s" % (k, mmm(rates[k]["GFLOPS"]), mmm(rates[k]["cpuGFLOPS"])))'
}
go test -c -o /tmp/xent-gemm.test ./internal/gemm
for cpu in 2 1; do
  echo "== xent, $cpu thread(s), $count runs"
  /tmp/xent-gemm.test -test.run '^$' -test.bench 'BenchmarkSgemm(BF16Native)?$' -test.benchtime 5x -test.count "$count" -test.cpu "$cpu" | summary
  for k in $(/tmp/xent-gemm.test -test.run TestBF16NativeKernels -test.v | sed -n "s/.*kernels \[\(.*\)\].*/\1/p" | tr -d '"' | cut -d" " -f2- | sed "s/generic//"); do
    echo "== xent SgemmBF16Native with GEMM_BF16_KERNEL=$k, $cpu thread(s)"
    GEMM_BF16_KERNEL=$k /tmp/xent-gemm.test -test.run '^$' -test.bench 'BenchmarkSgemmBF16Native$' -test.benchtime 5x -test.count "$count" -test.cpu "$cpu" | summary
  done
  echo "== PyTorch bf16, $cpu thread(s)"
  uptime
  /usr/bin/python3 bench/torch_bf16_matmul.py --threads "$cpu" --iters 10
done
/tmp/xent-gemm.test -test.run TestBF16NativeKernels -test.v | grep kernels
