"""PyTorch side of the family speed comparison (bench/family_eval_run.sh).

What it measures
    One evaluation forward of a Hugging Face model directory that
    bench/tinyhf writes (`go run ./bench/tinyhf -family smollm2-135m -full
    -out DIR`: the real shapes, random bf16 weights), over 1 x CTX token ids
    under torch.no_grad(), followed by what an evaluator does with the
    logits, the per-token NLL of the next token:

        logits = llama(cfg, params, tokens)                  # [1, CTX, V]
        logp = F.log_softmax(logits[0, :-1].float(), dim=-1) # [CTX-1, V]
        nll = -logp.gather(1, tokens[0, 1:, None])

    llama() is the plain-PyTorch twin in model/testdata/gen.py (after
    transformers' modeling_llama.py / modeling_qwen2.py, v4.51), run in the
    dtype the weights are cast to: float32 (--dtype fp32) or bfloat16
    (--dtype bf16, every product and norm in bfloat16, the NLL in float32).

    fp32 products: Debian's python3-torch 1.13 does float32 matmul through
    the system BLAS (BLAS_INFO=generic), which is the netlib reference
    libblas.so.3 unless an optimised one (OpenBLAS) is installed: under 1
    GFLOP/s here. --fp32-matmul onednn (the default) runs the projections
    through the oneDNN library the same build carries
    (torch._C._nn.mkldnn_linear on weights converted once, as
    torch.utils.mkldnn.to_mkldnn converts nn.Linear); --fp32-matmul blas
    keeps x @ W.T. bf16 products go through oneDNN either way.
    The token ids are random (the speed does not depend on them). One
    warm-up pass, then --repeats timed passes (time.perf_counter around
    forward + NLL); tokens/s is CTX over a pass's seconds, min/median/max
    over the passes.

How to run
    /usr/bin/python3 bench/torch_family_eval.py --model DIR --ctx 512 --dtype fp32
    (Debian's python3-torch 1.13; 2 threads unless --threads.)
"""

import argparse
import importlib.util
import json
import os
import platform
import statistics
import struct
import time

import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_spec = importlib.util.spec_from_file_location("model_testdata_gen", os.path.join(ROOT, "model", "testdata", "gen.py"))
model_gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(model_gen)

DTYPES = {"F32": torch.float32, "BF16": torch.bfloat16, "F16": torch.float16}


def read_weights(path, dtype):
    """The tensors of a .safetensors file (F32, BF16 or F16), cast to dtype."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, h in header.items():
        if name == "__metadata__":
            continue
        lo, hi = h["data_offsets"]
        raw = bytearray(data[lo:hi])
        if h["dtype"] == "F32":
            t = torch.frombuffer(raw, dtype=torch.float32)
        else:  # two-byte floats: the bits as int16, viewed as the dtype
            t = torch.frombuffer(raw, dtype=torch.int16).view(DTYPES[h["dtype"]])
        out[name] = t.reshape(h["shape"]).to(dtype)
        del raw
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True, help="a directory with config.json and model.safetensors")
    ap.add_argument("--ctx", type=int, default=512)
    ap.add_argument("--dtype", choices=["fp32", "bf16"], default="fp32")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3, help="timed passes after one warm-up")
    ap.add_argument("--fp32-matmul", choices=["onednn", "blas"], default="onednn",
                    help="fp32 projections through oneDNN or x @ W.T (the system BLAS)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16}[args.dtype]
    with open(os.path.join(args.model, "config.json")) as f:
        cfg = json.load(f)
    if cfg["model_type"] not in ("llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "gemma3_text", "phi3"):
        raise SystemExit(f"model_type {cfg['model_type']}: not a llama-like family")
    params = read_weights(os.path.join(args.model, "model.safetensors"), dtype)
    nparams = sum(t.numel() for t in params.values())
    gen = torch.Generator().manual_seed(1)
    tokens = torch.randint(0, cfg["vocab_size"], (1, args.ctx), generator=gen)

    linear = None
    if args.dtype == "fp32" and args.fp32_matmul == "onednn":
        mk = {}
        for name, t in params.items():
            if name.endswith(".weight") and t.dim() == 2 and name != "model.embed_tokens.weight":
                base = name[: -len(".weight")]
                bias = params.get(base + ".bias", torch.zeros(t.shape[0]))
                mk[base] = (t.to_mkldnn(), bias.to_mkldnn())
        if "lm_head" not in mk:  # tied: the head is the embedding
            head = params["model.embed_tokens.weight"]
            mk["lm_head"] = (head.to_mkldnn(), torch.zeros(head.shape[0]).to_mkldnn())

        def linear(x, name):
            w, b = mk[name]
            y = torch._C._nn.mkldnn_linear(x.reshape(-1, x.shape[-1]).to_mkldnn(), w, b).to_dense()
            return y.reshape(*x.shape[:-1], -1)

    def window():
        logits = model_gen.llama(cfg, params, tokens, linear)
        logp = F.log_softmax(logits[0, :-1].float(), dim=-1)
        return -logp.gather(1, tokens[0, 1:, None]).squeeze(1)

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {platform.processor() or platform.machine()}; "
          f"{os.path.basename(os.path.normpath(args.model))} ({cfg['model_type']}, {nparams / 1e6:.1f}M parameters) "
          f"in {args.dtype}{' (' + args.fp32_matmul + ' products)' if args.dtype == 'fp32' else ''}, ctx {args.ctx}")
    rates = []
    with torch.no_grad():
        nll = window()  # warm-up
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            nll = window()
            rates.append(args.ctx / (time.perf_counter() - t0))
    print(f"mean NLL {nll.mean().item():.4f}")
    print(f"tokens/s min {min(rates):.1f} median {statistics.median(rates):.1f} max {max(rates):.1f} "
          f"({args.repeats} passes)")


if __name__ == "__main__":
    main()
