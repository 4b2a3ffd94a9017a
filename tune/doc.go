// Package tune fine-tunes a pretrained model with supervised fine-tuning
// (SFT) or a preference objective (DPO, KTO, ORPO, SimPO), the losses of
// package prefs on the model's own sequence log-probabilities.
//
// # Data
//
// Training files are JSON Lines: SFT {"prompt", "completion"}, pairs
// {"prompt", "chosen", "rejected"} (DPO, ORPO, SimPO), KTO {"prompt",
// "completion", "label"}. A record becomes BOS + prompt + completion; only
// the completion is scored. A missing field, an empty completion or a
// prompt that leaves no room in the context is an error naming the line.
//
// # A step
//
// A batch of B examples becomes one padded batch [R, T] (R = 2B: the chosen
// then the rejected completions, or for KTO each completion then its
// mismatched one), T the longest sequence of the data set, so the model's
// buffers keep one shape. Targets are the next tokens on completion
// positions and the ignore index elsewhere:
//
//	model.TokenLogProbs        → token log-probabilities [R, T]
//	prefs.SequenceLogProbs     → sequence log-probabilities [R] (sums, or averages for IPO, ORPO, SimPO)
//	loss.Forward / Backward    → the loss, rewards, d loss / d sequence log-probability
//	prefs.SequenceLogProbsBackward → d loss / d token log-probability [R, T]
//	model.BackwardTokenLogProbs → parameter gradients
//	AdamW with gradient clipping (package train)
//
// SFT is the token-mean NLL of the completions, one ForwardBackward.
//
// # The reference
//
// DPO and KTO compare the policy with a frozen copy of the model it started
// from. Either a second model computes the reference's log-probabilities
// of every batch (twice the weights in memory, one more forward pass per
// step), or with PrecomputeRef they are computed once for every example
// before the first step by the policy itself, which at that point is the
// reference: no second model is held. KTO's KL reference point uses each
// prompt with the previous example's completion, fixed when the data is
// tokenized (TRL shifts completions by one within a batch), so that it can
// be precomputed too.
//
// The KL of the policy to the model it started from is measured exactly,
// over the vocabulary, on the completion tokens of a fixed probe batch
// (the first eight examples), whose starting logits are kept.
package tune
