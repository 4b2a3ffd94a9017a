package model

import (
	"errors"
	"fmt"
)

// A BatchDecoder steps several Decoders together: each keeps its own
// tokens, position and KV cache, and one Step feeds each its next token in
// a single pass whose matrix products take all B rows at once, so every
// weight matrix is read once for the B tokens instead of B times. This is
// continuous batching's step: the sequences may sit at any positions, and
// may join or leave between steps. Each decoder's logits are those its own
// StepInto gives, bit for bit (TestBatchDecoderMatchesStepInto), for a
// trainable model and an inference model whose weights are float32,
// bfloat16 or a Matrix: rows of the products are computed independently,
// and attention, RoPE and the cache writes are per row. A model set to
// bfloat16 compute (SetCompute) steps its decoders one by one, since its
// multi-row products would round the activations and one-row products do
// not.
type BatchDecoder struct {
	m      *Model
	maxB   int
	la     layerActs // [maxB] rows
	x, out []float32 // [maxB, C]
	lnf    []float32 // [maxB, C]
	mean   []float32 // [maxB]
	rstd   []float32 // [maxB]
}

// NewBatchDecoder returns a batch decoder of m for up to maxB sequences a
// step.
func NewBatchDecoder(m *Model, maxB int) *BatchDecoder {
	d := m.d
	maxB = max(maxB, 1)
	la := newLayerActs(d, maxB, 1)
	la.step = true
	return &BatchDecoder{m: m, maxB: maxB, la: la, x: make([]float32, maxB*d.C), out: make([]float32, maxB*d.C),
		lnf: make([]float32, maxB*d.C), mean: make([]float32, maxB), rstd: make([]float32, maxB)}
}

// MaxBatch is the most decoders one Step takes.
func (bd *BatchDecoder) MaxBatch() int { return bd.maxB }

// Step feeds tokens[i] to decs[i] at its next position, for every i, and
// writes decs[i]'s logits [V] into logits[i·V:(i+1)·V]. The decoders must
// be float32 decoders (NewDecoder) of the batch decoder's model, distinct,
// at most MaxBatch of them; on an error none has moved.
func (bd *BatchDecoder) Step(decs []*Decoder, tokens []int32, logits []float32) error {
	m, d := bd.m, bd.m.d
	B := len(decs)
	switch {
	case B == 0:
		return nil
	case B > bd.maxB:
		return fmt.Errorf("model: a batch step of %d decoders; this batch decoder takes at most %d", B, bd.maxB)
	case len(tokens) != B:
		return fmt.Errorf("model: %d tokens for %d decoders", len(tokens), B)
	case len(logits) < B*d.V:
		return fmt.Errorf("model: a logits buffer of %d values for %d decoders of a vocabulary of %d", len(logits), B, d.V)
	}
	for i, dec := range decs {
		switch {
		case dec.m != m:
			return fmt.Errorf("model: batch step: decoder %d is another model's", i)
		case dec.wte != nil:
			return errors.New("model: batch step: bfloat16 decoders are not batched (their matrix–vector products read other weights than a batch's)")
		case dec.pos >= d.maxT:
			return fmt.Errorf("model: batch step: decoder %d is decoding past the context of %d tokens", i, d.maxT)
		case d.fam.maxSeq > 0 && dec.pos >= d.fam.maxSeq:
			return fmt.Errorf("model: batch step: decoder %d is decoding past %s", i, d.fam.maxSeqWhy)
		case tokens[i] < 0 || int(tokens[i]) >= d.V:
			return fmt.Errorf("model: batch step: token %d of decoder %d at position %d is outside the vocabulary [0, %d)", tokens[i], i, dec.pos, d.V)
		}
		for _, other := range decs[:i] {
			if other == dec {
				return fmt.Errorf("model: batch step: decoder %d appears twice", i)
			}
		}
	}
	if m.compute == ComputeBF16 {
		// Multi-row products in bfloat16 compute round the activations,
		// one-row products do not: each decoder steps alone, as it would.
		for i, dec := range decs {
			if err := dec.StepInto(tokens[i], logits[i*d.V:(i+1)*d.V]); err != nil {
				return err
			}
		}
		return nil
	}
	C, Q := d.C, d.qkv()
	x, out := bd.x[:B*C], bd.out[:B*C]
	for i, dec := range decs {
		dec.embed(int(tokens[i]), dec.pos)
		copy(x[i*C:(i+1)*C], dec.x)
	}
	for l := range m.blocks {
		blk := &m.blocks[l]
		m.blockForward(blk, &bd.la, x, out, B, func(qkv, y []float32) {
			for i, dec := range decs {
				row, pos := qkv[i*Q:(i+1)*Q], dec.pos
				if d.llama {
					blk.rope.rotate(row, d.H+d.K, pos, false)
				}
				for g := range d.K {
					at := (g*d.maxT + pos) * d.D
					copy(dec.k[l][at:at+d.D], row[(d.H+g)*d.D:])
					copy(dec.v[l][at:at+d.D], row[(d.H+d.K+g)*d.D:])
				}
				dec.attend(row, y[i*d.H*d.D:], dec.k[l], dec.v[l], pos+1, blk)
			}
		})
		x, out = out, x
	}
	m.lnf.forward(x, bd.lnf, bd.mean[:B], bd.rstd[:B], B, 1)
	m.head.stepForward(bd.lnf, B, logits[:B*d.V], d.V, false, m.threads())
	for i, dec := range decs {
		softCap(logits, i*d.V, (i+1)*d.V, d.fam.finalCap)
		dec.pos++
	}
	return nil
}

// KVCacheBytes is the size of one Decoder's KV cache: every layer's keys
// and values, for each key/value head at every position of the context,
// in float32.
func (m *Model) KVCacheBytes() int64 {
	d := m.d
	return 8 * int64(d.L) * int64(d.K) * int64(d.maxT) * int64(d.D)
}
