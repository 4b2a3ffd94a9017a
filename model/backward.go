package model

import (
	"fmt"

	"github.com/xent-dev/xent/internal/kernels"
	"github.com/xent-dev/xent/internal/par"
	"github.com/xent-dev/xent/loss"
)

// ForwardBackward is Forward followed by the backward pass: it returns the
// loss under opt (as Forward) and adds its gradient with respect to every parameter to the
// gradient buffer (call ZeroGrads first unless accumulating). The output
// head's logits, loss and gradient come from one fused call, so the head
// costs three matrix products and never holds [N, V].
func (m *Model) ForwardBackward(tokens []int32, B, T int, targets []int32, opt loss.Options) (float64, error) {
	if err := m.trainable(); err != nil {
		return 0, err
	}
	if targets == nil {
		return 0, fmt.Errorf("model: ForwardBackward needs targets")
	}
	if err := m.checkBatch(tokens, B, T, targets, opt.Ignored()); err != nil {
		return 0, err
	}
	hd, err := m.lossHead()
	if err != nil {
		return 0, err
	}
	a := m.body(tokens, B, T)
	N := B * T
	// dlnf [N, C] into a.dln; the head's gradient into its weight's (the embedding's when tied).
	res, err := loss.LinearCrossEntropy(a.lnf, N, hd, loss.Targets{Index: targets}, m.lossOptions(opt), []float32{1}, a.dln, m.head.dw)
	if err != nil {
		return 0, fmt.Errorf("model: %w", err)
	}
	m.backwardBody(a)
	return res.Loss, nil
}

// backwardBody takes the gradient of the final norm's output, left in
// a.dln [N, C] by the head, back through every layer to the embeddings,
// adding every parameter's gradient.
func (m *Model) backwardBody(a *acts) {
	d, B, T, th := m.d, a.B, a.T, m.threads()
	N := B * T
	clear(a.dres)
	m.lnf.backward(a.res[d.L], a.dln, a.dres, a.lnfMean, a.lnfRstd, N, a.scratch, a.ones, th)
	for l := d.L - 1; l >= 0; l-- {
		m.blockBackward(&m.blocks[l], &a.layers[l], a.res[l], B, T)
	}
	// Embeddings, in row order (rows may share a token).
	for i, tok := range a.tokens {
		g := a.dres[i*d.C : (i+1)*d.C]
		if s := d.fam.embedScale; s != 0 {
			for j, v := range g {
				m.dwte[int(tok)*d.C+j] += v * s
			}
		} else {
			addTo(m.dwte[int(tok)*d.C:], g)
		}
		if m.dwpe != nil {
			addTo(m.dwpe[(i%T)*d.C:], g)
		}
	}
}

// outNormBackward is the gradient of what a Gemma 2 output norm nm
// normalised (x [N, C], with its rstds), given a.dres, that of its
// output: in a.dsand, with nm's weight gradient added. Without the norm
// (w nil) it is a.dres itself.
func (m *Model) outNormBackward(nm norm, x, rstd []float32, N int) []float32 {
	a := m.a
	if nm.w == nil {
		return a.dres
	}
	clear(a.dsand)
	nm.backward(x, a.dres, a.dsand, nil, rstd, N, a.scratch, a.ones, m.threads())
	return a.dsand
}

