package model

import (
	"fmt"
	"math"

	"github.com/xent-dev/xent/internal/gemm"
	"github.com/xent-dev/xent/internal/kernels"
	"github.com/xent-dev/xent/internal/par"
)

// # The lean forward
//
// Scoring needs none of what the training forward keeps for its backward:
// HiddenLean runs the layers one after the other over one residual stream
// [N, C], updated in place, with one layer's scratch reused by every
// layer: the norm's output [N, C], the queries, keys and values [N,
// (H+2K)·D], the attention output [N, H·D], and the MLP's hidden units
// for d.mlpRows(N) rows at a time ([rows, 3F + C], at most leanMLPBytes
// unless that is under leanRows rows). Where the layer's matrices are
// packed (gemm.PackBF16), the queries, keys and values are one product
// over the three matrices stacked, and so are the gate and the up
// projections ([rows, 2F], then the activation into [rows, F]): their
// input is packed once, not three times and twice. Attention
// runs in blocks of leanQueries queries against leanKeys keys with an online
// softmax (FlashAttention's recurrence): a block's scores are exponentiated
// against the running maximum of its row, the row's sum and output are
// rescaled when the maximum grows, and the output is divided by the sum
// at the end, so memory per worker is [leanQueries, leanKeys] scores and an
// [leanQueries, D] output, O(ctx·D) in all, never [T, T].
//
// Every product is the training forward's, on the same rows (the matrix
// products of the linears give each output element the same bits whatever
// rows are multiplied with it), so the two passes differ only in
// attention's softmax: one pass of exp against the row's true maximum and
// one division in the training pass, against a rescaled running sum here.
// TestLeanMatchesTraining bounds that difference; results are
// bit-identical across thread counts, as everywhere in the package.

// leanRows and leanMLPBytes bound how many rows of the MLP's hidden units
// exist at a time: as many as leanMLPBytes of float32 [rows, 3F + C] hold,
// and never fewer than leanRows. Each weight panel the MLP's products pack
// is used by every row of a block, so the fewer the blocks the less the
// packing costs: with Qwen2.5-0.5B's F = 4864 a 512-token window is one
// block (31.7 MB), Llama-3.2-1B's F = 8192 at 4096 tokens seven (≤ 64 MB).
const (
	leanRows     = 256
	leanMLPBytes = 64 << 20
)

// mlpRows is how many rows of N the lean MLP runs at a time: N split into
// the fewest blocks of at most max(leanRows, leanMLPBytes / (4·(3F + C)))
// rows, of equal size but for the last.
func (d dims) mlpRows(N int) int {
	most := max(leanRows, leanMLPBytes/(4*(3*d.F+d.C)))
	blocks := (N + most - 1) / most
	return max(1, (N+blocks-1)/blocks)
}

// leanQueries and leanKeys are how many queries and keys one block of
// attention scores spans (variables so that the tests can make the
// blocks small).
var leanQueries, leanKeys = attnRows, 256

// leanActs is the lean forward's scratch for N rows.
type leanActs struct {
	N, threads    int
	queries, keys int         // leanQueries and leanKeys when allocated
	res           []float32   // [N, C] the residual stream
	ln            []float32   // [N, C] a norm's output; at the end the final norm's
	qkv           []float32   // [N, (H+2K)·D]
	atty          []float32   // [N, H·D]
	stats         []float32   // [2N] a norm's means and rstds, or [N·(H+K)] q/k norms' rstds
	mlp           []float32   // [d.mlpRows(N), 3F + C] gate (then activation), up, and an output norm's input
	attn          [][]float32 // per worker, for G = H/K heads: queries [G·leanQueries, D], scores [G·leanQueries, leanKeys], output [G·leanQueries, D], running max [G·leanQueries]
	sums          [][]float64 // per worker: running sums [G·leanQueries]
}

// leanBytes is the size of the scratch of N rows on threads.
func (d dims) leanBytes(N, threads int) float64 {
	n, C := float64(N), float64(d.C)
	GQ := float64(d.H / d.K * leanQueries)
	perWorker := GQ * float64(leanKeys+2*d.D+3)
	return 4 * (n*(2*C+float64(d.qkv()+d.H*d.D)) + float64(max(2*N, N*(d.H+d.K))) +
		float64(d.mlpRows(N)*(3*d.F+d.C)) + float64(threads)*perWorker)
}

