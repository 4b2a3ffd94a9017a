package model

import (
	"fmt"

	"github.com/xent-dev/xent/internal/gemm"
	"github.com/xent-dev/xent/internal/kernels"
)

// Decoder runs a model one token at a time, keeping every layer's keys and
// values (the KV cache) so that each step attends to all earlier tokens
// without recomputing them. Its logits equal, position by position, those
// of the parallel Logits over the same tokens.
//
// A step is a chain of matrix–vector products: every weight matrix is
// read once per token, so decoding is bound by memory bandwidth (GPT-2
// small: 0.5 GB of float32 weights a token). The products stream the
// weights in place (gemm.Sgemv) and give the bits of the parallel pass's
// matrix products; a bfloat16 decoder (NewDecoderBF16) streams half the
// bytes.
type Decoder struct {
	m        *Model
	blocks   []block  // the model's layers, or copies reading bfloat16 weights
	head     linear   // likewise
	wte, wpe []uint16 // the bfloat16 embeddings of a bfloat16 decoder; nil otherwise
	pos      int
	k, v     [][]float32 // L × [K, maxT, D]: keys (Llama: after RoPE) and values, per key/value head
	la       layerActs   // one row's activations
	x, out   []float32   // [C] residual stream in and out of a layer
	lnf      []float32   // [C]
	stats    []float32   // [2]: the final norm's mean and rstd
	scores   []float32   // [H, maxT]
}

// NewDecoder returns a decoder at position 0. It reads the model's
// parameters at every step, so they must not change while it is in use.
func NewDecoder(m *Model) *Decoder {
	d := m.d
	dec := &Decoder{m: m, blocks: m.blocks, head: m.head, la: newLayerActs(d, 1, 1),
		x: make([]float32, d.C), out: make([]float32, d.C), lnf: make([]float32, d.C),
		stats: make([]float32, 2), scores: make([]float32, d.H*d.maxT)}
	dec.k, dec.v = make([][]float32, d.L), make([][]float32, d.L)
	for l := range d.L {
		dec.k[l], dec.v[l] = make([]float32, d.K*d.maxT*d.D), make([]float32, d.K*d.maxT*d.D)
	}
	return dec
}

// NewDecoderBF16 returns a decoder that holds the model's weight matrices
// (the embeddings, every linear layer's, the head's) rounded to bfloat16,
// nearest-even, and reads those: half the bytes of float32 a step, so
// about twice the tokens/s where memory bandwidth bounds decoding. Norms,
// biases, activations, the KV cache and all arithmetic stay float32: its
// logits are exactly those of a float32 decoder over the rounded weights.
// The copy (2 bytes a weight) is taken now; later changes to the model's
// parameters are not seen.
func NewDecoderBF16(m *Model) *Decoder {
	dec := NewDecoder(m)
	round := func(w []float32) []uint16 {
		b := make([]uint16, len(w))
		kernels.F32ToBF16(b, w)
		return b
	}
	rounded := func(l linear) linear {
		if l.wb == nil && l.q == nil && l.pk == nil { // an inference model's bfloat16 or Matrix weights stay
			l.wb = round(l.w)
		}
		return l
	}
	dec.blocks = make([]block, len(m.blocks))
	for i, b := range m.blocks {
		b.qkv, b.up = append([]linear(nil), b.qkv...), append([]linear(nil), b.up...)
		for j := range b.qkv {
			b.qkv[j] = rounded(b.qkv[j])
		}
		for j := range b.up {
			b.up[j] = rounded(b.up[j])
		}
		b.proj, b.down = rounded(b.proj), rounded(b.down)
		dec.blocks[i] = b
	}
	dec.wte, dec.wpe = m.emb.wb, m.pos.wb
	if m.wte != nil {
		dec.wte = round(m.wte)
	}
	if m.wpe != nil {
		dec.wpe = round(m.wpe)
	}
	dec.head = m.head
	if m.head.q == nil {
		dec.head.wb = dec.wte
	}
	if !m.d.tied {
		dec.head = rounded(m.head)
	}
	return dec
}

// Pos is the number of tokens the decoder holds, the position of the next
// Step.
func (dec *Decoder) Pos() int { return dec.pos }

// Reset forgets every token; the next Step is at position 0.
func (dec *Decoder) Reset() { dec.pos = 0 }

// Truncate forgets the tokens from position n on, so that the next Step
// is at position n (a continuation tried and taken back); 0 ≤ n ≤ Pos().
func (dec *Decoder) Truncate(n int) error {
	if n < 0 || n > dec.pos {
		return fmt.Errorf("model: cannot truncate the decoder to %d tokens: it holds %d", n, dec.pos)
	}
	dec.pos = n
	return nil
}

// Step feeds the token at the next position and returns the logits [V] of
// the token after it, in a new slice.
func (dec *Decoder) Step(token int32) ([]float32, error) {
	logits := make([]float32, dec.m.d.V)
	if err := dec.StepInto(token, logits); err != nil {
		return nil, err
	}
	return logits, nil
}

