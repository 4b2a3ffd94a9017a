"""Side-by-side PyTorch baseline for xent's cross-entropy benchmarks.

What it measures
    Wall-clock time of one forward + backward pass of
    torch.nn.functional.cross_entropy on CPU, i.e. per iteration:

        loss = F.cross_entropy(logits, targets, label_smoothing=ls)  # mean reduction
        loss.backward()
        logits.grad = None

    for these cases (names match the Go benchmarks):

        N=4096,V=50257,dtype=f32          float32 logits, label_smoothing=0
        N=4096,V=50257,dtype=f32,ls=0.1   float32 logits, label_smoothing=0.1
        N=2048,V=128256,dtype=bf16        bfloat16 logits, passed to PyTorch as
                                          bfloat16 (PyTorch's own CPU bf16 path;
                                          the gradient is bfloat16 as well)

    Logits are standard normal (torch.Generator seeded with --seed, generated
    in float32 and cast for bf16), targets uniform in [0, V).  Each case is
    warmed up once, then timed for --iters iterations with time.perf_counter.

    Throughput is reported as MB/s with bytes = N*V*4 (the size of the float32
    logits, regardless of the dtype actually used) and MB = 1e6 bytes, so the
    numbers are comparable with the Go benchmarks' SetBytes(N*V*4).
    min/median/max are over the timed iterations (min MB/s comes from the
    slowest iteration).

How to run
    /usr/bin/python3 bench/pytorch_cross_entropy.py              # table
    /usr/bin/python3 bench/pytorch_cross_entropy.py --json       # also JSON
    /usr/bin/python3 bench/pytorch_cross_entropy.py --threads 1 --iters 3 \
        --case 'N=2048,V=128256,dtype=bf16'

    Use the system python (/usr/bin/python3, Debian's python3-torch), not a
    pyenv interpreter.  Peak memory is about 3 GB (float32 N=4096,V=50257:
    logits 823 MB + grad + log-softmax intermediates).
"""

import argparse
import json
import platform
import statistics
import sys
import time

import torch
import torch.nn.functional as F

CASES = [
    # name, N, V, dtype, label_smoothing
    ("N=4096,V=50257,dtype=f32", 4096, 50257, torch.float32, 0.0),
    ("N=4096,V=50257,dtype=f32,ls=0.1", 4096, 50257, torch.float32, 0.1),
    ("N=2048,V=128256,dtype=bf16", 2048, 128256, torch.bfloat16, 0.0),
]


def run_case(name, n, v, dtype, ls, iters, seed):
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, v, generator=gen, dtype=torch.float32)
    if dtype != torch.float32:
        logits = logits.to(dtype)
    logits.requires_grad_(True)
    targets = torch.randint(0, v, (n,), generator=gen, dtype=torch.int64)

    def step():
        loss = F.cross_entropy(logits, targets, label_smoothing=ls)
        loss.backward()
        logits.grad = None
        return loss

    loss = step()  # warm-up
    loss_value = float(loss.detach().float())

    secs = []
    for _ in range(iters):
        t0 = time.perf_counter()
        step()
        secs.append(time.perf_counter() - t0)

    nbytes = n * v * 4
    mbps = [nbytes / s / 1e6 for s in secs]
    del logits
    return {
        "name": name,
        "n": n,
        "v": v,
        "dtype": str(dtype).replace("torch.", ""),
        "label_smoothing": ls,
        "bytes": nbytes,
        "iters": iters,
        "loss": loss_value,
        "seconds": {
            "min": min(secs),
            "median": statistics.median(secs),
            "max": max(secs),
            "all": secs,
        },
        "mb_per_s": {
            "min": min(mbps),
            "median": statistics.median(mbps),
            "max": max(mbps),
        },
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    ap.add_argument("--iters", type=int, default=7, help="timed iterations per case (default 7)")
    ap.add_argument("--seed", type=int, default=0, help="RNG seed (default 0)")
    ap.add_argument("--case", action="append", default=None,
                    help="run only this case name (repeatable)")
    ap.add_argument("--json", action="store_true", help="also print a JSON object")
    args = ap.parse_args()

    if args.iters < 1:
        ap.error("--iters must be >= 1")
    torch.set_num_threads(args.threads)

    cases = CASES
    if args.case:
        known = {c[0] for c in CASES}
        for c in args.case:
            if c not in known:
                ap.error("unknown case %r; known: %s" % (c, ", ".join(sorted(known))))
        cases = [c for c in CASES if c[0] in args.case]

    results = []
    for name, n, v, dtype, ls in cases:
        results.append(run_case(name, n, v, dtype, ls, args.iters, args.seed))

    print("PyTorch %s, threads=%d (interop %d), iters=%d, python %s, %s"
          % (torch.__version__, torch.get_num_threads(), torch.get_num_interop_threads(),
             args.iters, platform.python_version(), platform.machine()))
    print("MB/s uses bytes = N*V*4 (float32 logits size), MB = 1e6 bytes; one iter = forward+backward")
    hdr = "%-34s %10s %10s %10s   %9s %9s %9s" % (
        "case", "MB/s min", "MB/s med", "MB/s max", "s min", "s med", "s max")
    print(hdr)
    print("-" * len(hdr))
    for r in results:
        m, s = r["mb_per_s"], r["seconds"]
        print("%-34s %10.1f %10.1f %10.1f   %9.4f %9.4f %9.4f" % (
            r["name"], m["min"], m["median"], m["max"], s["min"], s["median"], s["max"]))

    if args.json:
        out = {
            "torch_version": torch.__version__,
            "threads": torch.get_num_threads(),
            "interop_threads": torch.get_num_interop_threads(),
            "iters": args.iters,
            "seed": args.seed,
            "python": platform.python_version(),
            "machine": platform.machine(),
            "bytes_definition": "N*V*4 (float32 logits), MB = 1e6 bytes",
            "cases": results,
        }
        print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
