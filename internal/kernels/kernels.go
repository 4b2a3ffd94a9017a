package kernels

import (
	"math"

	"github.com/xent-dev/xent/internal/dispatch"
)

// RowStats is the online-softmax state of a run of logits:
// Max = max x, SumExp = Σ exp(x − Max), Sum = Σ x.
// The empty state has Max = −MaxFloat32 (not −Inf, so that exp(Max − Max′)
// never computes −Inf − (−Inf)) and zero sums. States of disjoint runs
// combine with Merge in any grouping.
type RowStats struct {
	Max    float32
	SumExp float64
	Sum    float64
}

// EmptyStats is the state of no elements.
func EmptyStats() RowStats { return RowStats{Max: -math.MaxFloat32} }

// Merge combines the states of two disjoint runs of the same row.
func (s RowStats) Merge(o RowStats) RowStats {
	m := max(s.Max, o.Max)
	return RowStats{
		Max:    m,
		SumExp: s.SumExp*math.Exp(float64(s.Max-m)) + o.SumExp*math.Exp(float64(o.Max-m)),
		Sum:    s.Sum + o.Sum,
	}
}

// LogSumExp is log Σ exp(x); −Inf for a run with no finite mass.
func (s RowStats) LogSumExp() float64 {
	if s.SumExp == 0 {
		return math.Inf(-1)
	}
	return float64(s.Max) + math.Log(s.SumExp)
}

// impl is one set of kernels. vec is the SIMD block the assembly handles
// (0 for the generic path); the Go wrappers do the tail.
type impl struct {
	name      string
	stats     func(x []float32) RowStats
	expAffine func(dst, x []float32, shift, a, b float32)
	bf16ToF32 func(dst []float32, src []uint16)
	f16ToF32  func(dst []float32, src []uint16)
	f32ToBF16 func(dst []uint16, src []float32)
	f32ToF16  func(dst []uint16, src []float32)
}

var generic = &impl{
	name:      "generic",
	stats:     statsGeneric,
	expAffine: expAffineGeneric,
	bf16ToF32: bf16ToF32Generic,
	f16ToF32:  f16ToF32Generic,
	f32ToBF16: f32ToBF16Generic,
	f32ToF16:  f32ToF16Generic,
}

// impls are the kernel sets this machine can run, best first: the
// platform's SIMD sets, then the generic one.
var impls = dispatch.NewSet(append(simdImpls(), generic), func(k *impl) string { return k.name })

// Implementations names the kernel sets this machine can run, best first
// (for example "avx512", "avx2", "generic").
func Implementations() []string { return impls.Names() }

// Active names the kernel set in use.
func Active() string { return impls.Active() }

// Use switches to the named kernel set and reports whether it is available
// here. It is meant for tests and benchmarks; do not call it while kernels
// are running.
func Use(name string) bool { return impls.Use(name) }

// Stats returns the online-softmax state of x in one pass over it.
func Stats(x []float32) RowStats { return impls.Current().stats(x) }

// ExpAffine writes dst[i] = a·exp(x[i] − shift) + b for i < len(dst);
// x must be at least as long as dst. dst may be x itself. Arguments x[i] − shift
// are expected to be ≤ 0 (a softmax shifted by its max or log-sum-exp).
func ExpAffine(dst, x []float32, shift, a, b float32) {
	impls.Current().expAffine(dst, x[:len(dst)], shift, a, b)
}

// BF16ToF32 widens bfloat16 bits src[:len(dst)] into dst.
func BF16ToF32(dst []float32, src []uint16) { impls.Current().bf16ToF32(dst, src[:len(dst)]) }

// F16ToF32 widens IEEE binary16 bits src[:len(dst)] into dst.
func F16ToF32(dst []float32, src []uint16) { impls.Current().f16ToF32(dst, src[:len(dst)]) }

// F32ToBF16 rounds src[:len(dst)] to bfloat16 (nearest, ties to even).
func F32ToBF16(dst []uint16, src []float32) { impls.Current().f32ToBF16(dst, src[:len(dst)]) }

// F32ToF16 rounds src[:len(dst)] to IEEE binary16 (nearest, ties to even).
func F32ToF16(dst []uint16, src []float32) { impls.Current().f32ToF16(dst, src[:len(dst)]) }
