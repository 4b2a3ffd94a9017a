// Package emulate computes in low-precision floating-point formats (bf16,
// f16) exactly as hardware does, emulated in float64: every value is a
// float64 that the format can hold, and every operation's result is
// rounded to the format (Format.Round) before the next one uses it.
//
// CrossEntropy is the cross-entropy of one row of logits and its gradient
// computed this way. The precision study (package study) measures its
// error against float64; package loss trains with it (loss.Options.Emulate).
package emulate

import (
	"fmt"
	"math"
)

// Format is a binary floating-point format emulated in float64: every
// value is float64, rounded to the format by Round after each operation.
type Format struct {
	Name string
	// Mant is the number of stored fraction bits; Emin and Emax the
	// exponents of the smallest normal and the largest finite value.
	Mant, Emin, Emax int
}

// The formats emulated. F32 is there to check the rounding against Go's
// own float32 conversion.
var (
	BF16 = Format{Name: "bf16", Mant: 7, Emin: -126, Emax: 127}
	F16  = Format{Name: "f16", Mant: 10, Emin: -14, Emax: 15}
	F32  = Format{Name: "f32", Mant: 23, Emin: -126, Emax: 127}
)

// ParseFormat returns the format called name: bf16 or f16.
func ParseFormat(name string) (*Format, error) {
	switch name {
	case BF16.Name:
		return &BF16, nil
	case F16.Name:
		return &F16, nil
	}
	return nil, fmt.Errorf("emulate: unknown format %q (want bf16 or f16)", name)
}

// Round rounds x to the nearest value of f, ties to even, with gradual
// underflow (subnormals) and overflow to ±Inf, as IEEE 754 hardware does.
// x is a float64 result of one operation; rounding it once more to f is
// the correctly rounded result for +, −, ×, ÷ (float64 has more than
// 2·Mant+2 bits, so the double rounding is innocuous) and for exp and log
// up to float64's own last-bit error.
func (f Format) Round(x float64) float64 {
	b := math.Float64bits(x)
	if e := int(b>>52&0x7ff) - 1023; e >= f.Emin && e < f.Emax {
		// A normal value of f below its top binade: round the fraction to
		// Mant bits on the bits themselves, ties to even. A carry out of
		// the fraction moves the exponent up by one, which stays finite.
		shift := uint(52 - f.Mant)
		b += 1<<(shift-1) - 1 + (b>>shift)&1
		return math.Float64frombits(b &^ (1<<shift - 1))
	}
	return f.roundEdge(x)
}

// roundEdge is Round for every x: zero, NaN, ±Inf, f's subnormals, its top
// binade and beyond.
func (f Format) roundEdge(x float64) float64 {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	e := math.Ilogb(x)
	if e < f.Emin {
		e = f.Emin // subnormal: the quantum stays that of the smallest normal
	}
	q := math.Ldexp(1, e-f.Mant) // the spacing of f's values near x
	r := math.RoundToEven(x/q) * q
	if math.Abs(r) >= math.Ldexp(1, f.Emax+1) {
		return math.Copysign(math.Inf(1), x)
	}
	return r
}

// Summation is the order in which a row's exponentials are added.
type Summation int

const (
	// Sequential adds left to right, s ← round(s + eᵢ): one accumulator,
	// the worst case (a long row's small terms fall below half an ulp of s).
	Sequential Summation = iota
	// Pairwise adds in a balanced binary tree, each partial sum rounded, as
	// a parallel reduction does.
	Pairwise
)

func (s Summation) String() string {
	if s == Pairwise {
		return "pairwise"
	}
	return "sequential"
}

// ParseSummation reads "sequential" or "pairwise".
func ParseSummation(name string) (Summation, error) {
	switch name {
	case "sequential":
		return Sequential, nil
	case "pairwise":
		return Pairwise, nil
	}
	return 0, fmt.Errorf("emulate: unknown summation %q (want sequential or pairwise)", name)
}

// Arithmetic is a format and a summation order: how CrossEntropy computes.
// The zero value (no Format) is no emulation.
type Arithmetic struct {
	Format *Format
	Sum    Summation
}

// String is "bf16 pairwise", or "" for the zero value.
func (a Arithmetic) String() string {
	if a.Format == nil {
		return ""
	}
	return a.Format.Name + " " + a.Sum.String()
}

// CrossEntropy is the cross-entropy of one row of logits z against target
// y computed entirely in format f, each operation rounded to f:
//
//	xᵢ = R(zᵢ)                the logits as stored in f
//	m  = maxᵢ xᵢ              (exact)
//	dᵢ = R(xᵢ − m)
//	eᵢ = R(exp dᵢ)
//	s  = Σ eᵢ                 each addition rounded, in order sum
//	lse  = R(m + R(log s))
//	loss = R(lse − x_y)
//	gᵢ = R(eᵢ / s) − [i = y], the subtraction rounded
//
// It writes the gradient with respect to the logits into grad (len(z))
// and returns the loss and the log-sum-exp. With f nil every R is the
// identity: the float64 reference, in the same order.
func CrossEntropy(f *Format, sum Summation, z []float32, y int, grad []float64) (loss, lse float64) {
	return StoredCrossEntropy(f, f, sum, z, y, grad)
}

// StoredCrossEntropy is CrossEntropy with the logits stored in format in
// (xᵢ = R_in(zᵢ)) and the arithmetic done in format ops; nil is float64,
// unrounded. With ops nil it isolates the error of the logits' storage,
// which no accumulation precision removes.
func StoredCrossEntropy(in, ops *Format, sum Summation, z []float32, y int, grad []float64) (loss, lse float64) {
	id := func(x float64) float64 { return x }
	r, rin := id, id
	if ops != nil {
		r = ops.Round
	}
	if in != nil {
		rin = in.Round
	}
	m := math.Inf(-1)
	for _, v := range z {
		m = max(m, rin(float64(v)))
	}
	for i, v := range z {
		grad[i] = r(math.Exp(r(rin(float64(v)) - m))) // eᵢ, kept in grad
	}
	var s float64
	if sum == Pairwise {
		s = pairwise(grad, r)
	} else {
		for _, e := range grad {
			s = r(s + e)
		}
	}
	lse = r(m + r(math.Log(s)))
	loss = r(lse - rin(float64(z[y])))
	for i, e := range grad {
		grad[i] = r(e / s)
	}
	grad[y] = r(grad[y] - 1)
	return loss, lse
}

// pairwise sums x in a balanced tree, rounding each partial sum with r.
func pairwise(x []float64, r func(float64) float64) float64 {
	switch len(x) {
	case 0:
		return 0
	case 1:
		return x[0]
	}
	h := len(x) / 2
	return r(pairwise(x[:h], r) + pairwise(x[h:], r))
}
