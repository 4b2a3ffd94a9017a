"""Generate study/testdata/hessian/golden.safetensors: PyTorch's exact
Hessian-vector product and Hessian spectrum of a tiny Llama's loss, which
study's finite-difference HessianVector and TopEigenvalue are checked
against.

Run from the repository root with Debian's PyTorch 1.13:

    /usr/bin/python3 study/testdata/hessian/gen.py

The model, its weights and the batch are model/testdata/llama-tied's
(config.json, init.safetensors, batch.json), run through the plain-torch
Llama of model/testdata/gen.py in float64. The loss is the mean
cross-entropy over the batch (ignore index -100). The output holds, for
every parameter, "v.<name>": a unit direction (over all parameters
together) drawn from torch's generator seeded 1, and "hv.<name>": the
exact product H·v by double backward (autograd of ⟨∇L, v⟩); and the
scalars "loss", "lambda_max" and "lambda_min" (the Hessian's largest and
smallest eigenvalue, from the dense Hessian built column by column from
exact products and torch.linalg.eigvalsh), all in float64 arithmetic,
stored as float32.
"""

import json
import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..", "..")
sys.path.insert(0, os.path.join(ROOT, "model", "testdata"))
import gen  # noqa: E402  (model/testdata/gen.py: read_safetensors, write_safetensors, llama)

CASE = os.path.join(ROOT, "model", "testdata", "llama-tied")


def main():
    torch.manual_seed(1)
    with open(os.path.join(CASE, "config.json")) as f:
        cfg = json.load(f)
    with open(os.path.join(CASE, "batch.json")) as f:
        batch = json.load(f)
    p = gen.read_safetensors(os.path.join(CASE, "init.safetensors"))
    names = list(p)
    shapes = [p[n].shape for n in names]
    sizes = [p[n].numel() for n in names]
    B, T = batch["B"], batch["T"]
    tokens = torch.tensor(batch["Tokens"]).view(B, T)
    targets = torch.tensor(batch["Targets"]).view(B * T)

    def loss_of(flat):
        parts = torch.split(flat, sizes)
        q = {n: t.view(s) for n, t, s in zip(names, parts, shapes)}
        logits = gen.llama(cfg, q, tokens)
        return F.cross_entropy(logits.reshape(B * T, -1), targets, ignore_index=-100)

    theta = torch.cat([p[n].reshape(-1) for n in names]).requires_grad_(True)
    loss = loss_of(theta)
    (g,) = torch.autograd.grad(loss, theta, create_graph=True)

    def hvp(v):
        (hv,) = torch.autograd.grad(g, theta, grad_outputs=v, retain_graph=True)
        return hv

    v = torch.randn(theta.numel(), dtype=torch.float64)
    v /= v.norm()
    v = v.to(torch.float32).to(torch.float64)  # the direction exactly as Go reads it back
    hv = hvp(v)
    n = theta.numel()
    H = torch.empty(n, n, dtype=torch.float64)
    for i in range(n):
        e = torch.zeros(n, dtype=torch.float64)
        e[i] = 1
        H[:, i] = hvp(e)
    H = (H + H.T) / 2
    ev = torch.linalg.eigvalsh(H)
    out = {"loss": loss.detach().reshape(1), "lambda_max": ev[-1].reshape(1), "lambda_min": ev[0].reshape(1)}
    for name, a, b, s in zip(names, torch.split(v, sizes), torch.split(hv, sizes), shapes):
        out["v." + name] = a.view(s)
        out["hv." + name] = b.view(s)
    gen.write_safetensors(os.path.join(HERE, "golden.safetensors"), out)
    print(f"{n} parameters: loss {loss.item():.6f}, λ_max {ev[-1].item():.6f}, λ_min {ev[0].item():.6f}, next {ev[-2].item():.6f}")


if __name__ == "__main__":
    main()
