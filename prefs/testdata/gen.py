#!/usr/bin/python3
"""Goldens for package prefs, in float64, from PyTorch autograd.

Run:  /usr/bin/python3 prefs/testdata/gen.py   (PyTorch 1.13; writes goldens.json)

Each loss is written the way its reference computes it:
  - DPO, KTO, ORPO, CPO/SimPO: Hugging Face TRL v0.24.0, trl/trainer/
    {dpo,kto,orpo,cpo}_trainer.py (dpo_loss, kto_loss, odds_ratio_loss +
    get_batch_loss_metrics, cpo_loss + get_batch_loss_metrics);
  - KL estimators, shaped reward, PPO policy and value losses: OpenRLHF
    v0.9.9, openrlhf/models/utils.py (compute_approx_kl, compute_reward) and
    openrlhf/models/loss.py (PolicyLoss, ValueLoss).

Where TRL's literal expression rounds in float64 the generator uses the
mathematically equal stable form, so that the goldens are exact at the
extreme cases too:
  - KTO: 1 - sigmoid(x) is written exp(logsigmoid(-x)) (TRL's form is 0
    for x > 37 where the true value is e^-x, and autograd's sigmoid
    backward, σ·(1 − σ), rounds to 0 there too);
  - ORPO: log1p(-exp(x)) is written log1mexp(x) = log(-expm1(x)) for
    x > -ln 2, log1p(-exp(x)) below (TRL's form keeps ~6 digits at x = -1e-10);
  - k3: exp(-d) - 1 + d is written expm1(-d) + d (the literal form keeps
    ~3 digits at d = 1e-6).
Two autograd artefacts are replaced by the true derivative 0 (marked by
"nan_grad_zeroed" in the case): where OpenRLHF's clamp holds the k3 estimate
and exp(-d) overflowed, and where PPO's ratio exp(d) overflowed but the
clipped branch won; autograd there multiplies a zero gradient by +inf.

Losses are the objectives the trainers minimise (the mean over the batch,
plus the NLL term for ORPO and CPO); gradients are d loss / d input. The
per-example losses of KTO are in input order (TRL concatenates the
desirable ones first; the mean is the same).
"""

import json
import math
import os

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
gen = torch.Generator().manual_seed(20261201)


def rand(*shape, lo=-1.0, hi=1.0):
    return lo + (hi - lo) * torch.rand(*shape, generator=gen)


def leaf(xs):
    return torch.tensor(xs, dtype=torch.float64, requires_grad=True)


def lst(t):
    return [float(x) for x in t.detach().reshape(-1)]


def grad_of(x):
    return lst(x.grad) if x.grad is not None else [0.0] * x.numel()


# ---------------------------------------------------------------- DPO


def dpo_loss(pc, pr, rc, rr, beta, ls, loss_type, reference_free):
    logratios = pc - pr
    if reference_free:
        ref_logratios = torch.tensor([0.0])
    else:
        ref_logratios = rc - rr
    logits = logratios - ref_logratios
    if loss_type == "sigmoid":
        losses = -F.logsigmoid(beta * logits) * (1 - ls) - F.logsigmoid(-beta * logits) * ls
    elif loss_type == "robust":
        losses = (-F.logsigmoid(beta * logits) * (1 - ls) + F.logsigmoid(-beta * logits) * ls) / (1 - 2 * ls)
    elif loss_type == "hinge":
        losses = torch.relu(1 - beta * logits)
    elif loss_type == "ipo":
        losses = (logits - 1 / (2 * beta)) ** 2
    else:
        raise ValueError(loss_type)
    refc = torch.zeros_like(pc) if reference_free else rc
    refr = torch.zeros_like(pr) if reference_free else rr
    chosen_rewards = beta * (pc - refc).detach()
    rejected_rewards = beta * (pr - refr).detach()
    return losses, chosen_rewards, rejected_rewards


def dpo_case(name, beta, loss_type, ls, reference_free, pc, pr, rc, rr):
    pc, pr = leaf(pc), leaf(pr)
    rc, rr = torch.tensor(rc), torch.tensor(rr)
    losses, cr, rjr = dpo_loss(pc, pr, rc, rr, beta, ls, loss_type, reference_free)
    loss = losses.mean()
    loss.backward()
    return dict(name=name, beta=beta, type=loss_type, label_smoothing=ls, reference_free=reference_free,
                policy_chosen=lst(pc), policy_rejected=lst(pr), ref_chosen=lst(rc), ref_rejected=lst(rr),
                losses=lst(losses), chosen_rewards=lst(cr), rejected_rewards=lst(rjr), loss=float(loss),
                grad_chosen=grad_of(pc), grad_rejected=grad_of(pr))


