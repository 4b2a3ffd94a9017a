#!/usr/bin/env bash
# Side by side, in one session: xent's float32 Sgemm and its bf16
# SgemmBF16Native (2 threads, the best bf16 kernel here, then each other one
# with GEMM_BF16_KERNEL), then PyTorch 1.13's bf16 a @ b (2 threads), on the
# same shapes; GFLOPS min/median/max over the repeats (benchstat-free:
# awk over -count runs).
#
#   apt-get install -y python3-torch   # once
#   bench/bf16_sgemm_run.sh [count]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-5}
echo "== machine"; grep -m1 'model name' /proc/cpuinfo; nproc
grep -o 'avx512_bf16\|amx_bf16\|amx_tile' /proc/cpuinfo | sort -u | tr '\n' ' '; echo
go version; uptime
summary() { # GFLOPS min/median/max per benchmark name
  awk '/GFLOPS/ { for (i = 1; i <= NF; i++) if ($(i+1) == "GFLOPS") v[$1] = v[$1] " " $i }
       END { for (k in v) { n = split(v[k], a, " "); asort(a); printf "%-52s %8.1f %8.1f %8.1f\n", k, a[1], a[int((n+1)/2)], a[n] } }' | sort
}
echo "== xent (GFLOPS min / median / max over $count runs)"
go test ./internal/gemm -run '^$' -bench 'BenchmarkSgemm(BF16Native)?$' -benchtime 5x -count "$count" -cpu 2 | tee /tmp/xent-bf16-bench.txt | summary
for k in $(go test ./internal/gemm -run TestBF16NativeKernels -v | sed -n "s/.*kernels \[\(.*\)\].*/\1/p" | tr -d '"' | cut -d" " -f2- | sed "s/generic//"); do
  echo "== xent SgemmBF16Native with GEMM_BF16_KERNEL=$k"
  GEMM_BF16_KERNEL=$k go test ./internal/gemm -run '^$' -bench 'BenchmarkSgemmBF16Native$' -benchtime 5x -count "$count" -cpu 2 | summary
done
echo "== PyTorch bf16"
uptime
/usr/bin/python3 bench/torch_bf16_matmul.py --threads 2 --iters 10
