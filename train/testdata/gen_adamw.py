"""Goldens for train.AdamW and train.ClipGlobalNorm from PyTorch.

Run: /usr/bin/python3 train/testdata/gen_adamw.py   (Debian's python3-torch 1.13)
Writes adamw.json: 40 float32 parameters, the first 25 with weight decay 0.1
and the rest without (two param groups), 3 AdamW steps with lr 1e-2, 5e-3,
2e-3 and fresh gradients each step; the parameters after each step. Then
clip_grad_norm_(max_norm=1.0) of one gradient vector: its norm and the
clipped values. All math in float32, as the Go side.
"""
import json
import os

import torch

torch.manual_seed(7)
n, nd = 40, 25
p0 = torch.randn(n, dtype=torch.float32)
grads = [torch.randn(n, dtype=torch.float32) * s for s in (1.0, 0.1, 3.0)]
lrs = [1e-2, 5e-3, 2e-3]

a = p0[:nd].clone().requires_grad_(True)
b = p0[nd:].clone().requires_grad_(True)
opt = torch.optim.AdamW([{"params": [a], "weight_decay": 0.1}, {"params": [b], "weight_decay": 0.0}],
                        lr=lrs[0], betas=(0.9, 0.999), eps=1e-8)
after = []
for g, lr in zip(grads, lrs):
    for group in opt.param_groups:
        group["lr"] = lr
    a.grad = g[:nd].clone()
    b.grad = g[nd:].clone()
    opt.step()
    after.append(torch.cat([a.detach(), b.detach()]).tolist())

g = torch.randn(n, dtype=torch.float32) * 2
x = g.clone().requires_grad_(True)
x.grad = g.clone()
norm = torch.nn.utils.clip_grad_norm_([x], max_norm=1.0)

out = {
    "generator": "train/testdata/gen_adamw.py, PyTorch %s" % torch.__version__,
    "n": n, "decayed": nd, "weight_decay": 0.1, "lrs": lrs,
    "params": p0.tolist(), "grads": [t.tolist() for t in grads], "after": after,
    "clip": {"max_norm": 1.0, "grad": g.tolist(), "norm": float(norm), "clipped": x.grad.tolist()},
}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "adamw.json"), "w") as f:
    json.dump(out, f)