def seq_logps(n, lo=-60.0, hi=-2.0):
    return lst(rand(n, lo=lo, hi=hi))


def dpo_cases():
    cases = []
    n = 8
    pc, pr, rc, rr = seq_logps(n), seq_logps(n), seq_logps(n), seq_logps(n)
    for loss_type, ls in [("sigmoid", 0.0), ("sigmoid", 0.1), ("sigmoid", 0.5), ("robust", 0.0), ("robust", 0.2),
                          ("robust", 0.45), ("hinge", 0.0)]:
        for beta in [0.1, 0.5]:
            cases.append(dpo_case(f"{loss_type}_eps{ls}_beta{beta}", beta, loss_type, ls, False, pc, pr, rc, rr))
    # hinge: both sides of the kink (β z = 1 at z = 10 for β = 0.1)
    cases.append(dpo_case("hinge_kink_sides", 0.1, "hinge", 0.0, False,
                          [-5.0, -5.0, -5.0, -5.0], [-20.0, -14.0, -16.0, -5.0],
                          [-3.0, -3.0, -3.0, -3.0], [-3.0, -3.0, -3.0, -9.0]))
    # IPO works on length-averaged log-probabilities
    avg = lambda: lst(rand(n, lo=-6.0, hi=-0.2))
    cases.append(dpo_case("ipo_beta0.1", 0.1, "ipo", 0.0, False, avg(), avg(), avg(), avg()))
    cases.append(dpo_case("ipo_beta1", 1.0, "ipo", 0.0, False, avg(), avg(), avg(), avg()))
    for loss_type, ls in [("sigmoid", 0.0), ("sigmoid", 0.1), ("hinge", 0.0)]:
        cases.append(dpo_case(f"reference_free_{loss_type}_eps{ls}", 0.1, loss_type, ls, True, pc, pr, [], []))
    # extreme log-ratios: margins of ±1e3 and beyond, every loss type
    xc = [-1.0, -1001.0, -3.0, -2003.0]
    xr = [-1001.0, -1.0, -2003.0, -3.0]
    zr = [-500.0, -500.0, -1000.0, -1000.0]
    for loss_type, ls in [("sigmoid", 0.0), ("sigmoid", 0.1), ("robust", 0.3), ("hinge", 0.0), ("ipo", 0.0)]:
        for beta in [0.1, 1.0]:
            cases.append(dpo_case(f"extreme_{loss_type}_eps{ls}_beta{beta}", beta, loss_type, ls, False,
                                  xc, xr, zr, zr))
    cases.append(dpo_case("extreme_reference_free", 1.0, "sigmoid", 0.0, True, xc, xr, [], []))
    return cases


# ---------------------------------------------------------------- KTO


def kto_case(name, beta, wd, wu, policy, ref, desirable, policy_kl, ref_kl):
    p = leaf(policy)
    r = torch.tensor(ref)
    d = torch.tensor(desirable)
    if policy_kl:
        kl = (torch.tensor(policy_kl) - torch.tensor(ref_kl)).mean().detach().clamp(min=0)
    else:
        kl = torch.zeros(1)[0]
    logratios = p - r
    chosen = wd * torch.exp(F.logsigmoid(-beta * (logratios - kl)))  # 1 - sigmoid(beta (r - KL))
    rejected = wu * torch.exp(F.logsigmoid(-beta * (kl - logratios)))  # 1 - sigmoid(beta (KL - r))
    losses = torch.where(d, chosen, rejected)
    loss = losses.mean()
    loss.backward()
    return dict(name=name, beta=beta, desirable_weight=wd, undesirable_weight=wu, policy=lst(p), ref=lst(r),
                desirable=[bool(x) for x in desirable], policy_kl=policy_kl, ref_kl=ref_kl,
                losses=lst(losses), rewards=lst(beta * logratios.detach()), kl=float(kl), loss=float(loss),
                grad=grad_of(p))


