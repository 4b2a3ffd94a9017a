package model

import (
	"fmt"
	"math"

	"github.com/xent-dev/xent/internal/gemm"
)

// Decoder runs a model one token at a time, keeping every layer's keys and
// values (the KV cache) so that each step attends to all earlier tokens
// without recomputing them. Its logits equal, position by position, those
// of the parallel Logits over the same tokens.
type Decoder struct {
	m      *Model
	pos    int
	k, v   [][]float32 // L × [maxT, K·D] keys (Llama: after RoPE) and values
	la     layerActs   // one row's activations
	x, out []float32   // [C] residual stream in and out of a layer
	lnf    []float32   // [C]
	stats  []float32   // [2]: the final norm's mean and rstd
	scores []float32   // [maxT]
}

// NewDecoder returns a decoder at position 0. It reads the model's
// parameters at every step, so they must not change while it is in use.
func NewDecoder(m *Model) *Decoder {
	d := m.d
	dec := &Decoder{m: m, la: newLayerActs(d, 1, 1), x: make([]float32, d.C), out: make([]float32, d.C),
		lnf: make([]float32, d.C), stats: make([]float32, 2), scores: make([]float32, d.maxT)}
	dec.k, dec.v = make([][]float32, d.L), make([][]float32, d.L)
	for l := range d.L {
		dec.k[l], dec.v[l] = make([]float32, d.maxT*d.K*d.D), make([]float32, d.maxT*d.K*d.D)
	}
	return dec
}

// Pos is the number of tokens seen since the start or the last Reset.
func (dec *Decoder) Pos() int { return dec.pos }

// Reset forgets every token; the next Step is at position 0.
func (dec *Decoder) Reset() { dec.pos = 0 }

// Step feeds the token at the next position and returns the logits [V] of
// the token after it.
func (dec *Decoder) Step(token int32) ([]float32, error) {
	m, d := dec.m, dec.m.d
	if dec.pos >= d.maxT {
		return nil, fmt.Errorf("model: decoding past the context of %d tokens", d.maxT)
	}
	if token < 0 || int(token) >= d.V {
		return nil, fmt.Errorf("model: token %d at position %d is outside the vocabulary [0, %d)", token, dec.pos, d.V)
	}
	pos := dec.pos
	copy(dec.x, m.wte[int(token)*d.C:])
	if m.wpe != nil {
		addTo(dec.x, m.wpe[pos*d.C:(pos+1)*d.C])
	}
	KD := d.K * d.D
	for l := range m.blocks {
		m.blockForward(&m.blocks[l], &dec.la, dec.x, dec.out, 1, func(qkv, y []float32) {
			if d.llama {
				m.rope.rotate(qkv, d.H+d.K, pos, false)
			}
			copy(dec.k[l][pos*KD:], qkv[d.H*d.D:(d.H+d.K)*d.D])
			copy(dec.v[l][pos*KD:], qkv[(d.H+d.K)*d.D:])
			dec.attend(qkv, y, dec.k[l], dec.v[l], pos+1)
		})
		dec.x, dec.out = dec.out, dec.x
	}
	m.lnf.forward(dec.x, dec.lnf, dec.stats[:1], dec.stats[1:], 1, 1)
	logits := make([]float32, d.V)
	m.head.forward(dec.lnf, 1, logits, d.V, false, m.threads())
	dec.pos++
	return logits, nil
}

// attend is one query row's attention over the n cached positions:
// y [H·D] from the queries at the start of qkv and the caches [n, K·D].
func (dec *Decoder) attend(qkv, y, k, v []float32, n int) {
	d := dec.m.d
	KD, G := d.K*d.D, d.H/d.K
	scale := float32(1 / math.Sqrt(float64(d.D)))
	s := dec.scores[:n]
	for h := range d.H {
		g := h / G
		gemm.Sgemm(false, true, 1, n, d.D, scale, qkv[h*d.D:], d.D, k[g*d.D:], KD, 0, s, n, 1)
		softmaxPrefix(s, n)
		gemm.Sgemm(false, false, 1, d.D, n, 1, s, n, v[g*d.D:], KD, 0, y[h*d.D:], d.D, 1)
	}
}
