"""Generate loss/testdata/divergence/divergence.json: float64 reference values for
entropy, cross-entropy, KL, reverse KL, Jensen-Shannon and distillation loss.

Run from the repository root with Debian's PyTorch:

    /usr/bin/python3 loss/testdata/divergence/gen.py

Inputs are generated in float32 (fixed seed) and written exactly; all math is
done in float64 with torch on those exact float32 values.  The output is
deterministic.  See CONVENTIONS below (also stored in the JSON header).
"""

import json
import math
import os
import sys

import torch
import torch.nn.functional as F

SEED = 20240611
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "divergence.json")

CONVENTIONS = """\
Layout: a and b are row-major [n, v] float32 values (JSON numbers that are the exact float64 value of the float32, so parsing as float64 and converting to float32 is lossless). Non-finite numbers (inputs or expected) are written as the JSON strings "inf", "-inf", "nan". All expected values are float64 computed in float64 from the exact float32 inputs. Logs are natural (nats). Per-row lists have length n; distill_dstudent is row-major [n*v].
Distributions: input "logits": p = softmax(a) row-wise, q = softmax(b), log p = log_softmax(a), log q = log_softmax(b) (a -inf logit gives probability exactly 0). input "probs": p = a and q = b taken as given, WITHOUT renormalising (rows are float32 casts of softmax outputs and need not sum to exactly 1; some entries are exactly 0), log p = log(a).
Convention 0*log 0 = 0 and more generally every term whose weight is 0 is 0: a sum over j of w_j * f_j skips j where w_j == 0 (even if f_j is -inf or nan). A positive weight times a -inf log gives an infinite result ("inf").
entropy_a[i] = -sum_j p_ij log p_ij.
cross_entropy[i] = -sum_j p_ij log q_ij.
kl[i] = KL(p||q) = sum_j p_ij (log p_ij - log q_ij) (computed directly, not as cross_entropy - entropy_a).
reverse_kl[i] = KL(q||p) = sum_j q_ij (log q_ij - log p_ij).
js[i] = 0.5 KL(p||m) + 0.5 KL(q||m), m = (p+q)/2, log m = logaddexp(log p, log q) - log 2; in nats, always finite, in [0, log 2] for normalised rows.
Distillation (logits cases only; a = teacher logits, b = student logits, T = case temperature; probs cases carry temperature 1 which is unused): pT = softmax(a/T), log pT = log_softmax(a/T), log qT = log_softmax(b/T); distill_loss (scalar) = T^2 * (1/n) * sum_i sum_j pT_ij (log pT_ij - log qT_ij) ("batchmean"), equal to F.kl_div(F.log_softmax(b/T,-1), F.log_softmax(a/T,-1), reduction='batchmean', log_target=True) * T*T whenever a has no -inf (where a has -inf PyTorch's kl_div returns nan from 0*(-inf); here the 0-weight convention applies and the value is finite). distill_dstudent = d distill_loss / d b via float64 autograd, which equals (T/n) * (softmax(b/T) - softmax(a/T)). Reverse distillation (logits cases whose a has no -inf): qT = softmax(b/T); distill_reverse_loss = T^2 * (1/n) * sum_i sum_j qT_ij (log qT_ij - log pT_ij), equal to F.kl_div(F.log_softmax(a/T,-1), F.log_softmax(b/T,-1), reduction='batchmean', log_target=True) * T*T; distill_reverse_dstudent = its gradient with respect to b via float64 autograd, which equals (T/n) * qT * (log qT - log pT - KL(qT||pT) of the row).
Inputs: small cases n 3-6, v 5-40; one wide case n=2, v=3001; one logits case with extreme values (+-1e4 and other large finite logits, -inf entries in a only, no row all -inf; its reverse_kl is "inf" on rows where a has -inf since q > 0 there, finite on its last row which has no -inf); probs cases with exact zeros (made by -inf logits before the softmax; rows where both p and q are 0 at the same positions are finite; one row where only p has zeros gives reverse_kl "inf"; one row where only q has zeros gives cross_entropy and kl "inf")."""

GEN = torch.Generator().manual_seed(SEED)


def randn32(n, v, scale=1.0):
    x = torch.randn(n, v, generator=GEN, dtype=torch.float64) * scale
    return x.to(torch.float32)