def kto_cases():
    n = 10
    policy, ref = seq_logps(n), seq_logps(n)
    desirable = [bool(x) for x in (torch.rand(n, generator=gen) < 0.5).tolist()]
    desirable[0], desirable[1] = True, False
    pkl, rkl = seq_logps(n), seq_logps(n)
    # a KL estimate that is positive (policy above reference on the mismatched pairs)
    pkl_pos = [x + 3.0 for x in rkl]
    cases = [
        kto_case("mixed_kl_clamped_or_not", 0.1, 1.0, 1.0, policy, ref, desirable, pkl, rkl),
        kto_case("positive_kl", 0.1, 1.0, 1.0, policy, ref, desirable, pkl_pos, rkl),
        kto_case("weights_1.33_1_beta0.5", 0.5, 1.33, 1.0, policy, ref, desirable, pkl_pos, rkl),
        kto_case("no_kl_pairs", 0.1, 1.0, 1.0, policy, ref, desirable, [], []),
        kto_case("extreme", 1.0, 1.0, 1.0, [-1.0, -1001.0, -1.0, -1001.0, -1.0], [-1001.0, -1.0, -1001.0, -1.0, -500.0],
                 [True, True, False, False, True], [-10.0, -12.0], [-11.0, -12.5]),
        kto_case("extreme_beta0.1", 0.1, 1.0, 0.8, [-1.0, -1001.0, -1.0, -1001.0], [-1001.0, -1.0, -1001.0, -1.0],
                 [True, True, False, False], [-4.0], [-4.0]),
    ]
    return cases


# ---------------------------------------------------------------- ORPO


def log1mexp(x):
    return torch.where(x > -math.log(2), torch.log(-torch.expm1(x)), torch.log1p(-torch.exp(x)))


def orpo_case(name, lam, pc, pr, lengths):
    pc, pr = leaf(pc), leaf(pr)
    n = torch.tensor(lengths, dtype=torch.float64)
    log_odds = (pc - pr) - (log1mexp(pc) - log1mexp(pr))
    ratio = F.logsigmoid(log_odds)
    losses = lam * ratio
    nll = -(pc * n).sum() / n.sum()  # token-mean cross-entropy of the chosen completions
    loss = nll - losses.mean()
    loss.backward()
    return dict(name=name, lambda_=lam, policy_chosen=lst(pc), policy_rejected=lst(pr), chosen_lengths=lengths,
                losses=lst(-losses), chosen_rewards=lst(lam * pc.detach()), rejected_rewards=lst(lam * pr.detach()),
                nll=float(nll), loss=float(loss), log_odds_ratio=float(ratio.mean()),
                log_odds_chosen=float(log_odds.mean()), grad_chosen=grad_of(pc), grad_rejected=grad_of(pr))


def orpo_cases():
    n = 8
    pc, pr = lst(rand(n, lo=-4.0, hi=-0.05)), lst(rand(n, lo=-4.0, hi=-0.05))
    lengths = [int(x) for x in torch.randint(1, 40, (n,), generator=gen)]
    return [
        orpo_case("lambda0.1", 0.1, pc, pr, lengths),
        orpo_case("lambda1", 1.0, pc, pr, lengths),
        # probabilities near 1, and log-ratios of ±1e3
        orpo_case("near_one", 0.1, [-1e-9, -1e-12, -0.5, -1e-15, -1e3, -1e-10],
                  [-1e-12, -1e-9, -1e-14, -2.0, -1e-10, -1e3], [3, 7, 1, 12, 5, 9]),
        orpo_case("near_one_lambda1", 1.0, [-1e-9, -1e-12, -1e-6, -1e3], [-1e-12, -1e-9, -1e3, -1e-6], [2, 2, 30, 4]),
    ]


# ---------------------------------------------------------------- CPO / SimPO


def cpo_case(name, beta, gamma, ls, alpha, simpo, pc, pr, lengths):
    pc, pr = leaf(pc), leaf(pr)
    n = torch.tensor(lengths, dtype=torch.float64)
    logits = pc - pr
    if simpo:
        logits = logits - gamma / beta
    losses = -F.logsigmoid(beta * logits) * (1 - ls) - F.logsigmoid(-beta * logits) * ls
    tokens = pc * n if simpo else pc  # summed log-probability of each chosen completion
    nll = -tokens.sum() / n.sum()
    loss = losses.mean() + alpha * nll
    loss.backward()
    return dict(name=name, beta=beta, gamma=gamma, label_smoothing=ls, alpha=alpha, simpo=simpo,
                policy_chosen=lst(pc), policy_rejected=lst(pr), chosen_lengths=lengths, losses=lst(losses),
                chosen_rewards=lst(beta * pc.detach()), rejected_rewards=lst(beta * pr.detach()),
                nll=float(nll) if alpha != 0 else 0.0, loss=float(loss), grad_chosen=grad_of(pc),
                grad_rejected=grad_of(pr))


