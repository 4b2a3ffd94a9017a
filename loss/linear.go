package loss

import (
	"fmt"
	"math"
	"sync"

	"github.com/xent-dev/xent/internal/gemm"
	"github.com/xent-dev/xent/internal/kernels"
	"github.com/xent-dev/xent/internal/par"
)

// Head is an output projection W [V, C]: logits = h·Wᵀ. A tied head is the
// token embedding itself.
type Head struct {
	V, C int
	W    []float32 // [V, C] float32, or
	BF16 []uint16  // [V, C] bfloat16 bits; the math is float32 unless Native
	// Native, with BF16, multiplies in bfloat16 and adds in float32
	// (gemm.SgemmBF16Native), as mixed-precision training's layers do: the
	// hidden states and dlogits are rounded to bfloat16 (nearest even) for
	// the three products. The logits come out in float32 and the
	// cross-entropy (log-sum-exp, loss, dlogits) is float32 math as always.
	Native bool
}

func (hd Head) check() error {
	if hd.V <= 0 || hd.C <= 0 {
		return fmt.Errorf("loss: head has shape [%d, %d]; need V ≥ 1 and C ≥ 1", hd.V, hd.C)
	}
	size := int64(hd.V) * int64(hd.C)
	switch {
	case (hd.W == nil) == (hd.BF16 == nil):
		return fmt.Errorf("loss: head needs exactly one of float32 or bfloat16 weights")
	case hd.W != nil && int64(len(hd.W)) != size:
		return fmt.Errorf("loss: head is [%d, %d] but holds %d float32 values", hd.V, hd.C, len(hd.W))
	case hd.BF16 != nil && int64(len(hd.BF16)) != size:
		return fmt.Errorf("loss: head is [%d, %d] but holds %d bfloat16 values", hd.V, hd.C, len(hd.BF16))
	case hd.Native && hd.BF16 == nil:
		return fmt.Errorf("loss: a head with bfloat16 products (Native) needs bfloat16 weights")
	}
	return nil
}

// LinearOptions configure LinearCrossEntropy.
type LinearOptions struct {
	Options // the cross-entropy's options, all of them apply
	// ChunkBytes bounds the logits buffer of one chunk of tokens,
	// chunk·V·4 bytes; 0 means DefaultChunkBytes. At least one row is used.
	ChunkBytes int
	// FilterBelow > 0 turns on gradient filtering, after Cut Cross-Entropy
	// (Wijmans et al. 2024): a block of FilterBlock vocabulary entries whose
	// |softmax − target| is below FilterBelow for every token of the chunk
	// is left out of dh and dW. It approximates the gradient, so it is off
	// by default; BENCHMARKS.md has its speed-up and error.
	FilterBelow float32
}

// FilterBlock is the width, in vocabulary entries, of the blocks gradient
// filtering keeps or skips.
const FilterBlock = 256

// DefaultChunkBytes is the default bound on a chunk's logits: 32 MiB, 166
// tokens of a 50257-entry vocabulary.
const DefaultChunkBytes = 32 << 20