// leanActs returns the model's scratch for N rows, reallocating on a new
// count.
func (m *Model) leanActs(N int) *leanActs {
	th := m.threads()
	if a := m.lean; a != nil && a.N == N && a.threads == th && a.queries == leanQueries && a.keys == leanKeys {
		return a
	}
	m.lean = nil // let the old scratch go before the new one is made
	m.lean = m.d.newLeanActs(N, th)
	return m.lean
}

// newLeanActs allocates the scratch of N rows on threads.
func (d dims) newLeanActs(N, th int) *leanActs {
	f := func(n int) []float32 { return make([]float32, n) }
	a := &leanActs{N: N, threads: th, queries: leanQueries, keys: leanKeys, res: f(N * d.C), ln: f(N * d.C), qkv: f(N * d.qkv()), atty: f(N * d.H * d.D),
		stats: f(max(2*N, N*(d.H+d.K))), mlp: f(d.mlpRows(N) * (3*d.F + d.C)), attn: make([][]float32, th), sums: make([][]float64, th)}
	GQ := d.H / d.K * leanQueries
	for w := range a.attn {
		a.attn[w], a.sums[w] = f(GQ*(leanKeys+2*d.D+1)), make([]float64, GQ)
	}
	return a
}

// HiddenLean is Hidden through the lean forward: the final norm's output h
// [B·T, C] without the training forward's activations (no backward can
// follow it), in a buffer of the model's that is valid until the next
// lean pass. It is the forward of an inference model's Hidden and of
// eval on any model; its results equal Hidden's to float32 rounding.
func (m *Model) HiddenLean(tokens []int32, B, T int) ([]float32, error) {
	if err := m.checkLean(tokens, B, T); err != nil {
		return nil, err
	}
	m.rowTargets = m.rowTargets[:0]
	return m.leanBody(m.leanActs(B*T), tokens, B, T, nil), nil
}

// checkLean validates a batch as checkBatch does, with the lean forward's
// memory in place of the training activations'.
func (m *Model) checkLean(tokens []int32, B, T int) error {
	if err := m.checkShape(B, T); err != nil {
		return err
	}
	if err := fits(m.d.leanBytes(B*T, m.threads())); err != nil {
		return fmt.Errorf("model: the scratch of a batch [%d, %d] needs %w; use a smaller batch or context", B, T, err)
	}
	if len(tokens) != B*T {
		return fmt.Errorf("model: %d tokens for a batch [%d, %d]", len(tokens), B, T)
	}
	for i, tok := range tokens {
		if tok < 0 || int(tok) >= m.d.V {
			return fmt.Errorf("model: token %d at batch %d, position %d is outside the vocabulary [0, %d)", tok, i/T, i%T, m.d.V)
		}
	}
	return nil
}

// leanBody runs the lean forward over a checked batch with the scratch a
// and returns the final norm's output [N, C]. kv, if not nil, is handed
// each layer's keys and values [N, (H+2K)·D] (after RoPE) before its
// attention runs. It changes nothing of the model's, so that Decoders may
// run it concurrently with their own scratch.
func (m *Model) leanBody(a *leanActs, tokens []int32, B, T int, kv func(l int, qkv []float32)) []float32 {
	d, th, N := m.d, m.threads(), B*T
	x := a.res
	for i, tok := range tokens {
		m.embed(int(tok), i%T, x[i*d.C:(i+1)*d.C], a.ln)
	}
	for l := range m.blocks {
		m.leanBlock(&m.blocks[l], a, B, T, func(qkv []float32) {
			if kv != nil {
				kv(l, qkv)
			}
		})
	}
	m.lnf.forward(x, a.ln, a.stats[:N], a.stats[N:2*N], N, th)
	return a.ln
}