def cpo_cases():
    n = 8
    lengths = [int(x) for x in torch.randint(1, 40, (n,), generator=gen)]
    sc, sr = seq_logps(n), seq_logps(n)
    ac, ar = lst(rand(n, lo=-5.0, hi=-0.1)), lst(rand(n, lo=-5.0, hi=-0.1))
    xc, xr = [-1.0, -1001.0, -2.0, -3000.0], [-1001.0, -1.0, -2002.0, -1.0]
    return [
        cpo_case("cpo_alpha1", 0.1, 0.0, 0.0, 1.0, False, sc, sr, lengths),
        cpo_case("cpo_alpha0_eps0.1", 0.1, 0.0, 0.1, 0.0, False, sc, sr, lengths),
        cpo_case("simpo_beta2_gamma0.5", 2.0, 0.5, 0.0, 0.0, True, ac, ar, lengths),
        cpo_case("simpo_beta2.5_gamma1.4_alpha1", 2.5, 1.4, 0.0, 1.0, True, ac, ar, lengths),
        cpo_case("simpo_eps0.2", 2.0, 0.5, 0.2, 0.0, True, ac, ar, lengths),
        cpo_case("extreme_cpo", 1.0, 0.0, 0.0, 1.0, False, xc, xr, [3, 40, 2, 100]),
        cpo_case("extreme_simpo", 2.0, 0.5, 0.1, 0.0, True, xc, xr, [3, 40, 2, 100]),
    ]


# ---------------------------------------------------------------- sequence log-probabilities


def seqlogp_cases():
    cases = []
    B, T = 4, 9
    tok = rand(B * T, lo=-8.0, hi=-0.01)
    # prompts of different lengths, then the completion, then padding
    starts, ends = [2, 0, 5, 3], [7, 9, 6, 9]
    mask = [[starts[b] <= t < ends[b] for t in range(T)] for b in range(B)]
    up = rand(B, lo=-2.0, hi=2.0)
    for average in [False, True]:
        x = tok.clone().reshape(B, T).requires_grad_(True)
        m = torch.tensor(mask, dtype=torch.float64)
        s = (x * m).sum(-1)
        if average:
            s = s / m.sum(-1)
        (s * up).sum().backward()
        cases.append(dict(name=f"average_{average}", B=B, T=T, average=average, token_logps=lst(tok),
                          mask=[v for row in mask for v in row], upstream=lst(up), logps=lst(s),
                          lengths=[ends[b] - starts[b] for b in range(B)], grad=grad_of(x)))
    return cases


# ---------------------------------------------------------------- RLHF (OpenRLHF v0.9.9)


def compute_approx_kl(log_probs, log_probs_base, kl_estimator):
    log_ratio = log_probs - log_probs_base  # OpenRLHF casts to float32 (.float()); the goldens stay float64
    if kl_estimator == "k1":
        pass
    elif kl_estimator == "k2":
        log_ratio = log_ratio ** 2 / 2.0
    elif kl_estimator == "k3":
        log_ratio = torch.expm1(-log_ratio) + log_ratio  # (-log_ratio).exp() - 1 + log_ratio
    return log_ratio.clamp(min=-10, max=10)


def kl_cases():
    cases = []
    n = 12
    logp = lst(rand(n, lo=-6.0, hi=-0.01))
    ref = lst(rand(n, lo=-6.0, hi=-0.01))
    # extreme: d = ±1e3, and values where the clamp holds
    xlogp = [-1.0, -1001.0, -0.5, -30.0, -2.0, -1e-3]
    xref = [-1001.0, -1.0, -20.0, -0.5, -2.0 + 1e-6, -1e-3 - 1e-7]
    for est in ["k1", "k2", "k3"]:
        for tag, lp, rp in [("random", logp, ref), ("extreme", xlogp, xref)]:
            x = leaf(lp)
            up = rand(len(lp), lo=-1.0, hi=1.0)
            kl = compute_approx_kl(x, torch.tensor(rp), est)
            (kl * up).sum().backward()
            g = grad_of(x)
            zeroed = any(math.isnan(v) for v in g)
            g = [0.0 if math.isnan(v) else v for v in g]
            cases.append(dict(name=f"{est}_{tag}", estimator=est, logp=lp, ref_logp=rp, upstream=lst(up),
                              kl=lst(kl), grad=g, nan_grad_zeroed=zeroed))
    return cases