// LinearCrossEntropy is the output head and its cross-entropy in one call,
// for hidden states h [N, C] and a head W [V, C]:
//
//	loss = CE(h·Wᵀ, targets)       with every option of CrossEntropy
//	dh   = dlogits·W               [N, C], overwritten
//	dW  += dlogitsᵀ·h              [V, C], accumulated in float32
//
// The [N, V] logits never exist. Tokens go in chunks whose logits fit in
// ChunkBytes: for each chunk, one sgemm makes the chunk's logits, the
// cross-entropy kernel turns them into dlogits in place (scaled by the
// whole batch's denominator, so chunks add up to the unchunked result), and
// two sgemms take dh and dW from them. That is the three matrix products of
// the unfused path and no recomputation: the logits a chunk's gradient uses
// are the ones its loss used.
//
// A Native head (Head.Native) runs the three products in bfloat16 with
// float32 sums; the loss and dlogits are float32 as ever.
//
// dW is accumulated (+=) so that a tied head can pass its embedding's
// gradient directly; zero it first otherwise. dloss == nil computes the
// loss alone (dh and dW untouched, may be nil); otherwise dloss is the
// upstream gradient as in CrossEntropyForwardBackward, and either of dh, dW
// may be nil to skip it.
func LinearCrossEntropy(h []float32, n int, head Head, targets Targets, opt LinearOptions, dloss []float32, dh, dW []float32) (Result, error) {
	if err := head.check(); err != nil {
		return Result{}, err
	}
	v, c := head.V, head.C
	if n < 0 || int64(len(h)) != int64(n)*int64(c) {
		return Result{}, fmt.Errorf("loss: hidden states hold %d values, want N·C = %d·%d", len(h), n, c)
	}
	j, err := newTargetsJob(n, v, targets, opt.Options)
	if err != nil {
		return Result{}, err
	}
	if dloss != nil {
		if err := j.setUpstream(dloss); err != nil {
			return Result{}, err
		}
		if dh != nil && len(dh) != len(h) {
			return Result{}, fmt.Errorf("loss: dh holds %d values, want N·C = %d", len(dh), len(h))
		}
		if dW != nil && int64(len(dW)) != int64(v)*int64(c) {
			return Result{}, fmt.Errorf("loss: dW holds %d values, want V·C = %d", len(dW), v*c)
		}
	}
	j.rowLoss, j.lse = make([]float64, n), make([]float64, n)

	bound := opt.ChunkBytes
	if bound <= 0 {
		bound = DefaultChunkBytes
	}
	chunk := max(1, min(n, bound/(4*v)))
	buf := chunkBuffers.Get().(*[]float32)
	defer chunkBuffers.Put(buf)
	logits := grow(*buf, chunk*v)
	*buf = logits
	threads := opt.threads()
	var hb *[]uint16 // h in bfloat16, the B operand of a Native head's dW
	if head.Native && dloss != nil && dW != nil {
		hb = roundedH(h, threads)
		defer roundBufs.Put(hb)
	}
	for lo := 0; lo < n; lo += chunk {
		hi := min(n, lo+chunk)
		m := hi - lo
		x := logits[:m*v]
		hc := h[lo*c : hi*c]
		// logits [m, V] = h [m, C] · Wᵀ
		head.times(gemm.Trans, m, v, c, hc, c, 0, 0, x, v, threads)
		cj := j.chunk(lo, hi, F32(x, m, v))
		if err := forRows(m, v, threads, cj.forwardRow); err != nil {
			return Result{}, fmt.Errorf("%w (in the chunk of rows %d to %d)", err, lo, hi)
		}
		if dloss == nil {
			continue
		}
		// x now holds dlogits [m, V]: dh and dW from the kept columns.
		runs := [][2]int{{0, v}}
		if opt.FilterBelow > 0 {
			runs = keptRuns(x, m, v, float32(float64(opt.FilterBelow)*j.maxScale()))
		}
		if dh != nil {
			// dh [m, C] = Σ_runs dlogits [m, run] · W [run, C]
			dhc := dh[lo*c : hi*c]
			for k, r := range runs {
				beta := float32(1)
				if k == 0 {
					beta = 0
				}
				head.times(gemm.NoTrans, m, c, r[1]-r[0], x[r[0]:], v, r[0], beta, dhc, c, threads)
			}
			if len(runs) == 0 {
				clear(dhc)
			}
		}
		if dW != nil {
			// dW [run, C] += dlogitsᵀ [run, m] · h [m, C]
			for _, r := range runs {
				if hb != nil {
					gemm.SgemmBF16Native(gemm.Trans, gemm.NoTrans, r[1]-r[0], c, m, 1, x[r[0]:], v, (*hb)[lo*c:hi*c], c, 1, dW[r[0]*c:], c, threads)
					continue
				}
				gemm.Sgemm(gemm.Trans, gemm.NoTrans, r[1]-r[0], c, m, 1, x[r[0]:], v, hc, c, 1, dW[r[0]*c:], c, threads)
			}
		}
	}
	return j.reduce(), nil
}

