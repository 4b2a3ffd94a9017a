package loss

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xent-dev/xent/internal/kernels"
)

type problem struct {
	n, v    int
	x       []float32
	targets Targets
}

func randProblem(r *rand.Rand, n, v int, probs bool, scale float64) problem {
	p := problem{n: n, v: v, x: make([]float32, n*v)}
	for k := range p.x {
		p.x[k] = float32(r.NormFloat64() * scale)
	}
	if probs {
		p.targets.Probs = make([]float32, n*v)
		for i := range n {
			var s float64
			row := p.targets.Probs[i*v : (i+1)*v]
			for c := range row {
				if r.IntN(4) > 0 {
					row[c] = float32(r.Float64())
				}
				s += float64(row[c])
			}
			for c := range row {
				row[c] = float32(float64(row[c]) / s)
			}
		}
	} else {
		p.targets.Index = make([]int32, n)
		for i := range p.targets.Index {
			p.targets.Index[i] = int32(r.IntN(v))
			if i%4 == 3 {
				p.targets.Index[i] = DefaultIgnoreIndex
			}
		}
	}
	return p
}

// optionGrid lists every combination of the options that change the math.
func optionGrid(v int, r *rand.Rand) []Options {
	weights := make([]float32, v)
	for c := range weights {
		weights[c] = float32(0.25 + r.Float64())
	}
	var grid []Options
	for _, red := range []Reduction{Mean, Sum, None} {
		for _, ls := range []float32{0, 0.1} {
			for _, z := range []float32{0, 1e-3} {
				for _, capAt := range []float32{0, 5} {
					for _, w := range [][]float32{nil, weights} {
						grid = append(grid, Options{Reduction: red, LabelSmoothing: ls, ZLoss: z, SoftCap: capAt, Weights: w})
					}
				}
			}
		}
	}
	return grid
}

func TestAgainstFloat64Reference(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(7, 8))
		for _, probs := range []bool{false, true} {
			p := randProblem(r, 6, 37, probs, 3)
			for _, opt := range optionGrid(p.v, r) {
				res, grad := fused(t, p, opt)
				wantLoss, wantRows, wantGrad := refCE(p.x, p.n, p.v, p.targets, opt)
				tag := describe(opt, probs)
				if !near(res.Loss, wantLoss, 2e-6) {
					t.Errorf("%s: loss %.9g, want %.9g", tag, res.Loss, wantLoss)
				}
				for i := range p.n {
					if !near(res.RowLoss[i], wantRows[i], 2e-6) {
						t.Errorf("%s: row %d loss %.9g, want %.9g", tag, i, res.RowLoss[i], wantRows[i])
					}
				}
				scale := 0.0
				for _, g := range wantGrad {
					scale = math.Max(scale, math.Abs(g))
				}
				for k, g := range grad {
					if math.Abs(float64(g)-wantGrad[k]) > 1e-5*math.Abs(wantGrad[k])+1e-6*scale {
						t.Errorf("%s: grad[%d] %.9g, want %.9g", tag, k, g, wantGrad[k])
						break
					}
				}
			}
		}
	})
}

func TestGradientMatchesFiniteDifferences(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, probs := range []bool{false, true} {
		p := randProblem(r, 3, 11, probs, 2)
		for _, opt := range optionGrid(p.v, r) {
			_, grad := fused(t, p, opt)
			const h = 1.0 / 256 // exact in float32 around these logits
			for k := range p.x {
				x0 := p.x[k]
				p.x[k] = x0 + h
				up := forward(t, p, opt).Loss
				p.x[k] = x0 - h
				down := forward(t, p, opt).Loss
				p.x[k] = x0
				fd := (up - down) / (2 * h)
				if math.Abs(fd-float64(grad[k])) > 2e-3*math.Max(1, math.Abs(fd)) {
					t.Errorf("%s: d/dx[%d] analytic %.6g, finite difference %.6g", describe(opt, probs), k, grad[k], fd)
				}
			}
		}
	}
}

