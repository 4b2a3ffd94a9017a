package model

import "math"

// rope holds the rotary position embedding's cos and sin [maxT, D/2] in
// Hugging Face Llama's convention: channel i < D/2 of a head pairs with
// channel i + D/2 (rotate_half), at angle pos·inv[i] of the config's
// ropeSpec (θ^(−2i/D) unscaled), both multiplied by the spec's scale.
type rope struct {
	cos, sin []float32
	half     int
}

func newRope(d dims, spec ropeSpec) rope {
	r := rope{half: d.D / 2, cos: make([]float32, d.maxT*d.D/2), sin: make([]float32, d.maxT*d.D/2)}
	for p := range d.maxT {
		for i := range r.half {
			a := float64(p) * spec.inv[i]
			r.cos[p*r.half+i], r.sin[p*r.half+i] = float32(spec.scale*math.Cos(a)), float32(spec.scale*math.Sin(a))
		}
	}
	return r
}

// rotate rotates the given number of consecutive heads at x to position
// pos; inverse rotates back (the transpose, for the backward).
func (r rope) rotate(x []float32, heads, pos int, inverse bool) {
	cs, sn := r.cos[pos*r.half:(pos+1)*r.half], r.sin[pos*r.half:(pos+1)*r.half]
	for h := range heads {
		a := x[h*2*r.half : h*2*r.half+r.half]
		b := x[h*2*r.half+r.half : (h+1)*2*r.half]
		for i := range a {
			c, s := cs[i], sn[i]
			if inverse {
				s = -s
			}
			a[i], b[i] = a[i]*c-b[i]*s, b[i]*c+a[i]*s
		}
	}
}
