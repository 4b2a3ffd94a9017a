// Package loss computes a language model's cross-entropy and its relatives
// exactly and fast, over logits [N, V] (N positions, V vocabulary entries)
// in float32, float16 or bfloat16.
//
// # The cross-entropy kernel
//
// For row i with logits x (after the optional soft-cap), lse = log Σ_c e^{x_c}
// and target distribution q, the row loss is
//
//	ℓ_i = Σ_c w_c·q_c·(lse − x_c) + z·lse²
//
// where, for a class-index target t with label smoothing ε,
// q = (1−ε)·onehot(t) + ε/V (the ε/V goes to every class, the target
// included: PyTorch's convention), and w are the class weights (1 without
// them). For probability targets, q = (1−ε)·P + ε/V. The smoothing term is
// masked and normalised exactly like the NLL term, so rows whose target is
// the ignore index contribute nothing anywhere (the bug of PyTorch #73205
// divided them in).
//
// Reductions follow PyTorch. Mean divides Σ of the cross-entropy parts by
// Σ w_t over kept rows (the count when unweighted; N for probability
// targets), and the z-loss part by the count of kept rows (it is not
// class-weighted). With every row ignored, Mean gives 0 with Count 0, where
// PyTorch gives NaN.
//
// z-loss (PaLM, Chowdhery et al. 2022) is z·lse², added to each kept row and
// reported alone in Result.ZLoss. The soft-cap (Gemma 2) replaces x by
// cap·tanh(x/cap) inside the loss; the gradient flows through it.
//
// # How it runs
//
// Each row is read once for its softmax statistics: the online softmax of
// Milakov & Gimelshein (2018), a running maximum and a sum of exps rescaled
// when the maximum moves, kept per SIMD lane and merged at the end (the same
// merge combines chunks or threads). The gradient
//
//	dℓ/dx_c = s·(A·e^{x_c−m}/S + B) − s·(1−ε)·w_t·[c = t]
//
// is written by a second pass over the row while it is still in cache, so
// the fused call reads the logits from memory once and writes the gradient
// once. In place, the gradient overwrites the logits. All loss math is
// float32 or wider; 16-bit rows are widened to float32 in a per-goroutine row
// buffer, so no allocation grows with N·V. Rows are spread over goroutines in
// contiguous blocks and every reduction runs in row order: any thread count
// gives the same bits.
//
// # Bad input
//
// Targets outside [0, V) that are not the ignore index, mismatched shapes,
// NaN or +Inf logits, and a kept row whose logits are all −Inf are errors
// that name the row. −Inf logits are valid (a class ruled out); a kept
// target at −Inf has an infinite loss, as it should.
//
// # Relatives
//
// Compare gives entropy, cross-entropy, forward and reverse KL and
// Jensen–Shannon between two sets of distributions (logits or
// probabilities), in float64 because these are often tiny differences of
// log-sum-exps. Distill is the T²-scaled distillation KL with its gradient,
// forward KL(teacher ‖ student) or reverse KL(student ‖ teacher).
// Totals converts summed NLL to perplexity, word perplexity, bits per byte
// and bits per character.
//
// RowScorer is the one place a single position is scored: the target's NLL,
// the top-1 class and its probability (the target's rank and the entropy on
// request, each one more pass over the row), and against a
// base model's row its NLL, Δp and the KL in both directions, each named by
// its arguments (KLBaseModel = KL(base ‖ model), llama.cpp's and xent eval's;
// KLModelBase = KL(model ‖ base), post-training's KL(π ‖ base)). eval,
// sample and the studies score rows through it.
package loss