func TestShiftInvariance(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	p := randProblem(r, 5, 300, false, 4)
	for k := range p.x { // multiples of 2^-12: adding 64 is exact
		p.x[k] = float32(math.Round(float64(p.x[k])*4096) / 4096)
	}
	opt := Options{LabelSmoothing: 0.1}
	base, g0 := fused(t, p, opt)
	for k := range p.x {
		p.x[k] += 64
	}
	shifted, g1 := fused(t, p, opt)
	if !near(shifted.Loss, base.Loss, 1e-6) {
		t.Errorf("loss changed under a shift: %.9g vs %.9g", shifted.Loss, base.Loss)
	}
	for k := range g0 {
		if math.Abs(float64(g0[k]-g1[k])) > 1e-7 {
			t.Fatalf("grad[%d] changed under a shift: %g vs %g", k, g0[k], g1[k])
		}
	}
}

// L_smooth = (1−ε)·CE + ε·H(u, q), with H(u, q) the cross-entropy of the
// uniform distribution against the model.
func TestLabelSmoothingIdentity(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	p := randProblem(r, 8, 50, false, 2)
	const eps = 0.2
	smooth := forward(t, p, Options{LabelSmoothing: eps}).Loss
	ce := forward(t, p, Options{}).Loss
	uniform := make([]float32, p.n*p.v)
	for k := range uniform {
		uniform[k] = 1 / float32(p.v)
	}
	// H(u, q) averaged over the same kept rows: drop the ignored ones.
	var keptX []float32
	var keptU []float32
	for i, c := range p.targets.Index {
		if c != DefaultIgnoreIndex {
			keptX = append(keptX, p.x[i*p.v:(i+1)*p.v]...)
			keptU = append(keptU, uniform[i*p.v:(i+1)*p.v]...)
		}
	}
	hu, err := CrossEntropy(F32(keptX, len(keptX)/p.v, p.v), Targets{Probs: keptU}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := (1-eps)*ce + eps*hu.Loss; !near(smooth, want, 1e-6) {
		t.Errorf("smoothed loss %.9g, (1−ε)·CE + ε·H(u,q) = %.9g", smooth, want)
	}
}

func TestInPlaceEqualsOutOfPlace(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	p := randProblem(r, 9, 1000, false, 3)
	opt := Options{LabelSmoothing: 0.1, ZLoss: 1e-4}
	for _, dt := range []DType{Float32, Float16, BFloat16} {
		x := toDType(p.x, p.n, p.v, dt)
		out := toDType(make([]float32, len(p.x)), p.n, p.v, dt)
		r1, err := CrossEntropyForwardBackward(x, p.targets, opt, []float32{1}, out)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := CrossEntropyForwardBackward(x, p.targets, opt, []float32{1}, x)
		if err != nil {
			t.Fatal(err)
		}
		if r1.Loss != r2.Loss || !slices.Equal(out.F32, x.F32) || !slices.Equal(out.Bits, x.Bits) {
			t.Errorf("%v: in place differs from out of place", dt)
		}
	}
}

func TestThreadsGiveIdenticalBits(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	p := randProblem(r, 37, 4099, false, 3) // N·V is large enough to split
	base := Options{LabelSmoothing: 0.1, ZLoss: 1e-4, Threads: 1}
	want, wantGrad := fused(t, p, base)
	for _, threads := range []int{2, 3, 8} {
		opt := base
		opt.Threads = threads
		got, grad := fused(t, p, opt)
		if got.Loss != want.Loss || !slices.Equal(got.RowLoss, want.RowLoss) || !slices.Equal(grad, wantGrad) {
			t.Errorf("threads=%d: results differ from threads=1", threads)
		}
	}
}

func TestExtremeLogitsAreExact(t *testing.T) {
	inf := float32(math.Inf(-1))
	x := []float32{
		1e4, -1e4, inf, 0, -1e4,
		-1e4, -1e4 + 1, inf, inf, -1e4 - 2,
		inf, 3, inf, -1e4, 1e4,
	}
	p := problem{n: 3, v: 5, x: x, targets: Targets{Index: []int32{1, 0, 1}}}
	forEachImpl(t, func(t *testing.T) {
		for _, opt := range []Options{{}, {Reduction: Sum}, {ZLoss: 1e-6}} {
			res, grad := fused(t, p, opt)
			wantLoss, wantRows, wantGrad := refCE(x, 3, 5, p.targets, opt)
			if !near(res.Loss, wantLoss, 1e-7) {
				t.Errorf("%+v: loss %.12g, want %.12g", opt, res.Loss, wantLoss)
			}
			for i := range wantRows {
				if !near(res.RowLoss[i], wantRows[i], 1e-7) {
					t.Errorf("row %d: %.12g, want %.12g", i, res.RowLoss[i], wantRows[i])
				}
			}
			for k := range grad {
				if math.Abs(float64(grad[k])-wantGrad[k]) > 1e-6*math.Abs(wantGrad[k])+0x1p-126 {
					t.Errorf("grad[%d] = %g, want %g", k, grad[k], wantGrad[k])
				}
			}
		}
	})
}

func TestBadInput(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	ninf := -inf
	x := func(vals ...float32) Matrix { return F32(vals, len(vals)/3, 3) }
	idx := func(t ...int32) Targets { return Targets{Index: t} }
	cases := []struct {
		name    string
		logits  Matrix
		targets Targets
		opt     Options
		want    string
	}{
		{"target too big", x(0, 1, 2, 3, 4, 5), idx(0, 3), Options{}, "target 3 of row 1 is outside [0, 3)"},
		{"negative target", x(0, 1, 2), idx(-1), Options{}, "target -1 of row 0"},
		{"custom ignore makes -100 invalid", x(0, 1, 2), idx(-100), Options{IgnoreIndex: Ignore(2)}, "target -100 of row 0"},
		{"too few targets", x(0, 1, 2, 3, 4, 5), idx(0), Options{}, "1 targets for N = 2 rows"},
		{"short data", Matrix{Rows: 2, Cols: 3, F32: make([]float32, 5)}, idx(0, 0), Options{}, "holds 5 elements, want 6"},
		{"NaN logit", x(0, 1, 2, 3, nan, 5), idx(0, 0), Options{}, "row 1: logit 1 is NaN"},
		{"+Inf logit", x(inf, 1, 2), idx(0), Options{}, "row 0: logit 0 is +Inf"},
		{"+Inf under a soft-cap", x(0, 1, 2, 3, inf, 5), idx(0, 0), Options{SoftCap: 30}, "row 1: logit 1 is +Inf"},
		{"all -Inf, kept", x(0, 1, 2, ninf, ninf, ninf), idx(0, 2), Options{}, "row 1: every logit is -Inf"},
		{"smoothing > 1", x(0, 1, 2), idx(0), Options{LabelSmoothing: 1.5}, "label smoothing 1.5"},
		{"weights length", x(0, 1, 2), idx(0), Options{Weights: []float32{1, 2}}, "2 class weights for V = 3"},
		{"zero weights mean", x(0, 1, 2), idx(1), Options{Weights: []float32{1, 0, 1}}, "sum to 0"},
		{"NaN target prob", x(0, 1, 2), Targets{Probs: []float32{0, nan, 1}}, Options{}, "target probability [0, 1] is NaN"},
		{"no targets", x(0, 1, 2), Targets{}, Options{}, "no targets"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := CrossEntropy(c.logits, c.targets, c.opt)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want it to mention %q", err, c.want)
			}
		})
	}
	// Gradient-side mistakes.
	g := F32(make([]float32, 4), 2, 2)
	if _, err := CrossEntropyForwardBackward(x(0, 1, 2), idx(0), Options{}, []float32{1}, g); err == nil || !strings.Contains(err.Error(), "gradient is [2, 2]") {
		t.Errorf("shape mismatch: %v", err)
	}
	if _, err := CrossEntropyForwardBackward(x(0, 1, 2, 3, 4, 5), idx(0, 1), Options{}, []float32{1, 1}, F32(make([]float32, 6), 2, 3)); err == nil || !strings.Contains(err.Error(), "2 upstream gradients for mean") {
		t.Errorf("per-row upstream with mean: %v", err)
	}
}