// leanBlock runs one layer over the residual stream a.res [N, C] in place.
// kv is handed the keys and values before attention.
func (m *Model) leanBlock(blk *block, a *leanActs, B, T int, kv func(qkv []float32)) {
	d, th, N := m.d, m.threads(), B*T
	C, W := d.C, d.qkv()
	x := a.res
	blk.ln1.forward(x, a.ln, a.stats[:N], a.stats[N:2*N], N, th)
	if blk.qkvStack != nil {
		stackedForward(blk.qkv, blk.qkvStack, a.ln, N, a.qkv, W, th)
	} else {
		off := 0
		for _, l := range blk.qkv {
			l.forward(a.ln, N, a.qkv[off:], W, false, th)
			off += l.out
		}
	}
	if blk.qNorm.w != nil { // in place, each head's D channels
		Q, KV := d.H*d.D, d.K*d.D
		par.Split(N, th, func(_, lo, hi int) {
			for i := lo; i < hi; i++ {
				row, rstd := a.qkv[i*W:], a.stats[i*(d.H+d.K):]
				blk.qNorm.forward(row[:Q], row[:Q], nil, rstd, d.H, 1)
				blk.kNorm.forward(row[Q:Q+KV], row[Q:Q+KV], nil, rstd[d.H:], d.K, 1)
			}
		})
	}
	if d.llama {
		par.Split(N, th, func(_, lo, hi int) {
			for i := lo; i < hi; i++ {
				blk.rope.rotate(a.qkv[i*W:], d.H+d.K, i%T, false)
			}
		})
	}
	kv(a.qkv)
	m.leanAttention(a, B, T, blk)
	if blk.attnOut.w != nil { // x += norm(proj(atty)), a.ln free now
		blk.proj.forward(a.atty, N, a.ln, C, false, th)
		blk.attnOut.forward(a.ln, a.ln, nil, a.stats[:N], N, th)
		addTo(x[:N*C], a.ln[:N*C])
	} else {
		blk.proj.forward(a.atty, N, x, C, true, th)
	}
	blk.ln2.forward(x, a.ln, a.stats[:N], a.stats[N:2*N], N, th)
	F, rows := d.F, d.mlpRows(N)
	gate, up, tmp := a.mlp[:rows*F], a.mlp[rows*F:2*rows*F], a.mlp[3*rows*F:]
	for r0 := 0; r0 < N; r0 += rows {
		n := min(rows, N-r0)
		in, out := a.ln[r0*C:], x[r0*C:]
		if blk.upStack == nil {
			for i, l := range blk.up {
				dst := gate
				if i > 0 {
					dst = up
				}
				l.forward(in, n, dst, F, false, th)
			}
		}
		act := gate
		switch {
		case blk.upStack != nil: // gate|up [n, 2F] over gate and up, the activation into the last F
			gu := a.mlp[:2*rows*F]
			act = a.mlp[2*rows*F : 3*rows*F]
			stackedForward(blk.up, blk.upStack, in, n, gu, 2*F, th)
			gatedStacked(gu, act, n, F, d.fam.geglu, th)
		case d.fam.geglu:
			geglu(gate, up, gate, n, F, th)
		case d.llama:
			swiglu(gate, up, gate, n, F, th)
		default:
			gelu(gate, gate, n, F, th)
		}
		if blk.mlpOut.w != nil { // out += norm(down(act))
			blk.down.forward(act, n, tmp, C, false, th)
			blk.mlpOut.forward(tmp, tmp, nil, a.stats[:n], n, th)
			addTo(out[:n*C], tmp[:n*C])
			continue
		}
		blk.down.forward(act, n, out, C, true, th)
	}
}

// leanAttention is attnForward without the probabilities: a.qkv [B, T,
// (H+2K)·D] to a.atty [B, T, H·D]. Each (sequence, key/value head, block
// of leanQueries queries) is one worker's: the G = H/K heads that share
// the key/value head have their queries copied into one matrix [G·r, D]
// (row hh·r + t: head g·G+hh at position i0+t), so that each block of
// leanKeys keys and values is packed once for all of them, and run
// against the keys with an online softmax. The blocks of keys a query
// block reads start at its first row's sliding window and end at its
// last row. Every score and output element is the sum it was with one
// head at a time (the products' bits do not depend on the rows beside
// them).
func (m *Model) leanAttention(a *leanActs, B, T int, blk *block) {
	d := m.d
	W, A, D, G := d.qkv(), d.H*d.D, d.D, d.H/d.K
	scale, capAt, window := blk.scale, d.fam.attnCap, blk.window
	Q, KB := leanQueries, leanKeys
	nq := (T + Q - 1) / Q
	par.Split(B*d.K*nq, m.threads(), func(w, lo, hi int) {
		buf, sum := a.attn[w], a.sums[w]
		GQ := G * Q
		qs, s := buf[:GQ*D], buf[GQ*D:GQ*(D+KB)]
		o, mx := buf[GQ*(D+KB):GQ*(2*D+KB)], buf[GQ*(2*D+KB):]
		for u := lo; u < hi; u++ {
			b, g, qb := u/(d.K*nq), u/nq%d.K, u%nq
			seq := a.qkv[b*T*W:]
			k, v := seq[(d.H+g)*D:], seq[(d.H+d.K+g)*D:]
			i0, i1 := qb*Q, min(T, (qb+1)*Q)
			r := i1 - i0
			R := G * r
			for hh := range G {
				for t := range r {
					copy(qs[(hh*r+t)*D:(hh*r+t+1)*D], seq[(i0+t)*W+(g*G+hh)*D:])
				}
			}
			clear(o[:R*D])
			for e := range R {
				mx[e], sum[e] = -math.MaxFloat32, 0
			}
			for j0 := firstKey(i0, window) / KB * KB; j0 < i1; j0 += KB {
				j1 := min(i1, j0+KB)
				nk := j1 - j0
				gemm.Sgemm(gemm.NoTrans, gemm.Trans, R, nk, D, scale, qs, D, k[j0*W:], W, 0, s, KB, 1)
				for e := range R {
					t := e % r
					row := s[e*KB : e*KB+nk]
					lo, hi := max(firstKey(i0+t, window), j0)-j0, min(i0+t+1, j1)-j0
					if lo >= hi { // no key of this block is seen
						clear(row)
						continue
					}
					softCap(row, lo, hi, capAt)
					bm := max(mx[e], maxOf(row[lo:hi]))
					if bm > mx[e] { // rescale what came before to the new maximum
						c := math.Exp(float64(mx[e] - bm))
						sum[e] *= c
						scaleBy(o[e*D:(e+1)*D], float32(c))
						mx[e] = bm
					}
					kernels.ExpAffine(row[lo:hi], row[lo:hi], bm, 1, 0)
					sum[e] += sumF64(row[lo:hi])
					clear(row[:lo])
					clear(row[hi:])
				}
				gemm.Sgemm(gemm.NoTrans, gemm.NoTrans, R, D, nk, 1, s, KB, v[j0*W:], W, 1, o, D, 1)
			}
			for e := range R {
				hh, t := e/r, e%r
				y, inv := a.atty[(b*T+i0+t)*A+(g*G+hh)*D:], float32(1/sum[e])
				for c := range D {
					y[c] = o[e*D+c] * inv
				}
			}
		}
	})
}

