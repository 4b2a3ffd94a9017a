#!/usr/bin/env python3
"""Writes goldens.json: llama.cpp's own numbers on xent's GGUF exports.

For every family of internal/tinyhf (a tiny random-weight Hugging Face
directory laid out as the real checkpoint is, seed 1), this script

  1. writes the directory (go run ./bench/tinyhf), and for the "+bos"
     variants a tokenizer_config.json with add_bos_token true, so that
     llama.cpp's BOS rule is exercised too;
  2. exports it with `xent export gguf --type f32|f16|q8_0`;
  3. runs llama.cpp's llama-tokenize --no-bos on the text (the ids of the
     text itself, before llama-perplexity puts BOS before them) and llama-perplexity on every file:
         llama-perplexity -m F.gguf -f TEXT -c CTX -b CTX -t 2
     recording its final estimate (PPL, its ± and the running estimate
     after every chunk);
  4. for the KL families, quantizes the f16 file with
         llama-quantize F16.gguf Q4_K_M.gguf Q4_K_M
     copies that file here (xent cannot write Q4_K), and runs
         llama-perplexity -m F16.gguf  ... --kl-divergence-base BASE.kld
         llama-perplexity -m Q.gguf    ... --kl-divergence-base BASE.kld --kl-divergence
     for Q = q8_0 and q4_k_m, recording the statistics block;
  5. for the trained models (below), runs llama-perplexity again with
         -fa off -ctk f32 -ctv f32
     (no flash attention, K and V kept in float32: the attention as xent
     computes it), recording that final estimate as ppl_float_attention.

The models: every tinyhf family (random weights: each family's arithmetic,
but near-uniform predictions, PPL about the vocabulary's size), and two
models xent trained on the Opticks' first 90%, committed here as GGUF files
because training is exact only on one machine and kernel set. Their sharp
predictions (PPL 30 to 60) make any slip in windowing or BOS show:

  trained-llama-f32.gguf   xent train --vocab-size 512 --width 64 --layers 2
                           --heads 2 --context 128 --steps 300 --eval-every 0
                           --seed 1, config.json given "bos_token_id": 511
                           and "eos_token_id": 511 (<|endoftext|>, the BOS
                           xent conditions on), then xent export gguf --type
                           f32; this script exports f16 and q8_0 from it and
                           quantizes the f16 file to trained-llama-q4_k_m.gguf
                           (64 columns: llama-quantize falls back to Q5_0/Q8_0)
  trained-w256-q4_k_m.gguf the same with --width 256 --layers 1 --heads 4
                           --batch 8 --steps 60 --warmup 10, exported f16 and
                           quantized by llama-quantize to Q4_K_M: 256 columns,
                           so the file holds real Q4_K and Q6_K blocks

A family llama.cpp refuses, or that xent cannot export, is recorded with the
error instead of numbers. The Go test (cmd/xent/llamacpp_test.go) rebuilds
each exported GGUF file from the same source (checking its sha256), runs
`xent eval --window llamacpp` on it and compares. CI does not run this
script; it needs a llama.cpp build:

    python3 eval/testdata/llamacpp/gen.py --bin /path/to/llama.cpp/build/bin \
        --commit $(git -C /path/to/llama.cpp rev-parse HEAD) \
        --build "cmake flags, compiler"

Run it from the repository's root. It writes only goldens.json and the
Q4_K_M files in this directory.
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TEXT = "opticks-heldout-8k.txt"  # the first 8 KB of the Opticks' held-out 10%
CTX = 128
THREADS = 2
TYPES = ["f32", "f16", "q8_0"]
# (name in goldens, source, adds BOS through tokenizer_config.json). A
# source is a tinyhf family (random weights: every family's arithmetic, but
# near-uniform predictions, PPL about the vocabulary's size) or "file:NAME",
# a GGUF file committed here: models xent trained, whose sharp predictions
# (PPL 30 to 60) make any difference in windowing or BOS show.
FAMILIES = [
    ("trained-llama", "file:trained-llama-f32.gguf", False),
    ("trained-w256", "file:trained-w256-q4_k_m.gguf", False),
    ("llama-3.2-1b", "llama-3.2-1b", False),
    ("llama-3.2-1b+bos", "llama-3.2-1b", True),
    ("llama-3.1-8b", "llama-3.1-8b", False),
    ("smollm2-135m", "smollm2-135m", False),
    ("mistral-7b-v0.1", "mistral-7b-v0.1", False),
    ("mistral-7b-v0.1+bos", "mistral-7b-v0.1", True),
    ("qwen2.5-0.5b", "qwen2.5-0.5b", False),
    ("qwen3-0.6b", "qwen3-0.6b", False),
    # Not "phi-3-…": llama.cpp (llama-vocab.cpp, the branch for model names
    # containing "phi-3" or "phi3") sets the rstrip attribute of "</s>",
    # which a real Phi-3's SentencePiece vocabulary has and tinyhf's GPT-2
    # vocabulary lacks, so it refuses the file (unordered_map::at). That
    # branch changes only special tokens' attributes, which plain text never
    # meets; the name (general.name comes from the directory's) avoids it.
    ("phi-three-mini-4k", "phi-3-mini-4k", False),
    ("gemma-2b", "gemma-2b", False),
    ("gemma-2-2b", "gemma-2-2b", False),
    ("gemma-3-1b", "gemma-3-1b", False),
    ("gpt2", "gpt2", False),
]
# The families whose f16 file is quantized to Q4_K_M and whose q8_0 and
# Q4_K_M files are compared with the f16 one (KL statistics).
KL_FAMILIES = ["trained-llama"]
BOS_CONFIG = '{"add_bos_token": true, "tokenizer_class": "LlamaTokenizerFast", "bos_token": "<|endoftext|>"}\n'


def run(cmd, **kw):
    """Runs cmd, returning (exit status, stdout + stderr)."""
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace", **kw)
    return p.returncode, p.stdout


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def last_lines(out, n=6):
    return " | ".join(line.strip() for line in out.strip().splitlines()[-n:])


def perplexity(args, gguf, text, extra=()):
    cmd = [os.path.join(args.bin, "llama-perplexity"), "-m", gguf, "-f", text, "-c", str(CTX), "-b", str(CTX),
           "-t", str(THREADS)] + list(extra)
    # llama.cpp logs from a thread of its own, and on this loaded machine a
    # run sometimes exits (status 0) before its last lines are written:
    # such a run is repeated.
    for attempt in range(20):
        rc, out = run(cmd)
        if rc != 0:
            return {"error": "llama-perplexity exit %d: %s" % (rc, last_lines(out))}, out
        m = re.search(r"Final estimate: PPL = ([0-9.]+) \+/- ([0-9.]+)", out)
        if "--kl-divergence" in extra:
            if "error" not in kl_stats(out):
                return {}, out
        elif m:
            break
    if "--kl-divergence" in extra:
        return {"error": "no statistics: " + last_lines(out)}, out
    chunks = [float(v) for v in re.findall(r"\[\d+\]([0-9.]+),", out)]
    if not m:
        return {"error": "no final estimate: " + last_lines(out)}, out
    return {"ppl": float(m.group(1)), "ppl_err": float(m.group(2)), "chunks": chunks}, out


# llama-perplexity's attention as xent computes it: without flash attention
# (llama.cpp's default, auto, turns it on for the CPU) and with K and V
# kept in float32 rather than f16. Quantized files are compared with this
# estimate to a tight tolerance: the activations' Q8 rounding turns the
# attention's float32 rounding differences into whole quantization steps
# of the next projection's input, so the default estimate differs from it
# by up to 1.1e-4 on the trained models.
FLOAT_ATTENTION = ["-fa", "off", "-ctk", "f32", "-ctv", "f32"]


def float_attention(args, gguf, text):
    res, _ = perplexity(args, gguf, text, FLOAT_ATTENTION)
    if "error" in res:
        return {"ppl_float_attention_error": res["error"]}
    return {"ppl_float_attention": res["ppl"]}


def kl_stats(out):
    """Parses llama-perplexity --kl-divergence's statistics blocks."""
    num = r"(-?[0-9.]+)"
    pats = {
        "ppl_q": r"Mean PPL\(Q\)\s*:\s*" + num + r"\s*±\s*" + num,
        "ppl_base": r"Mean PPL\(base\)\s*:\s*" + num + r"\s*±\s*" + num,
        "ln_ppl_ratio": r"Mean ln\(PPL\(Q\)/PPL\(base\)\)\s*:\s*" + num + r"\s*±\s*" + num,
        "ppl_ratio": r"Mean PPL\(Q\)/PPL\(base\)\s*:\s*" + num + r"\s*±\s*" + num,
        "kld_mean": r"Mean    KLD:\s*" + num + r"\s*±\s*" + num,
        "kld_max": r"Maximum KLD:\s*" + num,
        "kld_p99_9": r"99\.9%   KLD:\s*" + num,
        "kld_p99": r"99\.0%   KLD:\s*" + num,
        "kld_median": r"Median  KLD:\s*" + num,
        "kld_min": r"Minimum KLD:\s*" + num,
        "rms_dp_percent": r"RMS Δp    :\s*" + num + r"\s*±\s*" + num,
        "same_top_p_percent": r"Same top p:\s*" + num + r"\s*±\s*" + num,
    }
    st = {}
    for k, p in pats.items():
        m = re.search(p, out)
        if not m:
            return {"error": "no %s in the output: %s" % (k, last_lines(out))}
        st[k] = float(m.group(1))
        if m.lastindex == 2:
            st[k + "_err"] = float(m.group(2))
    return st


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True, help="llama.cpp's build/bin")
    ap.add_argument("--commit", required=True, help="the llama.cpp commit that was built")
    ap.add_argument("--build", default="", help="how it was built (cmake flags, compiler), recorded")
    ap.add_argument("--families", default="", help="comma-separated subset (default all)")
    args = ap.parse_args()
    if not os.path.exists("go.mod"):
        sys.exit("gen.py: run it from the repository's root")
    text = os.path.join(HERE, TEXT)
    tmp = tempfile.mkdtemp(prefix="xent-llamacpp-")
    try:
        xent = os.path.join(tmp, "xent")
        tinyhf = os.path.join(tmp, "tinyhf")
        for out, pkg in ((xent, "./cmd/xent"), (tinyhf, "./bench/tinyhf")):
            rc, log = run(["go", "build", "-o", out, pkg])
            if rc != 0:
                sys.exit(log)
        golden = {
            "llama_cpp_commit": args.commit,
            "llama_cpp_build": args.build,
            "text": TEXT,
            "ctx": CTX,
            "threads": THREADS,
            "seed": 1,
            "perplexity_command": "llama-perplexity -m F.gguf -f %s -c %d -b %d -t %d" % (TEXT, CTX, CTX, THREADS),
            "float_attention_command": "llama-perplexity -m F.gguf -f %s -c %d -b %d -t %d %s" % (TEXT, CTX, CTX, THREADS, " ".join(FLOAT_ATTENTION)),
            "kl_commands": [
                "llama-perplexity -m F16.gguf -f %s -c %d -b %d -t %d --kl-divergence-base BASE.kld" % (TEXT, CTX, CTX, THREADS),
                "llama-perplexity -m Q.gguf -f %s -c %d -b %d -t %d --kl-divergence-base BASE.kld --kl-divergence" % (TEXT, CTX, CTX, THREADS),
            ],
            "quantize_command": "llama-quantize F16.gguf Q4_K_M.gguf Q4_K_M",
            "models": [],
            "kl": [],
        }
        only = set(filter(None, args.families.split(",")))
        for name, source, bos in FAMILIES:
            if only and name not in only:
                continue
            files = {}
            if source.startswith("file:"):
                # A committed file: its own type, and the others exported
                # from it when it is f32.
                kept = source[len("file:"):]
                src = os.path.join(HERE, kept)
                typ = re.search(r"-([a-z0-9_]+)\.gguf$", kept).group(1)
                files[typ] = src
                todo = [(typ, kept)] + ([(t, None) for t in TYPES if t != typ] if typ == "f32" else [])
            else:
                src = os.path.join(tmp, name)
                rc, log = run([tinyhf, "-family", source, "-out", src])
                if rc != 0:
                    sys.exit(log)
                if bos:
                    with open(os.path.join(src, "tokenizer_config.json"), "w") as f:
                        f.write(BOS_CONFIG)
                todo = [(t, None) for t in TYPES]
            for typ, kept in todo:
                entry = {"family": name, "source": source, "type": typ}
                if kept:
                    g = src
                    entry["file"] = kept
                else:
                    g = os.path.join(tmp, "%s-%s.gguf" % (name, typ))
                    rc, log = run([xent, "export", "gguf", "--model", src, "--out", g, "--type", typ])
                    if rc != 0:
                        entry["error"] = "xent export gguf: " + last_lines(log)
                        golden["models"].append(entry)
                        continue
                    files[typ] = g
                entry["sha256"] = sha256(g)
                res, out = perplexity(args, g, text)
                entry.update(res)
                if source.startswith("file:"):
                    entry.update(float_attention(args, g, text))
                if "error" not in res and not any(m["family"] == name and "tokens" in m for m in golden["models"]):
                    rc, ids = run([os.path.join(args.bin, "llama-tokenize"), "-m", g, "-f", text, "--ids", "--no-bos", "--log-disable"])
                    m = re.search(r"\[[0-9, ]*\]", ids)
                    if rc == 0 and m:
                        toks = json.loads(m.group(0))
                        entry["tokens"] = len(toks)
                        entry["token_ids_sha256"] = hashlib.sha256(",".join(map(str, toks)).encode()).hexdigest()
                    else:
                        entry["tokenize_error"] = "llama-tokenize exit %d: %s" % (rc, last_lines(ids))
                print(name, typ, {k: v for k, v in entry.items() if k != "chunks"}, flush=True)
                golden["models"].append(entry)
            if name in KL_FAMILIES and "f16" in files:
                q4 = os.path.join(tmp, "%s-q4_k_m.gguf" % name)
                rc, log = run([os.path.join(args.bin, "llama-quantize"), files["f16"], q4, "Q4_K_M"])
                if rc != 0:
                    golden["kl"].append({"family": name, "type": "q4_k_m", "error": "llama-quantize: " + last_lines(log)})
                else:
                    kept = "%s-q4_k_m.gguf" % name
                    shutil.copyfile(q4, os.path.join(HERE, kept))
                    files["q4_k_m"] = q4
                    entry = {"family": name, "source": source, "type": "q4_k_m", "file": kept, "sha256": sha256(q4)}
                    res, _ = perplexity(args, q4, text)
                    entry.update(res)
                    entry.update(float_attention(args, q4, text))
                    print(name, "q4_k_m", {k: v for k, v in entry.items() if k != "chunks"}, flush=True)
                    golden["models"].append(entry)
                base = os.path.join(tmp, name + ".kld")
                res, out = perplexity(args, files["f16"], text, ["--kl-divergence-base", base])
                for typ in ("q8_0", "q4_k_m"):
                    if typ not in files:
                        continue
                    res, out = perplexity(args, files[typ], text, ["--kl-divergence-base", base, "--kl-divergence"])
                    entry = {"family": name, "source": source, "base": "f16", "type": typ}
                    entry.update(kl_stats(out) if "error" not in res else res)
                    print(name, "kl", typ, entry, flush=True)
                    golden["kl"].append(entry)
        dst = os.path.join(HERE, "goldens.json")
        if only and os.path.exists(dst):
            # A subset: the other families' goldens are kept, when the same
            # llama.cpp made them (families no longer listed are dropped).
            names = {n for n, _, _ in FAMILIES}
            with open(dst) as f:
                old = json.load(f)
            if old["llama_cpp_commit"] != args.commit:
                sys.exit("gen.py: goldens.json is from llama.cpp %s, not %s: regenerate every family" % (old["llama_cpp_commit"], args.commit))
            for key in ("models", "kl"):
                golden[key] = [e for e in old[key] if e["family"] not in only and e["family"] in names] + golden[key]
        with open(dst + ".tmp", "w") as f:
            json.dump(golden, f, indent=1)
            f.write("\n")
        os.replace(dst + ".tmp", dst)
        print("wrote", dst)
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
