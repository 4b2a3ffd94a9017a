// Package eval measures a language model on text: what its mean
// cross-entropy means, how well calibrated it is, and where the loss goes.
//
// # Windows
//
// A document longer than the model's context is scored through windows,
// and the numbers depend on how: perplexity is comparable only under the
// same tokenizer, scheme, context and stride, so every Report names them.
// Options.Ctx 0 is the model's context up to DefaultCtx (4096 tokens): a
// longer window must be asked for.
// Three schemes, each matching its reference code exactly (the tests check
// PyTorch transcriptions of all three, eval/testdata/gen.py; llamacpp with
// and without BOS):
//
//   - Disjoint, lm-evaluation-harness's rolling log-likelihood: every token
//     scored exactly once, the first conditioned on BOS.
//   - Strided, the Hugging Face perplexity guide: windows of ctx every
//     stride tokens, scoring the tokens past the previous window.
//   - LlamaCpp, llama.cpp's perplexity tool: chunks of ctx, the second
//     half scored; BOS before the text and over each chunk's first token
//     only when the vocabulary adds one (Options.AddBOS, llama.cpp's
//     add_bos: Llama 2 and 3, Mistral, Gemma, Phi-3 and xent's own
//     checkpoints; not Qwen, GPT-2 or SmolLM2).
//
// A window is one causal forward pass, the lean one (model.HiddenLean: no
// activations kept, attention in blocks, memory the weights plus
// O(ctx·width)); the output head runs
// a chunk of scored rows at a time (model.HeadLogits), so [T, V] logits
// never exist, and each row is measured by loss.RowScorer: the target's
// NLL, the top-1 token and its probability, and against a base row the KL
// both ways. Options.MaxTokens caps the tokens scored (the report says how
// many the text held) and Options.Progress follows the running mean.
//
// Tokens is the one call that scores held-out token ids: training's
// periodic evaluation (train.Trainer.Evaluate) goes through it, so on the
// same tokens it reports what xent eval reports.
//
// # Metrics
//
// Per scored token t with NLL ℓ_t (nats), over n tokens covering B bytes,
// C characters and W words (maximal runs of non-whitespace, counted in the
// token where they start):
//
//	mean NLL = Σℓ/n ± s/√n     perplexity = exp(Σℓ/n)
//	word perplexity = exp(Σℓ/W)    byte perplexity = exp(Σℓ/B)
//	bits per byte = Σℓ/(B·ln 2)    bits per character = Σℓ/(C·ln 2)
//
// Calibration bins the top-1 probability in 15 equal bins ((m−1)/M, m/M]
// (Guo et al. 2017) and reports ECE, MCE and RMS calibration error.
//
// # Where the loss goes
//
// Each byte of a document gets a Class (English prose, or Go source by
// go/scanner) and a token takes the class of its first non-whitespace
// byte: GPT-2-style tokens carry the space before a word, and " the" is
// the function word it starts. Loss is also broken down by how often the
// target token occurred in the training data (decades of counts) and by
// position in the window (0, 1, 2–3, 4–7, ...).
//
// # Against a base model
//
// SetBase adds KL(P_base ‖ Q) at every scored position with llama.cpp's
// statistics: mean ± standard error, percentiles, RMS of the change in the
// correct token's probability, how often both models' top-1 agree, and the
// perplexity ratio; and the mean of the other direction, KL(Q ‖ P_base),
// the one post-training penalises. Report.Base names each by direction.
//
// # Streaming
//
// English text is read, classified and tokenized a block at a time, cut
// where the tokenizer's ids cannot change (tokenizer.Tokenizer.Blocks:
// LastSafeCut for byte-level BPE, Pipeline.BlockCut for a tokenizer.json),
// each token counting the bytes of the text it stands for
// (Tokenizer.ByteSpans, so a normalizer's rewriting leaves bits per byte
// over the text's own bytes), and only the tokens a later window reads are
// kept: memory does not grow with the document. Results do not depend on the block size (tested).
package eval
