package model

import (
	"fmt"

	"github.com/xent-dev/xent/internal/par"
	"github.com/xent-dev/xent/loss"
)

// layerActs are what one layer's forward saves for its backward; N = B·T.
type layerActs struct {
	ln1, ln2         []float32 // [N, C] normalised inputs of attention and MLP
	ln1Mean, ln2Mean []float32 // [N]; GPT-2 only
	ln1Rstd, ln2Rstd []float32 // [N]
	qkv              []float32 // [N, (H+2K)·D] queries, keys, values (Llama: after RoPE)
	att              []float32 // [B, H, T, T] attention probabilities
	atty             []float32 // [N, H·D] attention output per head
	res2             []float32 // [N, C] residual stream after attention
	fc, up           []float32 // [N, F] GPT-2: c_fc output (fc); Llama: gate (fc), up
	act              []float32 // [N, F] GELU(fc) or SiLU(gate)·up
	// qkPre [N·H, D] then [N·K, D] are the queries and keys before q_norm
	// and k_norm, qkRstd [N·(H+K)] their rstds; Qwen3 only.
	qkPre, qkRstd []float32
	// aout and mout [N, C] are the attention's and the MLP's outputs
	// before their norms, aoutRstd and moutRstd [N] the norms' rstds;
	// Gemma 2 only.
	aout, mout, aoutRstd, moutRstd []float32
	// step marks a batched decoding step's rows (BatchDecoder): the
	// linear layers' products go through linear.stepForward.
	step bool
}

func newLayerActs(d dims, B, T int) layerActs {
	N := B * T
	f := func(n int) []float32 { return make([]float32, n) }
	la := layerActs{ln1: f(N * d.C), ln2: f(N * d.C), ln1Rstd: f(N), ln2Rstd: f(N),
		qkv: f(N * d.qkv()), att: f(B * d.H * T * T), atty: f(N * d.H * d.D), res2: f(N * d.C),
		fc: f(N * d.F), act: f(N * d.F)}
	if d.llama {
		la.up = f(N * d.F)
	} else {
		la.ln1Mean, la.ln2Mean = f(N), f(N)
	}
	if d.fam.qkNorm {
		la.qkPre, la.qkRstd = f(N*(d.H+d.K)*d.D), f(N*(d.H+d.K))
	}
	if d.fam.sandwich {
		la.aout, la.mout, la.aoutRstd, la.moutRstd = f(N*d.C), f(N*d.C), f(N), f(N)
	}
	return la
}

// acts are the activation buffers of a batch [B, T] and the backward's
// scratch, allocated once per batch shape.
type acts struct {
	B, T    int
	tokens  []int32     // [N]
	res     [][]float32 // L+1 × [N, C]: the embeddings, then each layer's output
	layers  []layerActs
	lnf     []float32 // [N, C]
	lnfMean []float32 // [N]; GPT-2 only
	lnfRstd []float32 // [N]

	dres, dln []float32   // [N, C] residual-stream and norm-output gradients
	dqkv      []float32   // [N, (H+2K)·D]
	datty     []float32   // [N, H·D]
	dfc, dup  []float32   // [N, F]
	dact      []float32   // [N, F]
	scratch   []float32   // [N, C]
	ones      []float32   // [N] ones, for column sums
	dscores   [][]float32 // per worker [T, T]
	rawScores [][]float32 // per worker [T, T] under an attention soft-cap; else nil
	dsand     []float32   // [N, C] gradient of a Gemma 2 output norm's input; else nil
	// qk [3, N·(H+K)·D] and qkOnes [N·(H+K)] are q_norm and k_norm's
	// backward scratch; Qwen3 only.
	qk, qkOnes []float32
	threads    int
}

