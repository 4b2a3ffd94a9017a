package bench

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/xent-dev/xent/internal/kernels"
	"github.com/xent-dev/xent/loss"
)

// CrossEntropySpec is the input of one cross-entropy measurement: random
// logits [N, V] of a dtype, N(0, 2²), and uniform targets, drawn row by row
// from one PCG stream seeded with Seed, so a seed gives the same values for
// every dtype (rounded to it).
type CrossEntropySpec struct {
	N, V           int
	DType          loss.DType
	LabelSmoothing float32
	Seed           uint64
}

// CrossEntropyResult is what CrossEntropy measured.
type CrossEntropyResult struct {
	Loss    float64 // of the warm-up call
	Seconds Stats   // per call
	// Bytes is N·V·4, the size of float32 logits whatever the dtype, the
	// work unit of MB/s (as BenchmarkCrossEntropy in package loss counts).
	Bytes int64
}

// CrossEntropy times loss.CrossEntropyForwardBackward, the training path:
// the loss and the gradient of the mean loss, written in place over the
// logits. One warm-up call, then cfg.Iters timed calls, each on a fresh copy
// of the same logits (the copy is not timed). A timed call whose loss
// differs from the warm-up's is reported through cfg.Progress as a warning.
func CrossEntropy(cfg Config, s CrossEntropySpec) (CrossEntropyResult, error) {
	if err := cfg.check(); err != nil {
		return CrossEntropyResult{}, err
	}
	switch {
	case s.N < 1 || s.V < 1:
		return CrossEntropyResult{}, fmt.Errorf("bench: %d×%d logits; need at least one row and one class", s.N, s.V)
	case s.N > math.MaxInt/4/s.V:
		return CrossEntropyResult{}, fmt.Errorf("bench: %d×%d logits are too many", s.N, s.V)
	}
	opt := loss.Options{LabelSmoothing: s.LabelSmoothing, Threads: cfg.Threads}
	if err := opt.Validate(); err != nil {
		return CrossEntropyResult{}, err
	}
	orig, targets := crossEntropyInput(s)
	work := orig.clone()
	x := work.matrix(s.N, s.V, s.DType)
	up := []float32{1}
	calls := 0
	var first float64
	secs, err := Time(cfg.Iters, 1, func() error {
		work.copyFrom(orig) // a fresh copy: the last call overwrote the logits
		return nil
	}, func() error {
		res, err := loss.CrossEntropyForwardBackward(x, targets, opt, up, x)
		if err != nil {
			return err
		}
		if calls == 0 {
			first = res.Loss
		} else if res.Loss != first && !(math.IsNaN(res.Loss) && math.IsNaN(first)) {
			cfg.Progress(fmt.Sprintf("warning: iteration %d: loss %v differs from the warm-up's %v on the same logits", calls, res.Loss, first))
		}
		calls++
		return nil
	})
	if err != nil {
		return CrossEntropyResult{}, err
	}
	return CrossEntropyResult{Loss: first, Seconds: secs, Bytes: int64(s.N) * int64(s.V) * 4}, nil
}

// logits holds the logits of one dtype: f32 for float32, bits for the
// 16-bit types.
type logits struct {
	f32  []float32
	bits []uint16
}

func (d logits) clone() logits {
	return logits{f32: slices.Clone(d.f32), bits: slices.Clone(d.bits)}
}

func (d logits) copyFrom(src logits) {
	copy(d.f32, src.f32)
	copy(d.bits, src.bits)
}

func (d logits) matrix(n, v int, dtype loss.DType) loss.Matrix {
	switch dtype {
	case loss.Float16:
		return loss.F16(d.bits, n, v)
	case loss.BFloat16:
		return loss.BF16(d.bits, n, v)
	}
	return loss.F32(d.f32, n, v)
}

// crossEntropyInput draws the logits and targets of s.
func crossEntropyInput(s CrossEntropySpec) (logits, loss.Targets) {
	n, v := s.N, s.V
	r := rand.New(rand.NewPCG(s.Seed, s.Seed))
	var d logits
	row := make([]float32, v)
	if s.DType == loss.Float32 {
		d.f32 = make([]float32, n*v)
	} else {
		d.bits = make([]uint16, n*v)
	}
	targets := make([]int32, n)
	for i := range n {
		dst := row
		if s.DType == loss.Float32 {
			dst = d.f32[i*v : (i+1)*v]
		}
		for c := range dst {
			dst[c] = float32(r.NormFloat64() * 2)
		}
		switch s.DType {
		case loss.Float16:
			kernels.F32ToF16(d.bits[i*v:(i+1)*v], dst)
		case loss.BFloat16:
			kernels.F32ToBF16(d.bits[i*v:(i+1)*v], dst)
		}
		targets[i] = int32(r.IntN(v))
	}
	return d, loss.Targets{Index: targets}
}