def compute_reward(r, kl_coef, kl, action_mask):
    if kl_coef <= 0.0:
        kl_coef = 0.0
    kl_reward = -kl_coef * kl
    eos_indices = action_mask.size(1) - 1 - action_mask.long().fliplr().argmax(dim=1, keepdim=True)
    last_reward = torch.zeros_like(kl).scatter_(dim=1, index=eos_indices, src=r.unsqueeze(1).to(kl.dtype))
    return last_reward + kl_reward


def shaped_cases():
    B, T = 3, 6
    kl = rand(B, T, lo=-0.5, hi=0.5)
    score = rand(B, lo=-3.0, hi=3.0)
    mask = torch.tensor([[1, 1, 1, 1, 0, 0], [0, 1, 1, 1, 1, 1], [1, 1, 0, 0, 0, 0]], dtype=torch.bool)
    cases = []
    for coef in [0.05, 0.0, -1.0]:
        r = compute_reward(score, coef, kl, mask)
        cases.append(dict(name=f"coef{coef}", B=B, T=T, coef=coef, score=lst(score), kl=lst(kl),
                          mask=[bool(v) for v in mask.reshape(-1)], rewards=lst(r)))
    return cases


def masked_mean(tensor, mask, dim=None):
    if mask is None:
        return tensor.mean(dim=dim)
    return (tensor * mask).sum(dim=dim) / mask.sum(dim=dim)


def policy_loss(log_probs, old_log_probs, advantages, action_mask, clip_low, clip_high, dual_clip, token_level):
    log_ratio = log_probs - old_log_probs
    ratio = log_ratio.exp()
    surr1 = ratio * advantages
    surr2 = ratio.clamp(1 - clip_low, 1 + clip_high) * advantages
    if dual_clip is None:
        loss = -torch.min(surr1, surr2)
    else:
        clip1 = torch.min(surr1, surr2)
        clip2 = torch.max(clip1, dual_clip * advantages)
        loss = -torch.where(advantages < 0, clip2, clip1)
    loss = masked_mean(loss, action_mask, dim=None) if token_level else masked_mean(loss, action_mask, dim=-1).mean()
    clip_ratio = masked_mean(torch.lt(surr2, surr1).double(), action_mask, dim=None)
    ppo_kl = masked_mean(-log_ratio.detach(), action_mask, dim=None)
    return loss, clip_ratio, ppo_kl


def ppo_cases():
    B, T = 3, 7
    mask = torch.tensor([[1, 1, 1, 1, 1, 0, 0], [0, 0, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0, 0]], dtype=torch.float64)
    old = rand(B, T, lo=-5.0, hi=-0.1)
    logp = old + rand(B, T, lo=-0.6, hi=0.6)  # ratios from e^-0.6 to e^0.6: both sides of the clip
    adv = rand(B, T, lo=-2.0, hi=2.0)
    cases = []

    def case(name, lp, op, a, m, clip_low, clip_high, dual_clip, token_level):
        x = lp.clone().requires_grad_(True)
        loss, clip_ratio, ppo_kl = policy_loss(x, op, a, m, clip_low, clip_high, dual_clip, token_level)
        loss.backward()
        g = grad_of(x)
        zeroed = any(math.isnan(v) for v in g)
        g = [0.0 if math.isnan(v) else v for v in g]
        return dict(name=name, B=lp.shape[0], T=lp.shape[1], logp=lst(lp), old_logp=lst(op), advantages=lst(a),
                    mask=[bool(v) for v in m.reshape(-1)], clip_low=clip_low, clip_high=clip_high,
                    dual_clip=dual_clip or 0.0, sequence_mean=not token_level, loss=float(loss),
                    clip_fraction=float(clip_ratio), approx_kl=float(ppo_kl), grad=g, nan_grad_zeroed=zeroed)

    cases.append(case("token_mean", logp, old, adv, mask, 0.2, 0.2, None, True))
    cases.append(case("sequence_mean", logp, old, adv, mask, 0.2, 0.2, None, False))
    cases.append(case("asymmetric_clip", logp, old, adv, mask, 0.2, 0.28, None, True))
    cases.append(case("dual_clip3", logp + rand(B, T, lo=0.0, hi=1.5), old, adv, mask, 0.2, 0.2, 3.0, True))
    # extreme log-ratios ±1e3 where the loss is finite: A > 0 with ρ = e^1000 (clipped), ρ = e^-1000 either sign
    xo = torch.tensor([[-1001.0, -1.0, -1.0, -2.0]])
    xl = torch.tensor([[-1.0, -1001.0, -1001.0, -2.5]])
    xa = torch.tensor([[1.5, 2.0, -0.7, 0.3]])
    xm = torch.ones(1, 4)
    cases.append(case("extreme", xl, xo, xa, xm, 0.2, 0.2, None, True))
    cases.append(case("extreme_dual_clip", torch.tensor([[-1.0, -1.0]]), torch.tensor([[-1001.0, -1.2]]),
                      torch.tensor([[-0.5, -1.0]]), torch.ones(1, 2), 0.2, 0.2, 3.0, True))
    return cases