func TestIgnoredRowsAndEmptyBatches(t *testing.T) {
	ninf := float32(math.Inf(-1))
	// An all -Inf row whose target is ignored is fine.
	x := F32([]float32{0, 1, 2, ninf, ninf, ninf}, 2, 3)
	res, err := CrossEntropy(x, Targets{Index: []int32{2, DefaultIgnoreIndex}}, Options{})
	if err != nil || res.Count != 1 || !near(res.Loss, math.Log(1+math.E+math.E*math.E)-2, 1e-7) {
		t.Fatalf("got %+v, %v", res, err)
	}
	// Every target ignored: loss 0, count 0, gradient 0 (PyTorch gives NaN).
	grad := F32(make([]float32, 6), 2, 3)
	grad.F32[0] = 7
	res, err = CrossEntropyForwardBackward(x, Targets{Index: []int32{DefaultIgnoreIndex, DefaultIgnoreIndex}}, Options{}, []float32{1}, grad)
	if err != nil || res.Loss != 0 || res.Count != 0 || slices.Max(grad.F32) != 0 || slices.Min(grad.F32) != 0 {
		t.Fatalf("all ignored: %+v %v grad %v", res, err, grad.F32)
	}
	// No rows at all.
	res, err = CrossEntropy(F32(nil, 0, 5), Targets{Index: []int32{}}, Options{})
	if err != nil || res.Loss != 0 || res.Count != 0 {
		t.Fatalf("empty batch: %+v %v", res, err)
	}
}

