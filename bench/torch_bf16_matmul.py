"""PyTorch bf16 matrix products: the reference for xent's BenchmarkSgemmBF16Native.

What it measures
    C = A @ B with A [M, K] and B [K, N] both torch.bfloat16 (torch.matmul
    into a preallocated bf16 C: PyTorch's CPU bf16 GEMM, oneDNN, which
    accumulates in float32), for the shapes of BenchmarkSgemmBF16Native
    (named MxKxN): 2048x2048x2048, 256x768x2304, 256x768x3072,
    256x3072x768, 256x768x50257 and 1x768x50257 (a decoding step's logits).
    One warm-up, then --iters timed calls; GFLOPS = 2*M*N*K / seconds / 1e9,
    min/median/max over the calls, and cpuGFLOPS = 2*M*N*K / the CPU time
    the process used (time.process_time), the rate per busy core that the
    xent benchmarks also report: on a machine others load, compare that
    with --threads 1. xent's product differs in two ways that
    favour PyTorch: xent's A is float32, rounded to bf16 as it is packed,
    and xent writes a float32 C.

How to run (Debian's PyTorch 1.13):
    apt-get install -y python3-torch
    /usr/bin/python3 bench/torch_bf16_matmul.py [--threads 2] [--iters 10] [--json]
"""

import argparse
import json
import statistics
import time

import torch

SHAPES = [(2048, 2048, 2048), (256, 768, 2304), (256, 768, 3072), (256, 3072, 768), (256, 768, 50257), (1, 768, 50257)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "cases": {}}
    for m, k, n in SHAPES:
        a = (torch.rand(m, k) - 0.5).to(torch.bfloat16)
        b = (torch.rand(k, n) - 0.5).to(torch.bfloat16)
        c = torch.empty(m, n, dtype=torch.bfloat16)
        torch.matmul(a, b, out=c)
        rates, cpu = [], []
        for _ in range(args.iters):
            t0, c0 = time.perf_counter(), time.process_time()
            torch.matmul(a, b, out=c)
            t1, c1 = time.perf_counter(), time.process_time()
            rates.append(2 * m * n * k / (t1 - t0) / 1e9)
            cpu.append(2 * m * n * k / max(c1 - c0, 1e-9) / 1e9)
        out["cases"]["%dx%dx%d" % (m, k, n)] = {"min": min(rates), "median": statistics.median(rates), "max": max(rates),
                                               "cpu_median": statistics.median(cpu)}
    print("torch %s, bf16 a @ b, %d threads" % (out["torch"], out["threads"]))
    print("%-16s %10s %10s %10s %10s" % ("MxKxN", "GFLOPS min", "median", "max", "cpuGFLOPS"))
    for name, r in out["cases"].items():
        print("%-16s %10.1f %10.1f %10.1f %10.1f" % (name, r["min"], r["median"], r["max"], r["cpu_median"]))
    if args.json:
        print(json.dumps(out))


if __name__ == "__main__":
    main()
