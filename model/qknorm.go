package model

import "github.com/xent-dev/xent/internal/par"

// qkNormForward applies Qwen3's q_norm and k_norm, RMSNorms over each
// head's D channels, to the queries and keys of la.qkv's n rows in place,
// saving their inputs and rstds for the backward.
func (m *Model) qkNormForward(blk *block, la *layerActs, n int) {
	d := m.d
	W, Q, KV := d.qkv(), d.H*d.D, d.K*d.D
	qPre, kPre := la.qkPre[:n*Q], la.qkPre[n*Q:n*(Q+KV)]
	qRstd, kRstd := la.qkRstd[:n*d.H], la.qkRstd[n*d.H:n*(d.H+d.K)]
	par.Split(n, m.threads(), func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			row := la.qkv[i*W:]
			copy(qPre[i*Q:(i+1)*Q], row[:Q])
			copy(kPre[i*KV:(i+1)*KV], row[Q:Q+KV])
			blk.qNorm.forward(qPre[i*Q:(i+1)*Q], row[:Q], nil, qRstd[i*d.H:], d.H, 1)
			blk.kNorm.forward(kPre[i*KV:(i+1)*KV], row[Q:Q+KV], nil, kRstd[i*d.K:], d.K, 1)
		}
	})
}

// qkNormBackward takes the gradients of the normed queries and keys in
// a.dqkv's n rows to those of their inputs, in place, adding q_norm's and
// k_norm's weight gradients. The rows are gathered into one [n·heads, D]
// matrix per norm, so that each runs one backward (and one fixed-order
// column sum for its weight).
func (m *Model) qkNormBackward(blk *block, la *layerActs, n int) {
	a, d, th := m.a, m.d, m.threads()
	W := d.qkv()
	size := n * (d.H + d.K) * d.D
	g, dx, scratch := a.qk[:size], a.qk[size:2*size], a.qk[2*size:3*size]
	pre, rstd := la.qkPre, la.qkRstd
	for _, part := range []struct {
		nm         norm
		heads, off int // heads and their first channel in a row of qkv
	}{{blk.qNorm, d.H, 0}, {blk.kNorm, d.K, d.H * d.D}} {
		w := part.heads * d.D
		par.Split(n, th, func(_, lo, hi int) {
			for i := lo; i < hi; i++ {
				copy(g[i*w:(i+1)*w], a.dqkv[i*W+part.off:])
			}
		})
		clear(dx[:n*w])
		part.nm.backward(pre[:n*w], g, dx, nil, rstd[:n*part.heads], n*part.heads, scratch, a.qkOnes, th)
		par.Split(n, th, func(_, lo, hi int) {
			for i := lo; i < hi; i++ {
				copy(a.dqkv[i*W+part.off:i*W+part.off+w], dx[i*w:(i+1)*w])
			}
		})
		pre, rstd = pre[n*w:], rstd[n*part.heads:]
	}
}