def softmax32(n, v, scale=1.0):
    """Probability rows: softmax of random logits, cast to float32 (not renormalised)."""
    return torch.softmax(randn32(n, v, scale).double(), dim=-1).to(torch.float32)


def wsum(w, f):
    """sum_j w_j * f_j with terms where w_j == 0 dropped (0*anything = 0)."""
    zero = torch.zeros((), dtype=w.dtype)
    return torch.where(w > 0, w * torch.where(w > 0, f, zero), zero).sum(-1)


def log_of(x, kind):
    if kind == "logits":
        return torch.log_softmax(x, dim=-1)
    return torch.log(x)  # log(0) = -inf; weights of 0 are dropped in wsum


def reference(a32, b32, kind, T):
    a = a32.double()
    b = b32.double()
    if kind == "logits":
        p, q = torch.softmax(a, -1), torch.softmax(b, -1)
    else:
        p, q = a, b
    lp, lq = log_of(a, kind), log_of(b, kind)
    lm = torch.logaddexp(lp, lq) - math.log(2.0)
    exp = {
        "entropy_a": -wsum(p, lp),
        "cross_entropy": -wsum(p, lq),
        "kl": wsum(p, lp - lq),
        "reverse_kl": wsum(q, lq - lp),
        "js": 0.5 * wsum(p, lp - lm) + 0.5 * wsum(q, lq - lm),
    }
    # wsum(p, lp - lq) can see inf - inf = nan only where p == 0 (dropped).
    for k in exp:
        assert not torch.isnan(exp[k]).any(), k

    out = {k: v.tolist() for k, v in exp.items()}

    # Cross-checks against independent PyTorch formulations where applicable.
    finite_rows = torch.isfinite(exp["cross_entropy"])
    if kind == "logits" and finite_rows.all():
        ce = F.cross_entropy(b, p, reduction="none")  # soft targets
        assert torch.allclose(ce, exp["cross_entropy"], rtol=1e-12, atol=1e-9), (ce, exp["cross_entropy"])
    if torch.isfinite(exp["kl"]).all() and torch.isfinite(exp["entropy_a"]).all():
        d = exp["cross_entropy"] - exp["entropy_a"]
        scale = 1.0 + exp["cross_entropy"].abs()
        assert ((d - exp["kl"]).abs() <= 1e-9 * scale).all(), (d, exp["kl"])
    assert (exp["js"] >= -1e-15).all() and torch.isfinite(exp["js"]).all()

    if kind == "logits":
        n = a.shape[0]
        bb = b.clone().requires_grad_(True)
        lpT = torch.log_softmax(a / T, -1)
        pT = torch.softmax(a / T, -1)
        lqT = torch.log_softmax(bb / T, -1)
        loss = wsum(pT, lpT - lqT).sum() / n * (T * T)
        (g,) = torch.autograd.grad(loss, bb)
        assert torch.isfinite(loss) and torch.isfinite(g).all()
        g_ref = (T / n) * (torch.softmax(b / T, -1) - pT)
        assert torch.allclose(g, g_ref, rtol=1e-10, atol=1e-15), (g - g_ref).abs().max()
        if not torch.isinf(a).any():
            kd = F.kl_div(F.log_softmax(b / T, -1), F.log_softmax(a / T, -1),
                          reduction="batchmean", log_target=True) * T * T
            assert abs(kd.item() - loss.item()) <= 1e-12 * (1 + abs(loss.item())), (kd, loss)
        out["distill_loss"] = loss.item()
        out["distill_dstudent"] = g.reshape(-1).tolist()
        if not torch.isinf(a).any():
            # The reverse direction, KL(qT || pT), by autograd, against its
            # closed form and F.kl_div with the arguments swapped.
            bb = b.clone().requires_grad_(True)
            lqT = torch.log_softmax(bb / T, -1)
            qT = torch.softmax(bb / T, -1)
            rloss = (qT * (lqT - lpT)).sum() / n * (T * T)
            (rg,) = torch.autograd.grad(rloss, bb)
            assert torch.isfinite(rloss) and torch.isfinite(rg).all()
            q0, lq0 = torch.softmax(b / T, -1), torch.log_softmax(b / T, -1)
            rkl = (q0 * (lq0 - lpT)).sum(-1, keepdim=True)
            rg_ref = (T / n) * q0 * (lq0 - lpT - rkl)
            assert torch.allclose(rg, rg_ref, rtol=1e-10, atol=1e-15), (rg - rg_ref).abs().max()
            kd = F.kl_div(lpT, lq0, reduction="batchmean", log_target=True) * T * T
            assert abs(kd.item() - rloss.item()) <= 1e-12 * (1 + abs(rloss.item())), (kd, rloss)
            out["distill_reverse_loss"] = rloss.item()
            out["distill_reverse_dstudent"] = rg.reshape(-1).tolist()
    return out


