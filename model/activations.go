package model

import (
	"math"

	"github.com/xent-dev/xent/internal/kernels"
	"github.com/xent-dev/xent/internal/par"
)

// geluC is √(2/π), of the tanh approximation of GELU.
const geluC = 0.7978845608028654

// chunk is how many elements the elementwise functions handle at a time
// (their scratch lives on the stack).
const chunk = 512

// sigmoids sets s[i] = σ(w[i]) = 1/(1 + exp(−w[i])) through the SIMD exp,
// whose argument −|w| is never positive: σ(w) = 1/(1+e) for w ≥ 0 and
// e/(1+e) below, with e = exp(−|w|). The choice is arithmetic, not a
// branch, because the signs of activations are unpredictable.
func sigmoids(s, w []float32) {
	for i, v := range w {
		s[i] = math.Float32frombits(math.Float32bits(v) | 1<<31) // −|v|
	}
	kernels.ExpAffine(s, s, 0, 1, 0)
	for i, e := range s {
		neg := float32(math.Float32bits(w[i]) >> 31) // 1 if w < 0 (or −0), else 0
		s[i] = (1 + neg*(e-1)) / (1 + e)
	}
}

// geluArg sets w = 2·√(2/π)·(v + 0.044715·v³), so that the tanh-approximated
// GELU(v) = ½v·(1 + tanh(w/2)) = v·σ(w).
func geluArg(w, x []float32) {
	for i, v := range x {
		w[i] = 2 * geluC * (v + 0.044715*v*v*v)
	}
}

// elementwise runs f over blocks [i, j) of the n rows of w elements, on
// threads, handing each a scratch of 2·chunk values (one per goroutine).
// Blocks start at fixed columns of each row, so that an element gets the
// same arithmetic (SIMD body or scalar tail) whatever the thread count and
// however many rows there are.
func elementwise(n, w, threads int, f func(i, j int, scratch []float32)) {
	par.Split(n, threads, func(_, lo, hi int) {
		scratch := make([]float32, 2*chunk)
		for r := lo; r < hi; r++ {
			for c := 0; c < w; c += chunk {
				f(r*w+c, r*w+min(c+chunk, w), scratch)
			}
		}
	})
}

// gelu sets y = GELU(x), tanh approximation, over n rows of width w.
func gelu(x, y []float32, n, w, threads int) { geglu(x, nil, y, n, w, threads) }

// geluBackward sets dx = dy·GELU′(x), GELU′(v) = σ(w) + v·σ(w)·(1 − σ(w))·w′(v).
func geluBackward(x, dy, dx []float32, n, w, threads int) {
	elementwise(n, w, threads, func(i, j int, scratch []float32) {
		arg, s := scratch[:j-i], scratch[chunk:chunk+j-i]
		geluArg(arg, x[i:j])
		sigmoids(s, arg)
		for k, v := range x[i:j] {
			dx[i+k] = dy[i+k] * geluDeriv(v, s[k])
		}
	})
}

// geluDeriv is GELU′(v) = σ(w) + v·σ(w)·(1 − σ(w))·w′(v), given s = σ(w).
func geluDeriv(v, s float32) float32 {
	dw := 2 * geluC * (1 + 3*0.044715*v*v)
	return s + v*s*(1-s)*dw
}

// geglu sets y = GELU(gate)·up (tanh GELU; Gemma's MLP), or GELU(gate)
// when up is nil, over n rows of width w.
func geglu(gate, up, y []float32, n, w, threads int) {
	elementwise(n, w, threads, func(i, j int, scratch []float32) {
		var u []float32
		if up != nil {
			u = up[i:j]
		}
		gegluSpan(gate[i:j], u, y[i:j], scratch)
	})
}

// gegluSpan is geglu over one block of elements (up nil: GELU), with a
// scratch of 2·chunk values.
func gegluSpan(gate, up, y, scratch []float32) {
	arg, s := scratch[:len(gate)], scratch[chunk:chunk+len(gate)]
	geluArg(arg, gate)
	sigmoids(s, arg)
	for k, g := range gate {
		if up == nil {
			y[k] = g * s[k]
		} else {
			y[k] = g * s[k] * up[k]
		}
	}
}

// gegluBackward sets dgate and dup from dy for y = GELU(gate)·up.
func gegluBackward(gate, up, dy, dgate, dup []float32, n, w, threads int) {
	elementwise(n, w, threads, func(i, j int, scratch []float32) {
		arg, s := scratch[:j-i], scratch[chunk:chunk+j-i]
		geluArg(arg, gate[i:j])
		sigmoids(s, arg)
		for k, g := range gate[i:j] {
			dup[i+k] = dy[i+k] * g * s[k]
			dgate[i+k] = dy[i+k] * up[i+k] * geluDeriv(g, s[k])
		}
	})
}

// swiglu sets y = SiLU(gate)·up = gate·σ(gate)·up over n rows of width w.
func swiglu(gate, up, y []float32, n, w, threads int) {
	elementwise(n, w, threads, func(i, j int, scratch []float32) {
		swigluSpan(gate[i:j], up[i:j], y[i:j], scratch)
	})
}

// swigluSpan is swiglu over one block of elements, with a scratch.
func swigluSpan(gate, up, y, scratch []float32) {
	s := scratch[:len(gate)]
	sigmoids(s, gate)
	for k, g := range gate {
		y[k] = g * s[k] * up[k]
	}
}

// gatedStacked sets y [n, w] = SiLU(gate)·up, or with gelu GELU(gate)·up,
// for the gate and up projections side by side in gu [n, 2w] (the lean
// forward's stacked product): each element gets swiglu's or geglu's
// arithmetic (the same blocks of each row).
func gatedStacked(gu, y []float32, n, w int, gelu bool, threads int) {
	elementwise(n, w, threads, func(i, j int, scratch []float32) {
		r, c := i/w, i%w
		g, u := gu[2*r*w+c:2*r*w+c+j-i], gu[(2*r+1)*w+c:(2*r+1)*w+c+j-i]
		if gelu {
			gegluSpan(g, u, y[i:j], scratch)
		} else {
			swigluSpan(g, u, y[i:j], scratch)
		}
	})
}

// swigluBackward sets dgate and dup from dy for y = SiLU(gate)·up.
func swigluBackward(gate, up, dy, dgate, dup []float32, n, w, threads int) {
	elementwise(n, w, threads, func(i, j int, scratch []float32) {
		s := scratch[:j-i]
		sigmoids(s, gate[i:j])
		for k, g := range gate[i:j] {
			dup[i+k] = dy[i+k] * g * s[k]
			dgate[i+k] = dy[i+k] * up[i+k] * s[k] * (1 + g*(1-s[k]))
		}
	})
}