// acts returns the buffers for [B, T], reallocating on a new shape.
func (m *Model) acts(B, T int) *acts {
	if a := m.a; a != nil && a.B == B && a.T == T && a.threads == m.threads() {
		return a
	}
	m.a = nil // let the old buffers go before the new ones are made
	d, N := m.d, B*T
	f := func(n int) []float32 { return make([]float32, n) }
	a := &acts{B: B, T: T, tokens: make([]int32, N), lnf: f(N * d.C), lnfRstd: f(N),
		dres: f(N * d.C), dln: f(N * d.C), dqkv: f(N * d.qkv()), datty: f(N * d.H * d.D),
		dfc: f(N * d.F), dact: f(N * d.F), scratch: f(N * d.C), ones: f(N), threads: m.threads()}
	if d.llama {
		a.dup = f(N * d.F)
	} else {
		a.lnfMean = f(N)
	}
	if d.fam.qkNorm {
		a.qk, a.qkOnes = f(3*N*(d.H+d.K)*d.D), f(N*(d.H+d.K))
		for i := range a.qkOnes {
			a.qkOnes[i] = 1
		}
	}
	for i := range a.ones {
		a.ones[i] = 1
	}
	a.res = make([][]float32, d.L+1)
	for i := range a.res {
		a.res[i] = f(N * d.C)
	}
	a.layers = make([]layerActs, d.L)
	for i := range a.layers {
		a.layers[i] = newLayerActs(d, B, T)
	}
	a.dscores = make([][]float32, a.threads)
	for i := range a.dscores {
		a.dscores[i] = f(T * T)
	}
	if d.fam.sandwich {
		a.dsand = f(N * d.C)
	}
	if d.fam.attnCap != 0 {
		a.rawScores = make([][]float32, a.threads)
		for i := range a.rawScores {
			a.rawScores[i] = f(T * T)
		}
	}
	m.a = a
	return a
}

// checkBatch validates a batch of tokens [B, T] and, if not nil, its
// targets [B, T] (class ids or the ignore index).
func (m *Model) checkBatch(tokens []int32, B, T int, targets []int32, ignore int) error {
	if err := m.CheckBatch(B, T); err != nil {
		return err
	}
	if len(tokens) != B*T {
		return fmt.Errorf("model: %d tokens for a batch [%d, %d]", len(tokens), B, T)
	}
	for i, tok := range tokens {
		if tok < 0 || int(tok) >= m.d.V {
			return fmt.Errorf("model: token %d at batch %d, position %d is outside the vocabulary [0, %d)", tok, i/T, i%T, m.d.V)
		}
	}
	if targets == nil {
		return nil
	}
	if len(targets) != B*T {
		return fmt.Errorf("model: %d targets for a batch [%d, %d]", len(targets), B, T)
	}
	for i, tok := range targets {
		if int(tok) != ignore && (tok < 0 || int(tok) >= m.d.V) {
			return fmt.Errorf("model: target %d at batch %d, position %d is outside the vocabulary [0, %d)", tok, i/T, i%T, m.d.V)
		}
	}
	return nil
}

// body runs the transformer over a checked batch up to the final norm,
// whose output it leaves in a.lnf [N, C].
func (m *Model) body(tokens []int32, B, T int) *acts {
	a, d, th := m.acts(B, T), m.d, m.threads()
	m.rowTargets = m.rowTargets[:0]
	copy(a.tokens, tokens)
	x := a.res[0]
	for i, tok := range tokens {
		m.embed(int(tok), i%T, x[i*d.C:(i+1)*d.C], a.scratch)
	}
	W := d.qkv()
	for l := range m.blocks {
		m.blockForward(&m.blocks[l], &a.layers[l], a.res[l], a.res[l+1], B*T, func(qkv, y []float32) {
			if d.llama {
				par.Split(B*T, th, func(_, lo, hi int) {
					for i := lo; i < hi; i++ {
						m.blocks[l].rope.rotate(qkv[i*W:], d.H+d.K, i%T, false)
					}
				})
			}
			m.attnForward(qkv, a.layers[l].att, y, B, T, &m.blocks[l])
		})
	}
	m.lnf.forward(a.res[d.L], a.lnf, a.lnfMean, a.lnfRstd, B*T, th)
	return a
}

