package model

import (
	"math"

	"github.com/xent-dev/xent/internal/gemm"
	"github.com/xent-dev/xent/internal/kernels"
	"github.com/xent-dev/xent/internal/par"
)

// softmaxBand turns row[lo:n] into its softmax, exp(x − max)/Σ exp(x − max)
// (safe for any finite scores), and zeroes the masked rest: row[:lo], the
// keys before a sliding window, and row[n:], the future.
func softmaxBand(row []float32, lo, n int) {
	st := kernels.Stats(row[lo:n])
	kernels.ExpAffine(row[lo:n], row[lo:n], st.Max, float32(1/st.SumExp), 0)
	clear(row[:lo])
	clear(row[n:])
}

// firstKey is the first key the query at position t attends to: 0, or
// with a sliding window of w keys, t − w + 1.
func firstKey(t, window int) int {
	if window > 0 {
		return max(0, t-window+1)
	}
	return 0
}

// softCap replaces the scores x[lo:n] by cap·tanh(x/cap) (Gemma 2's
// attention soft-cap); cap 0 leaves them.
func softCap(x []float32, lo, n int, cap float32) {
	if cap == 0 {
		return
	}
	for j := lo; j < n; j++ {
		x[j] = cap * float32(math.Tanh(float64(x[j]/cap)))
	}
}

// attnRows is the block of query rows attention works on: rows [i0, i1)
// see keys [0, i1) only, so the masked future costs nothing outside the
// diagonal blocks.
const attnRows = 64

// attnForward is causal self-attention over a batch: for each sequence b
// and head h (reading key/value head h/(H/K)),
//
//	att[b,h] = softmax(Q Kᵀ/√D) with the future masked   [T, T]
//	           (and with a sliding window, the keys before it; the scale
//	           and a soft-cap of the scores as the family has them)
//	y[b, :, h]  = att[b,h]·V                               [T, D]
//
// from qkv [B, T, (H+2K)·D] into att [B, H, T, T] and y [B, T, H·D].
func (m *Model) attnForward(qkv, att, y []float32, B, T int, blk *block) {
	d := m.d
	W, A := d.qkv(), d.H*d.D
	scale, capAt, window := blk.scale, d.fam.attnCap, blk.window
	par.Split(B*d.H, m.threads(), func(_, lo, hi int) {
		for u := lo; u < hi; u++ {
			b, h := u/d.H, u%d.H
			g := h / (d.H / d.K)
			seq := qkv[b*T*W:]
			k, v := seq[(d.H+g)*d.D:], seq[(d.H+d.K+g)*d.D:]
			p := att[u*T*T : (u+1)*T*T]
			for i0 := 0; i0 < T; i0 += attnRows {
				i1 := min(T, i0+attnRows)
				// scores of queries [i0, i1) against keys [0, i1)
				gemm.Sgemm(gemm.NoTrans, gemm.Trans, i1-i0, i1, d.D, scale, seq[i0*W+h*d.D:], W, k, W, 0, p[i0*T:], T, 1)
				for t := i0; t < i1; t++ {
					lo := firstKey(t, window)
					softCap(p[t*T:], lo, t+1, capAt)
					softmaxBand(p[t*T:(t+1)*T], lo, t+1)
				}
				gemm.Sgemm(gemm.NoTrans, gemm.NoTrans, i1-i0, d.D, i1, 1, p[i0*T:], T, v, W, 0, y[(b*T+i0)*A+h*d.D:], A, 1)
			}
		}
	})
}

// attnBackward takes dy [B, T, H·D] to dqkv [B, T, (H+2K)·D] (overwritten)
// through attnForward. Work is split over (sequence, key/value head), so
// the heads sharing a key/value head add their gradients in a fixed order.
//
// Under a soft-cap the scores before it are computed again (one more
// product per block) for the cap's derivative, 1 − tanh²(s/cap).
func (m *Model) attnBackward(qkv, att, dy, dqkv []float32, B, T int, blk *block) {
	d := m.d
	W, A, G := d.qkv(), d.H*d.D, d.H/d.K
	scale, capAt := blk.scale, d.fam.attnCap
	clear(dqkv[:B*T*W])
	par.Split(B*d.K, m.threads(), func(w, lo, hi int) {
		ds := m.a.dscores[w] // [T, T]
		var raw []float32    // [T, T] the scores before the soft-cap
		if capAt != 0 {
			raw = m.a.rawScores[w]
		}
		for u := lo; u < hi; u++ {
			b, g := u/d.K, u%d.K
			seq, dseq := qkv[b*T*W:], dqkv[b*T*W:]
			k, v := seq[(d.H+g)*d.D:], seq[(d.H+d.K+g)*d.D:]
			dk, dv := dseq[(d.H+g)*d.D:], dseq[(d.H+d.K+g)*d.D:]
			for h := g * G; h < (g+1)*G; h++ {
				p := att[(b*d.H+h)*T*T:]
				for i0 := 0; i0 < T; i0 += attnRows {
					i1, r := min(T, i0+attnRows), min(T-i0, attnRows)
					dyr, pr, dr := dy[(b*T+i0)*A+h*d.D:], p[i0*T:], ds[i0*T:]
					// dP = dY·Vᵀ; dV += Pᵀ·dY
					gemm.Sgemm(gemm.NoTrans, gemm.Trans, r, i1, d.D, 1, dyr, A, v, W, 0, dr, T, 1)
					gemm.Sgemm(gemm.Trans, gemm.NoTrans, i1, d.D, r, 1, pr, T, dyr, A, 1, dv, W, 1)
					if raw != nil {
						gemm.Sgemm(gemm.NoTrans, gemm.Trans, r, i1, d.D, scale, seq[i0*W+h*d.D:], W, k, W, 0, raw[i0*T:], T, 1)
					}
					// dS = P⊙(dP − Σ_j P·dP)/√D, zero where P is masked
					// (times 1 − tanh²(s/cap) under a soft-cap)
					for t := i0; t < i1; t++ {
						pt, dt := p[t*T:t*T+t+1], ds[t*T:(t+1)*T]
						var s float32
						for j, pj := range pt {
							s += pj * dt[j]
						}
						for j, pj := range pt {
							dt[j] = pj * (dt[j] - s) * scale
						}
						if raw != nil {
							for j := range pt {
								th := float32(math.Tanh(float64(raw[t*T+j] / capAt)))
								dt[j] *= 1 - th*th
							}
						}
						clear(dt[t+1:])
					}
					// dQ = dS·K; dK += dSᵀ·Q
					gemm.Sgemm(gemm.NoTrans, gemm.NoTrans, r, d.D, i1, 1, dr, T, k, W, 0, dseq[i0*W+h*d.D:], W, 1)
					gemm.Sgemm(gemm.Trans, gemm.NoTrans, i1, d.D, r, 1, dr, T, seq[i0*W+h*d.D:], W, 1, dk, W, 1)
				}
			}
		}
	})
}