// blockBackward takes a.dres from the gradient of the layer's output to
// that of its input x [N, C], adding the layer's parameter gradients.
func (m *Model) blockBackward(blk *block, la *layerActs, x []float32, B, T int) {
	a, d, N, th := m.a, m.d, B*T, m.threads()
	// out = res2 + down(act) (or + norm(down(act))): dres carries on to res2 unchanged.
	blk.down.backward(la.act, N, m.outNormBackward(blk.mlpOut, la.mout, la.moutRstd, N), d.C, a.dact, false, a.ones, th)
	if d.fam.geglu {
		gegluBackward(la.fc, la.up, a.dact, a.dfc, a.dup, N, d.F, th)
	} else if d.llama {
		swigluBackward(la.fc, la.up, a.dact, a.dfc, a.dup, N, d.F, th)
	} else {
		geluBackward(la.fc, a.dact, a.dfc, N, d.F, th)
	}
	for i, l := range blk.up {
		dy := a.dfc
		if i > 0 {
			dy = a.dup
		}
		l.backward(la.ln2, N, dy, d.F, a.dln, i > 0, a.ones, th)
	}
	blk.ln2.backward(la.res2, a.dln, a.dres, la.ln2Mean, la.ln2Rstd, N, a.scratch, a.ones, th)
	// res2 = x + proj(atty): dres carries on to x.
	blk.proj.backward(la.atty, N, m.outNormBackward(blk.attnOut, la.aout, la.aoutRstd, N), d.C, a.datty, false, a.ones, th)
	m.attnBackward(la.qkv, la.att, a.datty, a.dqkv, B, T, blk)
	W := d.qkv()
	if d.llama {
		par.Split(N, th, func(_, lo, hi int) {
			for i := lo; i < hi; i++ {
				blk.rope.rotate(a.dqkv[i*W:], d.H+d.K, i%T, true)
			}
		})
	}
	if blk.qNorm.w != nil {
		m.qkNormBackward(blk, la, N)
	}
	off := 0
	for i, l := range blk.qkv {
		l.backward(la.ln1, N, a.dqkv[off:], W, a.dln, i > 0, a.ones, th)
		off += l.out
	}
	blk.ln1.backward(x, a.dln, a.dres, la.ln1Mean, la.ln1Rstd, N, a.scratch, a.ones, th)
}

// SetMixedBF16 turns mixed-precision training on or off. On, every
// transformer block's linear layers (attention's q, k, v and output
// projections, the MLP's) and the output head (the fused head loss's three
// products: logits, dh and dW) multiply in bfloat16 and add in float32,
// forward and backward (gemm.SgemmBF16Native, VDPBF16PS where the CPU has
// AVX512_BF16): their float32 weights, the master copy that the optimizer
// updates, are rounded to bfloat16 (nearest even) into a copy the products
// read, and the activations and gradients they multiply are rounded as
// they are packed. Everything else stays float32: the embeddings (a tied
// head's lookups read the float32 table), norms, attention's own products
// (scores and the weighted sum of values), the logits, the loss and its
// gradient, the gradients' sums and the optimizer. The copy is taken now:
// call SetMixedBF16(true) again after the weights change (train.Trainer
// does before each step). SetMixedBF16(false) computes in float32 again
// (the copy's memory is kept for the next call). An inference model has
// nothing to train: an error.
func (m *Model) SetMixedBF16(on bool) error {
	if err := m.trainable(); err != nil {
		return err
	}
	var ls []*linear
	for i := range m.blocks {
		b := &m.blocks[i]
		for j := range b.qkv {
			ls = append(ls, &b.qkv[j])
		}
		for j := range b.up {
			ls = append(ls, &b.up[j])
		}
		ls = append(ls, &b.proj, &b.down)
	}
	ls = append(ls, &m.head)
	if !on {
		for _, l := range ls {
			l.wb, l.native = nil, false
		}
		return nil
	}
	n := 0
	for _, l := range ls {
		n += len(l.w)
	}
	if len(m.mixed) != n {
		m.mixed = make([]uint16, n)
	}
	off := 0
	for _, l := range ls {
		l.wb, l.native = m.mixed[off:off+len(l.w):off+len(l.w)], true
		off += len(l.w)
	}
	// Pieces of at most 1M weights, so that the threads share the head
	// (GPT-2 small's: 38.6M of 124M) as evenly as the blocks.
	const piece = 1 << 20
	type span struct {
		l      *linear
		lo, hi int
	}
	var spans []span
	for _, l := range ls {
		for lo := 0; lo < len(l.w); lo += piece {
			spans = append(spans, span{l, lo, min(len(l.w), lo+piece)})
		}
	}
	par.Split(len(spans), m.threads(), func(_, lo, hi int) {
		for _, s := range spans[lo:hi] {
			kernels.F32ToBF16(s.l.wb[s.lo:s.hi], s.l.w[s.lo:s.hi])
		}
	})
	return nil
}

// MixedBF16 reports whether mixed-precision training is on (SetMixedBF16).
func (m *Model) MixedBF16() bool {
	return len(m.blocks) > 0 && len(m.blocks[0].qkv) > 0 && m.blocks[0].qkv[0].native && m.inf == nil
}
