// Package prefs holds the post-training objectives that go past token-level
// cross-entropy: preference losses (DPO, KTO, ORPO, CPO/SimPO), the RLHF
// pieces (PPO's clipped surrogate, the per-token KL penalty, the shaped
// reward, the clipped value loss) and the InfoNCE contrastive loss. Each
// has an explicit Forward (per-example losses, implicit rewards and metrics,
// and the mean that is minimised) and Backward (the gradient of that mean
// with respect to the policy's log-probabilities, or token log-probabilities
// and values for RLHF). All math is float64.
//
// # Where the numbers come from
//
// A preference loss never sees logits: it sees sequence log-probabilities,
// log π(y|x) = Σ_t log π(y_t | x, y_<t) over the completion's tokens (the
// prompt is not scored). SequenceLogProbs sums token log-probabilities
// [B, T] under a completion mask, or averages them over the completion's
// length; SequenceLogProbsBackward spreads the gradient back over the
// tokens. The token log-probabilities and their backward come from the
// model (model.TokenLogProbs, model.BackwardTokenLogProbs).
//
// # The formulas, and whose they are
//
// The preference losses follow Hugging Face TRL v0.24.0 (trl/trainer/
// dpo_trainer.py DPOTrainer.dpo_loss, kto_trainer.py KTOTrainer.kto_loss,
// orpo_trainer.py ORPOTrainer.odds_ratio_loss and get_batch_loss_metrics,
// cpo_trainer.py CPOTrainer.cpo_loss). The RLHF pieces follow OpenRLHF
// v0.9.9 (openrlhf/models/utils.py compute_approx_kl and compute_reward,
// openrlhf/models/loss.py PolicyLoss and ValueLoss). With z = the log-ratio
// margin, σ the logistic function and β, ε, γ, λ the usual knobs:
//
//	DPO sigmoid (cDPO)  −(1−ε)·log σ(βz) − ε·log σ(−βz),  z = (π_c − π_r) − (ref_c − ref_r)
//	DPO robust          (−(1−ε)·log σ(βz) + ε·log σ(−βz)) / (1−2ε),  0 ≤ ε < 0.5
//	DPO hinge           max(0, 1 − βz)
//	DPO IPO             (z − 1/(2β))², on length-averaged log-probabilities
//	DPO reference-free  any of the above with ref_c = ref_r = 0
//	KTO                 w_d·(1 − σ(β(r − KL))) desirable, w_u·(1 − σ(β(KL − r))) undesirable,
//	                    r = π − ref, KL = max(0, Mean(π_KL − ref_KL)) over mismatched
//	                    prompt/completion pairs, detached
//	ORPO                NLL(chosen) − λ·mean log σ(log odds(p_c) − log odds(p_r)),
//	                    log odds(p) = log p − log1p(−p), on length-averaged log-probabilities
//	CPO                 −(1−ε)·log σ(βz) − ε·log σ(−βz) + α·NLL(chosen),  z = π_c − π_r
//	SimPO               CPO on length-averaged log-probabilities with z = π_c − π_r − γ/β
//	PPO                 −min(ρA, clip(ρ, 1−ε_lo, 1+ε_hi)·A),  ρ = exp(log π − log π_old)
//	KL penalty          k1 = d, k2 = d²/2, k3 = e^{−d} − 1 + d,  d = log π − log π_ref,
//	                    clamped to [−10, 10]
//	shaped reward       r_t = −c·KL_t, plus the reward model's score at the last action token
//	value loss          ½·max((V_clip − R)², (V − R)²),  V_clip = V_old + clip(V − V_old, ±ε)
//	InfoNCE             −log softmax(s/τ)_0 over one positive s_0 and K negatives
//
// The implicit rewards TRL logs are β·(π − ref) for DPO and KTO, β·π for
// CPO/SimPO and λ·π for ORPO; reward accuracy is the fraction of pairs whose
// chosen reward beats the rejected one.
//
// # Stability
//
// Every log σ is computed as −softplus(−x) = −(max(−x, 0) + log1p(e^{−|x|})),
// every 1 − σ(x) as σ(−x), so log-ratios of ±1e3 (and far beyond) give
// finite, exact losses and gradients where the textbook forms overflow or
// round to 0. ORPO's log(1 − p) is log1mexp: log(−expm1(x)) near 0 and
// log1p(−eˣ) below −ln 2 (Mächler 2012), so probabilities near 1 keep
// their digits; its gradient is assembled in log space, so p → 1 gives the
// exact limit rather than 0·∞. Where TRL's literal expression rounds (1 −
// σ(x) for large x, log1p(−exp(x)) for x near 0) the goldens in testdata/
// are made with the mathematically equal stable form; gen.py says where.
//
// # Bad input
//
// Mismatched lengths, NaN or infinite log-probabilities, log-probabilities
// above 0, β ≤ 0 and out-of-range ε are errors that name the field and the
// example. A probability of exactly 1 in ORPO (infinite odds) is an error.
// A PPO ratio whose unclipped surrogate overflows float64 is an error,
// never a silent ±Inf.
package prefs