def enc(x):
    """JSON value for a float: exact repr for finite, string for non-finite."""
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0.0:
        return 0.0  # write -0.0 as 0.0
    return x  # json uses float.__repr__, the shortest exact round-trip form


def enc_tree(o):
    if isinstance(o, dict):
        return {k: enc_tree(v) for k, v in o.items()}
    if isinstance(o, list):
        return [enc_tree(v) for v in o]
    if isinstance(o, float):
        return enc(o)
    return o


def make_case(name, a32, b32, kind, T=1.0):
    assert a32.dtype == torch.float32 and b32.dtype == torch.float32 and a32.shape == b32.shape
    n, v = a32.shape
    if kind == "logits":
        assert not torch.isnan(a32).any() and not torch.isnan(b32).any()
        assert (torch.isfinite(a32).any(-1)).all(), "row of a all -inf"
        assert torch.isfinite(b32).all(), "keep student logits finite"
    else:
        assert (a32 >= 0).all() and (b32 >= 0).all()
    return {
        "name": name,
        "n": n,
        "v": v,
        "a": [enc(x) for x in a32.reshape(-1).tolist()],
        "b": [enc(x) for x in b32.reshape(-1).tolist()],
        "input": kind,
        "temperature": float(T),
        "expected": enc_tree(reference(a32, b32, kind, float(T))),
    }


def extreme_case():
    n, v = 5, 12
    inf = float("inf")
    a = randn32(n, v, 1e4)
    # row 0: large random logits, three -inf entries
    a[0, [1, 5, 9]] = -inf
    # row 1: single finite entry at -1e4, everything else -inf (p is one-hot)
    a[1, :] = -inf
    a[1, 7] = -1e4
    # row 2: near-ties at +1e4 (in float32), +-1e4 and -inf
    a[2, :] = torch.tensor([1e4, 9999.0, -1e4, -inf, 9997.5, 1e4, -1e4, 0.0, -inf, 9999.5, -1e4, 1e4])
    # row 3: all +1e4 except -inf entries (uniform over the finite ones)
    a[3, :] = 1e4
    a[3, [0, 3, 4, 10]] = -inf
    # row 4: moderate logits with +1e4 and -1e4 but no -inf (finite reverse_kl)
    a[4, :] = randn32(1, v, 3.0)[0]
    a[4, 2] = 9999.0
    a[4, 6] = 1e4
    a[4, 8] = -1e4
    b = randn32(n, v, 1e4)
    b[2, :] = torch.tensor([-1e4, 1e4, 1e4, 9999.0, -1e4, 9998.0, 0.0, -1e4, 1e4, 1.0, -1.0, 9999.5])
    b[4, :] = randn32(1, v, 2.0)[0]
    b[4, 11] = -1e4
    return make_case("logits_extreme_pm1e4_neginf", a.to(torch.float32), b.to(torch.float32), "logits", 2.0)


def probs_zero_case():
    """Probability rows with exact zeros, made by -inf logits before the
    softmax (so the float32 rows still sum to ~1)."""
    n, v = 5, 16
    inf = float("inf")
    la = randn32(n, v, 2.0).double()
    lb = randn32(n, v, 2.0).double()
    # rows 0-2: zeros at shared positions in both p and q (all finite)
    for i, cols in enumerate([[0, 3], [5, 6, 7, 15], [2]]):
        la[i, cols] = -inf
        lb[i, cols] = -inf
    # row 3: zeros only in p (reverse_kl = inf, kl finite)
    la[3, [1, 9]] = -inf
    # row 4: zeros only in q (cross_entropy = kl = inf, reverse_kl finite)
    lb[4, [4, 12, 13]] = -inf
    a = torch.softmax(la, -1).to(torch.float32)
    b = torch.softmax(lb, -1).to(torch.float32)
    return make_case("probs_with_zeros", a, b, "probs")