// embed sets the residual stream's row dst [C] to the token's embedding
// (times the family's scale) plus, in GPT-2, the position's; tmp [C] is
// scratch for a position embedding that is not float32.
func (m *Model) embed(tok, pos int, dst, tmp []float32) {
	m.emb.row(tok, dst)
	if s := m.d.fam.embedScale; s != 0 {
		scaleBy(dst, s)
	}
	switch {
	case m.wpe != nil:
		addTo(dst, m.wpe[pos*m.d.C:(pos+1)*m.d.C])
	case m.pos.wb != nil || m.pos.q != nil:
		m.pos.row(pos, tmp)
		addTo(dst, tmp[:m.d.C])
	}
}

// hidden runs a checked batch through the training forward, or an
// inference model's through the lean one, and returns the final norm's
// output [N, C].
func (m *Model) hidden(tokens []int32, B, T int) []float32 {
	if m.inf != nil {
		m.rowTargets = m.rowTargets[:0]
		return m.leanBody(m.leanActs(B*T), tokens, B, T, nil)
	}
	return m.body(tokens, B, T).lnf
}

// blockForward runs one layer over n rows, x [n, C] to out [n, C]. attend
// turns the layer's queries, keys and values [n, (H+2K)·D] into the
// attention output y [n, H·D]: the whole causal batch, or one decoding step.
func (m *Model) blockForward(blk *block, la *layerActs, x, out []float32, n int, attend func(qkv, y []float32)) {
	d, th := m.d, m.threads()
	fwd := linear.forward
	if la.step {
		fwd = linear.stepForward
	}
	blk.ln1.forward(x, la.ln1, la.ln1Mean, la.ln1Rstd, n, th)
	off := 0
	for _, l := range blk.qkv {
		fwd(l, la.ln1, n, la.qkv[off:], d.qkv(), false, th)
		off += l.out
	}
	if blk.qNorm.w != nil {
		m.qkNormForward(blk, la, n)
	}
	attend(la.qkv, la.atty)
	if blk.attnOut.w != nil { // res2 = x + norm(proj(atty))
		fwd(blk.proj, la.atty, n, la.aout, d.C, false, th)
		blk.attnOut.forward(la.aout, la.res2, nil, la.aoutRstd, n, th)
		addTo(la.res2[:n*d.C], x[:n*d.C])
	} else {
		copy(la.res2, x[:n*d.C])
		fwd(blk.proj, la.atty, n, la.res2, d.C, true, th)
	}
	blk.ln2.forward(la.res2, la.ln2, la.ln2Mean, la.ln2Rstd, n, th)
	for i, l := range blk.up {
		dst := la.fc
		if i > 0 {
			dst = la.up
		}
		fwd(l, la.ln2, n, dst, d.F, false, th)
	}
	if d.fam.geglu {
		geglu(la.fc, la.up, la.act, n, d.F, th)
	} else if d.llama {
		swiglu(la.fc, la.up, la.act, n, d.F, th)
	} else {
		gelu(la.fc, la.act, n, d.F, th)
	}
	if blk.mlpOut.w != nil { // out = res2 + norm(down(act))
		fwd(blk.down, la.act, n, la.mout, d.C, false, th)
		blk.mlpOut.forward(la.mout, out, nil, la.moutRstd, n, th)
		addTo(out[:n*d.C], la.res2[:n*d.C])
		return
	}
	copy(out, la.res2[:n*d.C])
	fwd(blk.down, la.act, n, out, d.C, true, th)
}

// Forward scores a batch of tokens [B, T] against targets [B, T] (usually
// the tokens shifted by one) in one causal pass and returns the loss under
// opt: with the zero Options, the mean next-token cross-entropy in nats;
// loss.Sum gives the total, and label smoothing, z-loss and the ignore index
// apply as in loss.CrossEntropy. opt.Threads is ignored (the model's
// Threads bound every step). The logits are never materialised. Gradients
// are untouched.
func (m *Model) Forward(tokens []int32, B, T int, targets []int32, opt loss.Options) (float64, error) {
	if targets == nil {
		return 0, fmt.Errorf("model: Forward needs targets")
	}
	if err := m.checkBatch(tokens, B, T, targets, opt.Ignored()); err != nil {
		return 0, err
	}
	res, err := m.headLoss(m.hidden(tokens, B, T), B*T, targets, m.lossOptions(opt))
	if err != nil {
		return 0, fmt.Errorf("model: %w", err)
	}
	return res.Loss, nil
}

