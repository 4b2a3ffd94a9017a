"""OpenBLAS float32 GEMM through numpy: the reference for xent's BenchmarkSgemm.

What it measures
    C = A @ B in float32 (numpy.matmul into a preallocated C), A [M, K],
    B [K, N], for the shapes of BenchmarkSgemm (named MxKxN):
    2048x2048x2048, 256x768x2304, 256x768x3072, 256x3072x768, 256x768x50257.
    One warm-up, then --iters timed calls; GFLOPS = 2*M*N*K / seconds / 1e9,
    min/median/max over the calls.

How to run (Debian's numpy, with OpenBLAS as the BLAS):
    apt-get install -y python3-numpy libopenblas0-pthread
    OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/numpy_sgemm.py [--iters 10] [--json]
"""

import argparse
import json
import os
import statistics
import time

import numpy as np

SHAPES = [(2048, 2048, 2048), (256, 768, 2304), (256, 768, 3072), (256, 3072, 768), (256, 768, 50257)]


def blas_name():
    try:
        cfg = np.show_config(mode="dicts")  # numpy >= 1.25
        return str(cfg["Build Dependencies"]["blas"]["name"])
    except TypeError:
        libs = [l for l in open("/proc/self/maps") if "blas" in l]
        return sorted({l.split()[-1] for l in libs})[0] if libs else "unknown"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rng = np.random.default_rng(1)
    out = {"numpy": np.__version__, "blas": blas_name(), "threads": os.environ.get("OPENBLAS_NUM_THREADS", "default"), "cases": {}}
    for m, k, n in SHAPES:
        a = rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((k, n), dtype=np.float32)
        c = np.empty((m, n), dtype=np.float32)
        np.matmul(a, b, out=c)
        rates = []
        for _ in range(args.iters):
            t0 = time.perf_counter()
            np.matmul(a, b, out=c)
            rates.append(2 * m * n * k / (time.perf_counter() - t0) / 1e9)
        out["cases"]["%dx%dx%d" % (m, k, n)] = {"min": min(rates), "median": statistics.median(rates), "max": max(rates)}
    print("numpy %s, BLAS %s, OPENBLAS_NUM_THREADS=%s" % (out["numpy"], out["blas"], out["threads"]))
    print("%-16s %10s %10s %10s" % ("MxKxN", "GFLOPS min", "median", "max"))
    for name, r in out["cases"].items():
        print("%-16s %10.1f %10.1f %10.1f" % (name, r["min"], r["median"], r["max"]))
    if args.json:
        print(json.dumps(out))


if __name__ == "__main__":
    main()