func TestPerRowUpstreamForNone(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 20))
	p := randProblem(r, 4, 9, false, 2)
	up := []float32{1, -2, 0.5, 3}
	opt := Options{Reduction: None, LabelSmoothing: 0.1}
	grad := F32(make([]float32, p.n*p.v), p.n, p.v)
	if _, err := CrossEntropyForwardBackward(F32(p.x, p.n, p.v), p.targets, opt, up, grad); err != nil {
		t.Fatal(err)
	}
	_, _, ref := refCE(p.x, p.n, p.v, p.targets, opt)
	for k, g := range grad.F32 {
		if want := float64(up[k/p.v]) * ref[k]; math.Abs(float64(g)-want) > 1e-6 {
			t.Fatalf("grad[%d] %g, want %g", k, g, want)
		}
	}
}

func FuzzCrossEntropy(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9}, uint8(3), uint8(0), uint8(0))
	f.Add([]byte{255, 0, 128, 7, 9, 200, 13, 14, 15, 16, 17, 18, 19, 20}, uint8(7), uint8(33), uint8(5))
	f.Fuzz(func(t *testing.T, data []byte, vocab, smooth, flags uint8) {
		v := int(vocab)%40 + 1
		if len(data) < v+1 {
			return
		}
		n := (len(data) - 1) / (v + 1)
		x := make([]float32, n*v)
		targets := make([]int32, n)
		for i := range n {
			row := data[i*(v+1) : (i+1)*(v+1)]
			targets[i] = int32(int(row[0])%(v+2)) - 1 // -1 is out of range: an error
			if row[0] == 255 {
				targets[i] = DefaultIgnoreIndex
			}
			for c, b := range row[1:] {
				switch b {
				case 0:
					x[i*v+c] = float32(math.Inf(-1))
				case 1:
					x[i*v+c] = 1e4
				case 2:
					x[i*v+c] = -1e4
				default:
					x[i*v+c] = (float32(b) - 128) / 8
				}
			}
		}
		opt := Options{
			LabelSmoothing: float32(smooth) / 255,
			Reduction:      Reduction(flags % 3),
		}
		if flags&8 != 0 {
			opt.ZLoss = 1e-3
		}
		if flags&16 != 0 {
			opt.SoftCap = 30
		}
		grad := F32(make([]float32, len(x)), n, v)
		res, err := CrossEntropyForwardBackward(F32(x, n, v), Targets{Index: targets}, opt, []float32{1}, grad)
		if err != nil {
			return // a clear error is an allowed answer for bad targets or all -Inf rows
		}
		if math.IsNaN(res.Loss) || math.IsNaN(res.ZLoss) {
			t.Fatalf("NaN loss %+v", res)
		}
		finiteIn := !slices.Contains(x, float32(math.Inf(-1)))
		if finiteIn && (math.IsInf(res.Loss, 0) || math.IsInf(res.ZLoss, 0)) {
			t.Fatalf("finite logits gave loss %v", res.Loss)
		}
		for k, g := range grad.F32 {
			if math.IsNaN(float64(g)) || math.IsInf(float64(g), 0) {
				t.Fatalf("grad[%d] = %v", k, g)
			}
		}
	})
}