// StepInto is Step writing the logits into logits[:V], which must be at
// least V long: a decoding loop allocates nothing.
func (dec *Decoder) StepInto(token int32, logits []float32) error {
	m, d := dec.m, dec.m.d
	if dec.pos >= d.maxT {
		return fmt.Errorf("model: decoding past the context of %d tokens", d.maxT)
	}
	if w := d.fam.maxSeq; w > 0 && dec.pos >= w {
		return fmt.Errorf("model: decoding past %s", d.fam.maxSeqWhy)
	}
	if token < 0 || int(token) >= d.V {
		return fmt.Errorf("model: token %d at position %d is outside the vocabulary [0, %d)", token, dec.pos, d.V)
	}
	if len(logits) < d.V {
		return fmt.Errorf("model: a logits buffer of %d values for a vocabulary of %d", len(logits), d.V)
	}
	pos := dec.pos
	dec.embed(int(token), pos)
	for l := range dec.blocks {
		m.blockForward(&dec.blocks[l], &dec.la, dec.x, dec.out, 1, func(qkv, y []float32) {
			if d.llama {
				dec.blocks[l].rope.rotate(qkv, d.H+d.K, pos, false)
			}
			for g := range d.K {
				at := (g*d.maxT + pos) * d.D
				copy(dec.k[l][at:at+d.D], qkv[(d.H+g)*d.D:])
				copy(dec.v[l][at:at+d.D], qkv[(d.H+d.K+g)*d.D:])
			}
			dec.attend(qkv, y, dec.k[l], dec.v[l], pos+1, &dec.blocks[l])
		})
		dec.x, dec.out = dec.out, dec.x
	}
	m.lnf.forward(dec.x, dec.lnf, dec.stats[:1], dec.stats[1:], 1, 1)
	dec.head.forward(dec.lnf, 1, logits[:d.V], d.V, false, m.threads())
	softCap(logits, 0, d.V, d.fam.finalCap)
	dec.pos++
	return nil
}

// Prefill feeds the tokens of a prompt at the decoder's start (Pos() must
// be 0) in one lean parallel pass (HiddenLean's), filling the KV cache, and
// writes the logits [V] of the token after the last into logits. It is
// StepInto over each token in turn, several times faster on a long
// prompt; the logits and the cache equal StepInto's to float32 rounding
// (attention's softmax is computed in another order); a bfloat16 decoder
// (NewDecoderBF16) steps through them. The pass's scratch
// is the decoder's own, dropped when it returns, so decoders of one model
// may prefill concurrently.
func (dec *Decoder) Prefill(tokens []int32, logits []float32) error {
	m, d := dec.m, dec.m.d
	n := len(tokens)
	switch {
	case dec.pos != 0:
		return fmt.Errorf("model: Prefill at position %d; it starts a sequence (Reset first)", dec.pos)
	case n == 0:
		return fmt.Errorf("model: Prefill of no tokens")
	case len(logits) < d.V:
		return fmt.Errorf("model: a logits buffer of %d values for a vocabulary of %d", len(logits), d.V)
	}
	if &dec.blocks[0] != &m.blocks[0] { // a bfloat16 decoder's rounded copies: the lean pass reads the model's
		for _, tok := range tokens {
			if err := dec.StepInto(tok, logits); err != nil {
				return err
			}
		}
		return nil
	}
	if err := m.checkLean(tokens, 1, n); err != nil {
		return err
	}
	W := d.qkv()
	h := m.leanBody(d.newLeanActs(n, m.threads()), tokens, 1, n, func(l int, qkv []float32) {
		for i := range n {
			for g := range d.K {
				at := (g*d.maxT + i) * d.D
				copy(dec.k[l][at:at+d.D], qkv[i*W+(d.H+g)*d.D:])
				copy(dec.v[l][at:at+d.D], qkv[i*W+(d.H+d.K+g)*d.D:])
			}
		}
	})
	dec.head.forward(h[(n-1)*d.C:n*d.C], 1, logits[:d.V], d.V, false, m.threads())
	softCap(logits, 0, d.V, d.fam.finalCap)
	dec.pos = n
	return nil
}

// embed sets the residual stream dec.x [C] to the token's embedding (and
// GPT-2's position embedding).
func (dec *Decoder) embed(token, pos int) {
	m, C := dec.m, dec.m.d.C
	if dec.wte == nil {
		m.embed(token, pos, dec.x, dec.out) // dec.out is free until the first layer writes it
		return
	}
	kernels.BF16ToF32(dec.x, dec.wte[token*C:(token+1)*C])
	if s := m.d.fam.embedScale; s != 0 {
		scaleBy(dec.x, s)
	}
	row := dec.out // free until the first layer writes it
	switch {
	case dec.wpe != nil:
		kernels.BF16ToF32(row, dec.wpe[pos*C:(pos+1)*C])
		addTo(dec.x, row)
	case m.pos.q != nil:
		m.pos.row(pos, row)
		addTo(dec.x, row)
	}
}

// attend is one query row's attention over the n cached positions: y
// [H·D] from the queries at the start of qkv and the caches [K, maxT, D].
// Heads run in parallel (taken in turn by the goroutines), each through
// two matrix–vector products: the scores against its key/value head's n
// keys, then their softmax times its n values.
func (dec *Decoder) attend(qkv, y, k, v []float32, n int, blk *block) {
	d := dec.m.d
	G := d.H / d.K
	scale, window := blk.scale, blk.window
	gemm.ForPieces(min(d.H, dec.m.threads()), d.H, func(h int) {
		kv := h / G * d.maxT * d.D
		s := dec.scores[h*d.maxT : h*d.maxT+n]
		gemm.Sgemv(gemm.Trans, n, d.D, scale, qkv[h*d.D:], k[kv:], d.D, 0, s, 1)
		lo := firstKey(n-1, window)
		softCap(s, lo, n, d.fam.attnCap)
		softmaxBand(s, lo, n)
		gemm.Sgemv(gemm.NoTrans, d.D, n, 1, s, v[kv:], d.D, 0, y[h*d.D:], 1)
	})
}