// Logits returns the logits [B, T, V] of a batch of tokens [B, T]: at
// position t, the scores of the token that follows tokens 0..t.
func (m *Model) Logits(tokens []int32, B, T int) ([]float32, error) {
	if err := m.checkBatch(tokens, B, T, nil, 0); err != nil {
		return nil, err
	}
	logits := make([]float32, B*T*m.d.V)
	m.HeadLogits(m.hidden(tokens, B, T), B*T, logits)
	return logits, nil
}

// headLoss is the loss of the head over h [n, C] against targets, fused
// (loss.LinearCrossEntropy), or for a Matrix head, which the fused loss
// cannot read, from its logits computed a chunk of rows at a time and
// reduced as the fused loss reduces them.
func (m *Model) headLoss(h []float32, n int, targets []int32, opt loss.LinearOptions) (loss.Result, error) {
	if m.head.q == nil {
		hd, err := m.lossHead()
		if err != nil {
			return loss.Result{}, err
		}
		res, err := loss.LinearCrossEntropy(h, n, hd, loss.Targets{Index: targets}, opt, nil, nil, nil)
		if err != nil {
			return res, fmt.Errorf("model: %w", err)
		}
		return res, nil
	}
	V, C := m.d.V, m.d.C
	rows := max(1, min(n, (64<<20)/(4*V)))
	logits := make([]float32, rows*V)
	o := opt.Options
	if o.Reduction == loss.Mean {
		o.Reduction = loss.Sum
	}
	var out loss.Result
	var ce float64 // the cross-entropy sum, z-loss apart
	for r0 := 0; r0 < n; r0 += rows {
		k := min(rows, n-r0)
		m.head.forward(h[r0*C:], k, logits, V, false, m.threads())
		res, err := loss.CrossEntropy(loss.F32(logits[:k*V], k, V), loss.Targets{Index: targets[r0 : r0+k]}, o)
		if err != nil {
			return out, fmt.Errorf("model: rows %d to %d: %w", r0, r0+k, err)
		}
		ce += res.Loss - res.ZLoss
		out.ZLoss += res.ZLoss
		out.Count += res.Count
		out.Denominator += res.Denominator
		out.RowLoss = append(out.RowLoss, res.RowLoss...)
		out.LSE = append(out.LSE, res.LSE...)
	}
	if opt.Reduction == loss.Mean {
		if out.Count == 0 {
			return loss.Result{RowLoss: out.RowLoss, LSE: out.LSE}, nil
		}
		ce /= out.Denominator
		out.ZLoss /= float64(out.Count)
	}
	out.Loss = ce + out.ZLoss
	return out, nil
}

// lossHead is the output head for loss.LinearCrossEntropy: float32 or
// bfloat16 weights (the loss's math is float32 either way), with bfloat16
// products in mixed-precision training (SetMixedBF16). A Matrix head has
// none: its logits come from HeadLogits only.
func (m *Model) lossHead() (loss.Head, error) {
	switch {
	case m.head.q != nil:
		return loss.Head{}, fmt.Errorf("model: the fused head loss cannot read a %T head; score through Hidden and HeadLogits", m.head.q)
	case m.head.wb != nil:
		return loss.Head{V: m.d.V, C: m.d.C, BF16: m.head.wb, Native: m.head.native && m.inf == nil}, nil
	}
	return loss.Head{V: m.d.V, C: m.d.C, W: m.head.w}, nil
}

// lossOptions are opt for the head's fused loss, on the model's threads.
func (m *Model) lossOptions(opt loss.Options) loss.LinearOptions {
	opt.Threads = m.threads()
	if c := m.d.fam.finalCap; c != 0 {
		opt.SoftCap = c // the model's own (Gemma 2's final_logit_softcapping)
	}
	return loss.LinearOptions{Options: opt}
}