def build():
    cases = []
    cases.append(make_case("logits_n3_v5_T1", randn32(3, 5), randn32(3, 5), "logits", 1.0))
    cases.append(make_case("logits_n4_v17_T2", randn32(4, 17, 2.0), randn32(4, 17, 2.0), "logits", 2.0))
    cases.append(make_case("logits_n5_v40_T4", randn32(5, 40, 3.0), randn32(5, 40, 3.0), "logits", 4.0))
    cases.append(make_case("logits_n6_v8_T1_scale10", randn32(6, 8, 10.0), randn32(6, 8, 10.0), "logits", 1.0))
    # near-uniform rows with a large common offset (tests max-subtraction / cancellation)
    cases.append(make_case("logits_n3_v33_T4_offset",
                           (randn32(3, 33, 0.01).double() + 300.0).to(torch.float32),
                           (randn32(3, 33, 0.01).double() - 200.0).to(torch.float32), "logits", 4.0))
    # identical a and b: kl = reverse_kl = js = 0, cross_entropy = entropy_a, zero gradient
    same = randn32(4, 6)
    cases.append(make_case("logits_n4_v6_T2_identical", same, same.clone(), "logits", 2.0))
    cases.append(make_case("logits_wide_n2_v3001_T2", randn32(2, 3001, 2.0), randn32(2, 3001, 2.0), "logits", 2.0))
    cases.append(extreme_case())
    cases.append(make_case("probs_n3_v5", softmax32(3, 5), softmax32(3, 5), "probs"))
    cases.append(make_case("probs_n4_v24_peaked", softmax32(4, 24, 4.0), softmax32(4, 24, 4.0), "probs"))
    cases.append(probs_zero_case())
    return {
        "generator": "loss/testdata/divergence/gen.py (PyTorch %s, float64 math on float32 inputs, seed %d); "
                     "regenerate with: /usr/bin/python3 loss/testdata/divergence/gen.py" % (torch.__version__, SEED),
        "conventions": CONVENTIONS,
        "cases": cases,
    }


def check(path):
    """Reload the file and verify inputs round-trip to float32 and shapes match."""
    with open(path) as f:
        doc = json.load(f)

    def dec(x):
        return float(x) if isinstance(x, str) else x

    for c in doc["cases"]:
        n, v = c["n"], c["v"]
        for key in ("a", "b"):
            vals = [dec(x) for x in c[key]]
            assert len(vals) == n * v
            t64 = torch.tensor(vals, dtype=torch.float64)
            t32 = t64.to(torch.float32).double()
            same = (t32 == t64) | (torch.isinf(t64) & (t32 == t64))
            assert same.all(), (c["name"], key)
        e = c["expected"]
        for k in ("entropy_a", "cross_entropy", "kl", "reverse_kl", "js"):
            assert len(e[k]) == n, (c["name"], k)
        if c["input"] == "logits":
            assert len(e["distill_dstudent"]) == n * v
            assert isinstance(e["distill_loss"], float)
            if "distill_reverse_loss" in e:
                assert len(e["distill_reverse_dstudent"]) == n * v
        else:
            assert "distill_loss" not in e
    return doc


def main():
    doc = build()
    text = json.dumps(doc, allow_nan=False, separators=(",", ":"))
    with open(OUT, "w") as f:
        f.write(text)
        f.write("\n")
    doc = check(OUT)
    print("wrote %s: %d cases, %d bytes" % (OUT, len(doc["cases"]), os.path.getsize(OUT)))
    for c in doc["cases"]:
        e = c["expected"]
        print("  %-30s %-6s n=%-2d v=%-5d T=%g  kl=%s  js=%s%s" % (
            c["name"], c["input"], c["n"], c["v"], c["temperature"],
            ["%.4g" % x if isinstance(x, float) else x for x in e["kl"]][:3],
            ["%.4g" % x if isinstance(x, float) else x for x in e["js"]][:3],
            ("  distill=%.6g" % e["distill_loss"]) if "distill_loss" in e else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