// helpers

func forEachImpl(t *testing.T, f func(t *testing.T)) {
	defer kernels.Use(kernels.Implementations()[0])
	for _, name := range kernels.Implementations() {
		kernels.Use(name)
		t.Run(name, f)
	}
}

func fused(t *testing.T, p problem, opt Options) (Result, []float32) {
	t.Helper()
	grad := F32(make([]float32, p.n*p.v), p.n, p.v)
	res, err := CrossEntropyForwardBackward(F32(p.x, p.n, p.v), p.targets, opt, []float32{1}, grad)
	if err != nil {
		t.Fatal(err)
	}
	return res, grad.F32
}

func forward(t *testing.T, p problem, opt Options) Result {
	t.Helper()
	res, err := CrossEntropy(F32(p.x, p.n, p.v), p.targets, opt)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func near(got, want, rel float64) bool {
	if math.IsInf(want, 0) {
		return got == want
	}
	return math.Abs(got-want) <= rel*math.Max(1, math.Abs(want))
}

func describe(opt Options, probs bool) string {
	kind := "index"
	if probs {
		kind = "probs"
	}
	return kind + " " + opt.Reduction.String() +
		" ls=" + ftoa(opt.LabelSmoothing) + " z=" + ftoa(opt.ZLoss) + " cap=" + ftoa(opt.SoftCap) +
		map[bool]string{true: " weighted", false: ""}[opt.Weights != nil]
}

func ftoa(f float32) string { return strconv.FormatFloat(float64(f), 'g', -1, 32) }

func toDType(x []float32, n, v int, dt DType) Matrix {
	switch dt {
	case Float16:
		bits := make([]uint16, len(x))
		kernels.F32ToF16(bits, x)
		return F16(bits, n, v)
	case BFloat16:
		bits := make([]uint16, len(x))
		kernels.F32ToBF16(bits, x)
		return BF16(bits, n, v)
	}
	return F32(slices.Clone(x), n, v)
}

// The in-place training path allocates O(N) (row losses and lse), never
// O(N·V): a [256, 8192] call must allocate far less than its 8 MB of logits.
func TestInPlaceAllocatesNoLogitsSizedBuffers(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, dt := range []DType{Float32, BFloat16} {
		p := randProblem(r, 256, 8192, false, 2)
		x := toDType(p.x, p.n, p.v, dt)
		opt := Options{LabelSmoothing: 0.1, SoftCap: 30}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		if _, err := CrossEntropyForwardBackward(x, p.targets, opt, []float32{1}, x); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		logitsBytes := uint64(p.n * p.v * 4)
		if got := after.TotalAlloc - before.TotalAlloc; got > logitsBytes/16 {
			t.Errorf("%v: allocated %d bytes for %d bytes of logits", dt, got, logitsBytes)
		}
	}
}
