"""PyTorch side of the `xent eval` speed comparison (bench/eval_run.sh).

What it measures
    One evaluation forward of GPT-2 124M (n_embd 768, 12 layers, 12 heads,
    vocabulary 50257, context 1024; random weights N(0, 0.02), LayerNorm
    weights 1, biases 0, tied output head) over 1 x 1024 token ids, in float32
    under torch.no_grad(), followed by what an evaluator does with the
    logits: the per-token NLL of the next token,

        logits = gpt2(cfg, params, tokens)                  # [1, 1024, 50257]
        logp = F.log_softmax(logits[0, :-1], dim=-1)        # [1023, 50257]
        nll = -logp.gather(1, tokens[0, 1:, None])          # [1023, 1]

    The model is gpt2() from model/testdata/gen.py (plain torch after Hugging
    Face's modeling_gpt2.py; it runs in the dtype of its parameters, here
    float32). One warm-up pass, then --repeats timed passes
    (time.perf_counter around forward + NLL). Throughput is the 1024 input
    tokens of the window per second; min/median/max are over the timed passes
    (min tokens/s comes from the slowest pass).

How to run
    /usr/bin/python3 bench/torch_eval.py                   # 2 threads, 5 repeats
    /usr/bin/python3 bench/torch_eval.py --repeats 1       # a quick check

    Use Debian's PyTorch at /usr/bin/python3. Peak memory is about 1.5 GB
    (weights 0.5 GB, logits and log-probabilities 0.2 GB each).
"""

import argparse
import importlib.util
import os
import platform
import statistics
import time

import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_spec = importlib.util.spec_from_file_location("model_testdata_gen", os.path.join(ROOT, "model", "testdata", "gen.py"))
model_gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(model_gen)

CONFIG = {"model_type": "gpt2", "vocab_size": 50257, "n_embd": 768, "n_layer": 12, "n_head": 12,
          "n_positions": 1024, "layer_norm_epsilon": 1e-5}


def random_gpt2(cfg, gen):
    """Hugging Face-named GPT-2 parameters: matrices and embeddings N(0, 0.02),
    LayerNorm weights 1, all biases 0."""
    C, V, T = cfg["n_embd"], cfg["vocab_size"], cfg["n_positions"]

    def normal(*shape):
        return torch.empty(*shape).normal_(0.0, 0.02, generator=gen)

    p = {"wte.weight": normal(V, C), "wpe.weight": normal(T, C),
         "ln_f.weight": torch.ones(C), "ln_f.bias": torch.zeros(C)}
    for i in range(cfg["n_layer"]):
        pre = f"h.{i}."
        for ln in ("ln_1", "ln_2"):
            p[pre + ln + ".weight"] = torch.ones(C)
            p[pre + ln + ".bias"] = torch.zeros(C)
        for name, n_in, n_out in (("attn.c_attn", C, 3 * C), ("attn.c_proj", C, C),
                                  ("mlp.c_fc", C, 4 * C), ("mlp.c_proj", 4 * C, C)):
            p[pre + name + ".weight"] = normal(n_in, n_out)  # HF Conv1D: [in, out]
            p[pre + name + ".bias"] = torch.zeros(n_out)
    return p


def eval_window(cfg, params, tokens):
    """tokens: [1, T] -> per-token NLL of tokens[0, 1:], [T-1]."""
    logits = model_gen.gpt2(cfg, params, tokens)  # [1, T, V]
    logp = F.log_softmax(logits[0, :-1], dim=-1)  # [T-1, V]
    return -logp.gather(1, tokens[0, 1:, None]).squeeze(1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5, help="timed passes after one warm-up")
    ap.add_argument("--tokens", type=int, default=1024, help="window length (at most 1024)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    gen = torch.Generator().manual_seed(args.seed)
    params = random_gpt2(CONFIG, gen)
    tokens = torch.randint(0, CONFIG["vocab_size"], (1, args.tokens), generator=gen)
    print(f"torch {torch.__version__} on {platform.machine()}, threads {torch.get_num_threads()}, "
          f"GPT-2 124M float32, 1x{args.tokens} tokens, forward + log_softmax + gather")

    seconds = []
    with torch.no_grad():
        for i in range(args.repeats + 1):
            t0 = time.perf_counter()
            nll = eval_window(CONFIG, params, tokens)
            dt = time.perf_counter() - t0
            label = "warm-up" if i == 0 else f"pass {i}"
            print(f"  {label}: {dt:.3f} s, {args.tokens / dt:.1f} tokens/s, mean NLL {nll.mean().item():.4f}")
            if i > 0:
                seconds.append(dt)
    rates = sorted(args.tokens / s for s in seconds)
    print(f"PyTorch eval GPT-2 124M ctx={args.tokens}: tokens/s over {len(rates)} passes: "
          f"min {rates[0]:.1f}  median {statistics.median(rates):.1f}  max {rates[-1]:.1f}")


if __name__ == "__main__":
    main()