// maxOf is the largest of x (NaN if any is), four running maxima at a time.
func maxOf(x []float32) float32 {
	m := [4]float32{-math.MaxFloat32, -math.MaxFloat32, -math.MaxFloat32, -math.MaxFloat32}
	i := 0
	for ; i+4 <= len(x); i += 4 {
		m[0], m[1], m[2], m[3] = max(m[0], x[i]), max(m[1], x[i+1]), max(m[2], x[i+2]), max(m[3], x[i+3])
	}
	for ; i < len(x); i++ {
		m[0] = max(m[0], x[i])
	}
	return max(m[0], m[1], m[2], m[3])
}

// sumF64 is Σ x in float64, in four running sums (x[i] into sum i mod 4)
// added at the end: four chains of additions in flight instead of one.
func sumF64(x []float32) float64 {
	var z [4]float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		z[0] += float64(x[i])
		z[1] += float64(x[i+1])
		z[2] += float64(x[i+2])
		z[3] += float64(x[i+3])
	}
	for ; i < len(x); i++ {
		z[i%4] += float64(x[i])
	}
	return (z[0] + z[1]) + (z[2] + z[3])
}

// stackPacked stacks the packed matrices of each layer's qkv and of its
// up projections (gemm.Stack) where every one is packed and all or none
// has a bias (so that the stacked product adds what each did).
func (m *Model) stackPacked() {
	stack := func(ls []linear) *gemm.Packed {
		if len(ls) < 2 {
			return nil
		}
		var pks []*gemm.Packed
		for _, l := range ls {
			if l.pk == nil || (l.b == nil) != (ls[0].b == nil) {
				return nil
			}
			pks = append(pks, l.pk)
		}
		return gemm.Stack(pks...)
	}
	for i := range m.blocks {
		b := &m.blocks[i]
		b.qkvStack, b.upStack = stack(b.qkv), stack(b.up)
	}
}

// stackedForward is the forward of the linears ls over x [n, in] into y
// [n, Σ out] (leading dimension ldy, each linear's outputs after the
// previous one's) as one product over their stacked packed matrices st:
// the products and the bits of each linear's forward, x packed once.
func stackedForward(ls []linear, st *gemm.Packed, x []float32, n int, y []float32, ldy, threads int) {
	beta := float32(0)
	if ls[0].b != nil {
		for i := range n {
			off := 0
			for _, l := range ls {
				copy(y[i*ldy+off:i*ldy+off+l.out], l.b)
				off += l.out
			}
		}
		beta = 1
	}
	if n == 1 {
		gemm.SgemvPacked(n, 1, x, ls[0].in, st, beta, y, ldy, threads)
		return
	}
	gemm.SgemmPacked(n, 1, x, ls[0].in, st, beta, y, ldy, ls[0].native, threads)
}
