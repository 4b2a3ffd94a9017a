// Package study measures what teacher forcing leaves behind at inference,
// on a trained model and held-out text: exposure bias and repetition; how
// much precision the loss computation needs; the shape of the loss
// around the weights training finds; and what label smoothing does to
// perplexity and calibration.
//
// Held-out documents are consecutive, non-overlapping windows of a
// held-out token stream (Documents), each as long as the study needs.
//
// # Exposure (RunExposure)
//
// A model trained with teacher forcing has only ever seen true text in its
// context; generating, it sees its own. For each document d and prefix
// length p (the true tokens d[:p] the model is given):
//
//   - Teacher-forced NLL: the mean −log p(d[i] | d[:i]) over the m true
//     tokens i = p+k … p+k+m−1.
//   - NLL after own tokens: the same m true tokens at the same positions,
//     but with the k tokens before them, d[p : p+k], replaced by the
//     model's own continuation of d[:p] (greedy, or sampled at a
//     temperature): −log p(d[i] | d[:p], g[:k], d[p+k : i]). The targets and
//     their positions are identical; only the k-token bridge differs, true
//     text against the model's own, which is what exposure bias is about.
//   - Error-compounding curve: free-running generation from d[:p] (greedy,
//     and sampled), and at each distance j = 1 … H from the prefix,
//     (a) the NLL of the true token d[p+j−1] under the free-running
//     context d[:p] + g[:j−1], beside its teacher-forced NLL under
//     d[:p+j−1], and (b) disagreement: whether the model's top-1 token
//     under the free-running context differs from its top-1 token under
//     the true context. At j = 1 the two contexts are the same (the curves
//     start together); the gap as j grows is how far errors compound.
//     Averaged over documents and prefix lengths.
//
// # Repetition (RunRepetition)
//
// Greedy (or sampled) continuations of held-out prompts under a sweep of
// penalties (repetition penalty 1.0, 1.1, 1.2, 1.5, 2.0 as Hugging Face
// applies it; frequency and presence penalties as OpenAI defines them),
// each scored with package sample's degeneration metrics: seq-rep-4,
// distinct-2, rep/ℓ, and the mean NLL of the generated tokens under the
// unpenalised model (temperature 1, no penalty: what the model itself
// thinks of the text). The true continuations of the same prompts,
// teacher-forced, give the human reference row. Every setting uses the
// same prompts and the same random streams, so rows differ by the penalty
// alone.
//
// # Precision (MeasureRows, SyntheticPrecision)
//
// The cross-entropy of a row, its log-sum-exp and its gradient computed in
// bf16 and f16 arithmetic, emulated exactly (package loss/emulate:
// Format.Round after every operation, in the order emulate.CrossEntropy
// states, with sequential or pairwise sums), with only the logits stored
// in bf16 or f16, and in
// float32 by package loss's kernel, each against float64 in the same
// order: on a checkpoint's held-out logits and on synthetic Gaussian rows
// of chosen V and spread. OneStep and NextStep measure the loss change of
// one optimizer step, the scale the errors are to be read against.
//
// # Landscape (RunLandscape)
//
// Small models trained from the same initial weights θ₀ for the same
// number of steps, each with its own batch size, warmup and weight decay
// (SharpnessRun), all measured on one training loss: the mean
// cross-entropy over fixed batches of the training split (LossBatches).
// For the first run, the loss along the straight line θ(α) = (1−α)θ₀ +
// αθ₁ to its trained weights θ₁, beyond both ends, on those batches and
// on the held-out split; and the training loss on a plane θ₁ + a·d₁ + b·d₂
// through θ₁ along two random directions rescaled row by row to the
// weights' own rows (FilterNormalized, after Li et al. 2018), so that
// pictures of differently scaled models compare. For every run, the two
// ends of the Hessian's spectrum at θ₁ (Extremes: Lanczos on
// Hessian-vector products by central differences of gradients,
// HessianVector), the largest eigenvalue λ_max being the usual measure of
// a minimum's sharpness, beside the run's training and held-out loss.
// TopEigenvalue is the plain power iteration, which finds the eigenvalue
// of largest magnitude only.
//
// # Label smoothing (RunSmoothing)
//
// The same model trained once per smoothing ε and seed (the seed fixes the
// initial weights and the batch order; everything else is shared, the
// corpus and its tokenizer prepared once), each scored on the held-out
// split through package eval with the plain NLL: perplexity, ECE and MCE
// of the top-1 token's confidence, top-1 accuracy, the mean entropy of
// the predictive distribution and the mean confidence minus the accuracy
// (its sign is the direction of the miscalibration, which ECE hides). Each
// ε's runs are summarised by their mean, standard deviation and range,
// beside the source article's table, and a verdict on each of its claims
// is computed from the means, with whether the difference it rests on is
// larger than the spread over seeds (the compared rows' ranges do not
// overlap).
//
// # Forward and reverse KL (RunToy, RunDistill)
//
// What each direction of the KL does when the fitted family cannot
// represent the target. RunToy fits one Gaussian to a two-Gaussian mixture
// on a grid, minimising KL(p ‖ q) (whose optimum is moment matching, the
// check of the optimiser) and KL(q ‖ p); RunDistill distils a teacher into
// two students of one shape (train.Distiller, loss.Distill forward and
// Reverse) and measures held-out perplexity, KL both ways, entropy and the
// coverage of the teacher's top-k tokens.
package study