// maxScale is the largest factor the reduction and upstream gradient put
// on a row's |softmax − target|.
func (j *ceJob) maxScale() float64 {
	var up float64
	for _, u := range j.up {
		up = max(up, math.Abs(float64(u)))
	}
	if j.opt.Reduction == Mean && j.denom > 0 {
		return up / j.denom
	}
	return up
}

// keptRuns returns the column ranges of dlogits x [m, V] to use: the
// FilterBlock-wide blocks holding some |x| ≥ thr, adjacent ones merged.
func keptRuns(x []float32, m, v int, thr float32) [][2]int {
	var runs [][2]int
	for b0 := 0; b0 < v; b0 += FilterBlock {
		b1 := min(v, b0+FilterBlock)
		if !blockAbove(x, m, v, b0, b1, thr) {
			continue
		}
		if k := len(runs) - 1; k >= 0 && runs[k][1] == b0 {
			runs[k][1] = b1
		} else {
			runs = append(runs, [2]int{b0, b1})
		}
	}
	return runs
}

func blockAbove(x []float32, m, v, b0, b1 int, thr float32) bool {
	for i := range m {
		for _, g := range x[i*v+b0 : i*v+b1] {
			if g >= thr || g <= -thr {
				return true
			}
		}
	}
	return false
}

// chunkBuffers keeps the chunk logits between calls: a training loop calls
// the head every step, and fresh pages cost a fault each on first touch.
var chunkBuffers = sync.Pool{New: func() any { return new([]float32) }}

// chunk is the job of rows [lo, hi) with logits x, in place, sharing the
// whole batch's count, denominator and outputs.
func (j *ceJob) chunk(lo, hi int, x Matrix) *ceJob {
	cj := *j
	cj.n, cj.x = hi-lo, x
	if j.t.Index != nil {
		cj.t.Index = j.t.Index[lo:hi]
	} else {
		cj.t.Probs = j.t.Probs[lo*j.v : hi*j.v]
	}
	cj.rowLoss, cj.lse = j.rowLoss[lo:hi], j.lse[lo:hi]
	if j.hasGrad {
		cj.grad = x
		if len(j.up) > 1 {
			cj.up = j.up[lo:hi]
		}
	}
	return &cj
}

// times is the sgemm with W (float32 or bfloat16) as the B operand, rows
// from row0 on: C [m, n] = op(A)·op(W[row0:]) + beta·C, op(W) = Wᵀ when
// transW is gemm.Trans. A Native head rounds A to bfloat16 as it packs it.
func (hd Head) times(transW gemm.Transpose, m, n, k int, a []float32, lda, row0 int, beta float32, c []float32, ldc, threads int) {
	switch {
	case hd.W != nil:
		gemm.Sgemm(gemm.NoTrans, transW, m, n, k, 1, a, lda, hd.W[row0*hd.C:], hd.C, beta, c, ldc, threads)
	case hd.Native:
		gemm.SgemmBF16Native(gemm.NoTrans, transW, m, n, k, 1, a, lda, hd.BF16[row0*hd.C:], hd.C, beta, c, ldc, threads)
	default:
		gemm.SgemmBF16(gemm.NoTrans, transW, m, n, k, 1, a, lda, hd.BF16[row0*hd.C:], hd.C, beta, c, ldc, threads)
	}
}

// roundBufs keeps roundedH's buffers between calls (a training loop calls
// the head every step).
var roundBufs = sync.Pool{New: func() any { return new([]uint16) }}

// roundedH rounds h to bfloat16, nearest even, into a buffer from
// roundBufs (put it back when done).
func roundedH(h []float32, threads int) *[]uint16 {
	buf := roundBufs.Get().(*[]uint16)
	if cap(*buf) < len(h) {
		*buf = make([]uint16, len(h))
	}
	*buf = (*buf)[:len(h)]
	b := *buf
	const block = 4096
	par.Split((len(h)+block-1)/block, threads, func(_, lo, hi int) {
		kernels.F32ToBF16(b[lo*block:min(len(h), hi*block)], h[lo*block:min(len(h), hi*block)])
	})
	return buf
}