def value_loss(values, old_values, returns, action_mask, clip_eps, token_level):
    if clip_eps is not None:
        values_clipped = old_values + (values - old_values).clamp(-clip_eps, clip_eps)
        surr1 = (values_clipped - returns) ** 2
        surr2 = (values - returns) ** 2
        loss = torch.max(surr1, surr2)
    else:
        loss = (values - returns) ** 2
    loss = masked_mean(loss, action_mask, dim=None) if token_level else masked_mean(loss, action_mask, dim=-1).mean()
    return 0.5 * loss


def value_cases():
    B, T = 3, 6
    mask = torch.tensor([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1], [0, 1, 1, 0, 0, 0]], dtype=torch.float64)
    old = rand(B, T, lo=-2.0, hi=2.0)
    values = old + rand(B, T, lo=-0.5, hi=0.5)
    returns = rand(B, T, lo=-2.0, hi=2.0)
    cases = []
    for clip, token_level in [(None, True), (0.2, True), (0.2, False), (0.05, True)]:
        v = values.clone().requires_grad_(True)
        loss = value_loss(v, old, returns, mask, clip, token_level)
        loss.backward()
        cases.append(dict(name=f"clip{clip}_token{token_level}", B=B, T=T, values=lst(values), old_values=lst(old),
                          returns=lst(returns), mask=[bool(x) for x in mask.reshape(-1)], clip=clip or 0.0,
                          sequence_mean=not token_level, loss=float(loss), grad=grad_of(v)))
    return cases


# ---------------------------------------------------------------- InfoNCE


def infonce_cases():
    cases = []
    for name, N, K, tau, scale in [("tau0.07", 5, 7, 0.07, 1.0), ("tau1", 4, 3, 1.0, 3.0), ("tau0.5_k1", 6, 1, 0.5, 2.0)]:
        sim = rand(N, 1 + K, lo=-scale, hi=scale)
        x = sim.clone().requires_grad_(True)
        logits = x / tau
        losses = F.cross_entropy(logits, torch.zeros(N, dtype=torch.long), reduction="none")
        losses.mean().backward()
        cases.append(dict(name=name, N=N, K=K, temperature=tau, sim=lst(sim), losses=lst(losses),
                          loss=float(losses.mean()), grad=grad_of(x)))
    return cases


def main():
    out = dict(
        generator="prefs/testdata/gen.py",
        torch=torch.__version__,
        references="TRL v0.24.0 (DPO, KTO, ORPO, CPO/SimPO); OpenRLHF v0.9.9 (KL, reward, PPO, value)",
        seqlogp=seqlogp_cases(),
        dpo=dpo_cases(),
        kto=kto_cases(),
        orpo=orpo_cases(),
        cpo=cpo_cases(),
        kl=kl_cases(),
        shaped=shaped_cases(),
        ppo=ppo_cases(),
        value=value_cases(),
        infonce=infonce_cases(),
    )
    for key, cases in out.items():
        if isinstance(cases, list):
            for c in cases:
                for k, v in c.items():
                    vs = v if isinstance(v, list) else [v]
                    for x in vs:
                        if isinstance(x, float) and not math.isfinite(x):
                            raise SystemExit(f"{key}/{c['name']}: {k} is not finite")
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "goldens.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {path}: " + ", ".join(f"{k} {len(v)}" for k, v in out.items() if isinstance(v, list)))


if __name__ == "__main__":
    main()
