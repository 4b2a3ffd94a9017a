#!/usr/bin/python3
"""Write a random-init GPT-2 124M checkpoint and random token files in the
formats of llm.c's CPU trainer (karpathy/llm.c, train_gpt2.c), for the
side-by-side training-step benchmark (bench/train_step_run.sh).

    /usr/bin/python3 bench/llmc_checkpoint.py DIR [--seed 1] [--tokens 65536]

writes, under DIR (train_gpt2.c reads them relative to its working directory):

    gpt2_124M.bin
        256 int32 header: magic 20240326, version 3, maxT 1024, V 50257,
        L 12, NH 12, C 768, Vp 50304 (the vocabulary padded to a multiple of
        128); then the float32 parameters in llm.c's order: wte [Vp, C],
        wpe [maxT, C], ln1w [L, C], ln1b [L, C], qkvw [L, 3C, C],
        qkvb [L, 3C], attprojw [L, C, C], attprojb [L, C], ln2w [L, C],
        ln2b [L, C], fcw [L, 4C, C], fcb [L, 4C], fcprojw [L, C, 4C],
        fcprojb [L, C], lnfw [C], lnfb [C].
        Initialised as GPT-2 (and xent's model.New) does: weights
        normal(0, 0.02), the two residual projections normal(0, 0.02/sqrt(2L)),
        biases 0, norm gains 1; the padded vocabulary rows are 0.
    dev/data/tinyshakespeare/tiny_shakespeare_train.bin
    dev/data/tinyshakespeare/tiny_shakespeare_val.bin
        256 int32 header: magic 20240520, version 1, token count; then the
        tokens as uint16, uniform in [0, V).

No tokenizer file is written: train_gpt2.c then prints token ids instead of
text when it samples, which the benchmark does not reach. numpy only.
"""
import argparse
import os

import numpy as np

MAX_T, V, L, NH, C = 1024, 50257, 12, 12, 768
VP = (V + 127) // 128 * 128  # 50304


def header(*fields):
    h = np.zeros(256, dtype=np.int32)
    h[: len(fields)] = fields
    return h.tobytes()


def write_checkpoint(path, rng):
    std, proj_std = 0.02, 0.02 / np.sqrt(2 * L)

    def normal(shape, s):
        return (rng.standard_normal(shape, dtype=np.float32) * np.float32(s)).astype(np.float32)

    wte = np.zeros((VP, C), dtype=np.float32)
    wte[:V] = normal((V, C), std)
    tensors = [
        wte,                                   # wte
        normal((MAX_T, C), std),               # wpe
        np.ones((L, C), np.float32),           # ln1w
        np.zeros((L, C), np.float32),          # ln1b
        normal((L, 3 * C, C), std),            # qkvw
        np.zeros((L, 3 * C), np.float32),      # qkvb
        normal((L, C, C), proj_std),           # attprojw
        np.zeros((L, C), np.float32),          # attprojb
        np.ones((L, C), np.float32),           # ln2w
        np.zeros((L, C), np.float32),          # ln2b
        normal((L, 4 * C, C), std),            # fcw
        np.zeros((L, 4 * C), np.float32),      # fcb
        normal((L, C, 4 * C), proj_std),       # fcprojw
        np.zeros((L, C), np.float32),          # fcprojb
        np.ones(C, np.float32),                # lnfw
        np.zeros(C, np.float32),               # lnfb
    ]
    n = sum(t.size for t in tensors)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(header(20240326, 3, MAX_T, V, L, NH, C, VP))
        for t in tensors:
            f.write(np.ascontiguousarray(t, dtype=np.float32).tobytes())
    os.replace(tmp, path)
    return n


def write_tokens(path, rng, n):
    toks = rng.integers(0, V, size=n, dtype=np.uint16)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(header(20240520, 1, n))
        f.write(toks.tobytes())
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", help="output directory (created if missing)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tokens", type=int, default=65536, help="tokens per data file")
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    data = os.path.join(a.dir, "dev", "data", "tinyshakespeare")
    os.makedirs(data, exist_ok=True)
    n = write_checkpoint(os.path.join(a.dir, "gpt2_124M.bin"), rng)
    write_tokens(os.path.join(data, "tiny_shakespeare_train.bin"), rng, a.tokens)
    write_tokens(os.path.join(data, "tiny_shakespeare_val.bin"), rng, a.tokens)
    print(f"{a.dir}: gpt2_124M.bin ({n} parameters, V={V} padded to {VP}), "
          f"2 token files of {a.tokens} tokens")


if __name__ == "__main__":
    main()
