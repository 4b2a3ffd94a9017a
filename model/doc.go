// Package model is a decoder-only transformer in the families of Hugging
// Face's model_type gpt2, llama, mistral, qwen2, qwen3, phi3, gemma,
// gemma2 and gemma3_text (families.go lists how the last eight differ; ropescale.go the RoPE
// variants; fields.go the config.json fields ignored and refused), with
// an explicit forward and backward per layer (llm.c style, no autograd)
// and incremental decoding with a KV cache. Each family is checked against
// a plain-PyTorch transcription of transformers' modeling file
// (testdata/gen.py): logits, loss and every gradient.
//
// # Teacher forcing
//
// Training scores every next token of a sequence in one parallel pass: the
// causal mask lets position t attend to positions ≤ t only, so the logits
// at t are exactly what token-by-token decoding would compute after seeing
// tokens 0..t. Forward and ForwardBackward run that parallel pass over a
// batch [B, T]; a Decoder runs the sequential one, one token per Step,
// keeping each layer's keys and values in a cache. The tests check that
// the two agree at every position.
//
// # Memory
//
// Parameters live in one flat []float32 buffer, gradients in a second one
// with the same layout, and Params and Grads hand out named views into
// them, in Hugging Face naming, so that a checkpoint maps one to one onto
// a .safetensors file. Activations live in buffers allocated for the
// last batch shape and reused while it stays the same. Every matrix
// product, attention's included, runs on internal/gemm's sgemm; row-wise
// work (norms, activations, attention heads) is spread over goroutines.
// Work is split so that each output element is computed by one fixed
// sequence of operations: results are bit-identical run after run and for
// every thread count (the tests check 1, 2 and 3).
//
// # Layout
//
// Shapes are row-major; N = B·T rows of the residual stream, C channels,
// H query heads, K key/value heads (K = H for GPT-2, K divides H for
// grouped-query attention), D = C/H per head (or config.json's head_dim),
// F hidden units of the MLP.
// The queries, keys and values of a row sit side by side in one [N, (H+2K)·D]
// buffer, as GPT-2's fused c_attn writes them; Llama's q, k and v
// projections write their column ranges of it.
//
// # Inference-only models
//
// NewInference and LoadInference build a model that only scores and
// generates (infer.go): no gradients and no training activations, each
// weight matrix held as it was stored (float32, bfloat16 bits, or a
// caller's Matrix such as GGUF's quantized blocks), norm weights and
// biases in float32; an embedding row is widened when it is looked up.
// Products over bfloat16 weights run in float32 on the widened weights
// (exact), or with SetCompute(ComputeBF16) in bfloat16 with float32 sums.
// Such a model scores through the lean forward (lean.go: one layer's
// scratch, the MLP a chunk of rows at a time, attention in key blocks
// with an online softmax, so no [T, T] buffer), which HiddenLean also runs
// for any model; a Decoder can fill its cache from it (Prefill). The
// training calls return an error.
//
// The output head and its cross-entropy run fused through
// loss.LinearCrossEntropy: the [N, V] logits are never held, and the tied
// head's gradient accumulates straight into the embedding's.
package model
