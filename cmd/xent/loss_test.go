package main

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/xent-dev/xent/internal/kernels"
	"github.com/xent-dev/xent/loss"
)

// lossCase is a set of flags and the options they stand for.
type lossCase struct {
	name  string
	flags []string
	opt   loss.Options
}

// targets returns the targets the case runs on: for a custom ignore index
// the rows ignored by -100 are ignored by it instead.
func (c lossCase) targets(t []int32) []int32 {
	if c.opt.IgnoreIndex == nil {
		return t
	}
	out := make([]int32, len(t))
	for i, x := range t {
		out[i] = x
		if x == loss.DefaultIgnoreIndex {
			out[i] = int32(*c.opt.IgnoreIndex)
		}
	}
	return out
}

func lossCases(weightsPath string, weights []float32) []lossCase {
	return []lossCase{
		{"default", nil, loss.Options{}},
		{"sum_smoothing", []string{"--reduction", "sum", "--label-smoothing", "0.1"},
			loss.Options{Reduction: loss.Sum, LabelSmoothing: 0.1}},
		{"weights_zloss_softcap", []string{"--weights", weightsPath, "--z-loss", "0.001", "--softcap", "3", "--threads", "2"},
			loss.Options{Weights: weights, ZLoss: 0.001, SoftCap: 3, Threads: 2}},
		{"ignore_3", []string{"--ignore-index", "3"}, loss.Options{IgnoreIndex: loss.Ignore(3)}},
	}
}

func checkNumber(t *testing.T, m map[string]any, key string, want float64) {
	t.Helper()
	got, ok := m[key].(float64)
	if !ok || got != want {
		t.Errorf("%s = %v (%T), want %v", key, m[key], m[key], want)
	}
}

func checkReport(t *testing.T, m map[string]any, res loss.Result, red loss.Reduction, n, v int, dtype string) {
	t.Helper()
	if red != loss.None {
		checkNumber(t, m, "loss", res.Loss)
	}
	checkNumber(t, m, "z_loss", res.ZLoss)
	checkNumber(t, m, "count", float64(res.Count))
	checkNumber(t, m, "denominator", res.Denominator)
	checkNumber(t, m, "n", float64(n))
	checkNumber(t, m, "v", float64(v))
	if m["reduction"] != red.String() || m["dtype"] != dtype || m["kernels"] != kernels.Active() {
		t.Errorf("reduction, dtype, kernels = %v, %v, %v; want %v, %v, %v",
			m["reduction"], m["dtype"], m["kernels"], red, dtype, kernels.Active())
	}
}

func TestLossMatchesLibrary(t *testing.T) {
	const n, v = 6, 13
	dir := t.TempDir()
	logits, targets := testInput(n, v)
	lp := writeF32(t, dir, "logits.npy", []int{n, v}, logits)
	weights := make([]float32, v)
	for c := range weights {
		weights[c] = 0.5 + float32(c)/v
	}
	wp := writeF32(t, dir, "w.npy", []int{v}, weights)

	for _, c := range lossCases(wp, weights) {
		targets := c.targets(targets)
		t64 := make([]int64, n)
		for i, x := range targets {
			t64[i] = int64(x)
		}
		tp64 := writeInt64(t, dir, c.name+"_t64.npy", t64)
		tp32 := writeInt32(t, dir, c.name+"_t32.npy", targets)
		for _, tp := range []string{tp64, tp32} {
			t.Run(c.name, func(t *testing.T) {
				out, _, err := runXent(t, append([]string{"loss", "--logits", lp, "--targets", tp}, c.flags...)...)
				if err != nil {
					t.Fatal(err)
				}
				want, err := loss.CrossEntropy(loss.F32(logits, n, v), loss.Targets{Index: targets}, c.opt)
				if err != nil {
					t.Fatal(err)
				}
				checkReport(t, decodeJSON(t, out), want, c.opt.Reduction, n, v, "float32")
			})
		}
	}
}

func TestLossFloat16(t *testing.T) {
	const n, v = 5, 9
	dir := t.TempDir()
	logits, targets := testInput(n, v)
	bits := toF16(logits)
	lp := writeF16(t, dir, "logits.npy", []int{n, v}, bits)
	tp := writeInt32(t, dir, "t.npy", targets)
	out, _, err := runXent(t, "loss", "--logits", lp, "--targets", tp, "--label-smoothing", "0.2")
	if err != nil {
		t.Fatal(err)
	}
	opt := loss.Options{LabelSmoothing: 0.2}
	want, err := loss.CrossEntropy(loss.F16(bits, n, v), loss.Targets{Index: targets}, opt)
	if err != nil {
		t.Fatal(err)
	}
	checkReport(t, decodeJSON(t, out), want, loss.Mean, n, v, "float16")
}

func TestLossReductionNone(t *testing.T) {
	const n, v = 4, 7
	dir := t.TempDir()
	logits, targets := testInput(n, v)
	lp := writeF32(t, dir, "logits.npy", []int{n, v}, logits)
	tp := writeInt32(t, dir, "t.npy", targets)
	out, _, err := runXent(t, "loss", "--logits", lp, "--targets", tp, "--reduction", "none", "--z-loss", "0.01")
	if err != nil {
		t.Fatal(err)
	}
	opt := loss.Options{Reduction: loss.None, ZLoss: 0.01}
	want, err := loss.CrossEntropy(loss.F32(logits, n, v), loss.Targets{Index: targets}, opt)
	if err != nil {
		t.Fatal(err)
	}
	m := decodeJSON(t, out)
	checkReport(t, m, want, loss.None, n, v, "float32")
	rows, ok := m["loss"].([]any)
	if !ok || len(rows) != n {
		t.Fatalf("loss = %v, want a list of %d row losses", m["loss"], n)
	}
	for i, r := range rows {
		if r != want.RowLoss[i] {
			t.Errorf("row %d: loss %v, want %v", i, r, want.RowLoss[i])
		}
	}
	if rows[1] != 0.0 {
		t.Errorf("ignored row 1 has loss %v", rows[1])
	}
}

func TestLossTargetProbs(t *testing.T) {
	const n, v = 3, 5
	dir := t.TempDir()
	logits, _ := testInput(n, v)
	probs := make([]float32, n*v)
	for i := range n {
		for c := range v {
			probs[i*v+c] = float32(c+i) / float32(v*(v-1)/2+v*i)
		}
	}
	lp := writeF32(t, dir, "logits.npy", []int{n, v}, logits)
	pp := writeF32(t, dir, "p.npy", []int{n, v}, probs)
	out, _, err := runXent(t, "loss", "--logits", lp, "--target-probs", pp, "--reduction", "sum")
	if err != nil {
		t.Fatal(err)
	}
	opt := loss.Options{Reduction: loss.Sum}
	want, err := loss.CrossEntropy(loss.F32(logits, n, v), loss.Targets{Probs: probs}, opt)
	if err != nil {
		t.Fatal(err)
	}
	checkReport(t, decodeJSON(t, out), want, loss.Sum, n, v, "float32")
}

func TestLossGrad(t *testing.T) {
	const n, v = 6, 11
	dir := t.TempDir()
	logits, targets := testInput(n, v)
	weights := make([]float32, v)
	for c := range weights {
		weights[c] = 1 + float32(c%3)
	}
	wp := writeF32(t, dir, "w.npy", []int{v}, weights)
	bits := toF16(logits)
	inputs := []struct {
		dtype string
		path  string
		x     loss.Matrix
	}{
		{"float32", writeF32(t, dir, "l32.npy", []int{n, v}, logits), loss.F32(logits, n, v)},
		{"float16", writeF16(t, dir, "l16.npy", []int{n, v}, bits), loss.F16(bits, n, v)},
	}
	cases := append(lossCases(wp, weights), lossCase{"none", []string{"--reduction", "none"}, loss.Options{Reduction: loss.None}})
	for _, in := range inputs {
		for _, c := range cases {
			targets := c.targets(targets)
			tp := writeInt32(t, dir, c.name+"_t.npy", targets)
			t.Run(in.dtype+"/"+c.name, func(t *testing.T) {
				gp := dir + "/grad_" + in.dtype + "_" + c.name + ".npy"
				out, _, err := runXent(t, append([]string{"loss", "--logits", in.path, "--targets", tp, "--grad", gp}, c.flags...)...)
				if err != nil {
					t.Fatal(err)
				}
				// The library's gradient, into a separate buffer (the command
				// works in place for float32).
				want := make([]float32, n*v)
				res, err := loss.CrossEntropyForwardBackward(in.x, loss.Targets{Index: targets}, c.opt, []float32{1}, loss.F32(want, n, v))
				if err != nil {
					t.Fatal(err)
				}
				checkReport(t, decodeJSON(t, out), res, c.opt.Reduction, n, v, in.dtype)
				shape, got := readF32(t, gp)
				if fmt.Sprint(shape) != fmt.Sprint([]int{n, v}) {
					t.Fatalf("gradient shape %v, want [%d %d]", shape, n, v)
				}
				for k := range want {
					if math.Float32bits(got[k]) != math.Float32bits(want[k]) {
						t.Fatalf("gradient [%d, %d] = %v, want %v", k/v, k%v, got[k], want[k])
					}
				}
				for _, g := range got[v : 2*v] { // row 1 is ignored: no gradient
					if g != 0 {
						t.Fatalf("ignored row 1 has gradient %v", got[v:2*v])
					}
				}
			})
		}
	}
}

func TestLossInfinite(t *testing.T) {
	// Row 0's target logit is -Inf: its loss is +Inf, written as "inf".
	dir := t.TempDir()
	lp := writeF32(t, dir, "l.npy", []int{2, 3}, []float32{float32(math.Inf(-1)), 1, 2, 0, 1, 2})
	tp := writeInt32(t, dir, "t.npy", []int32{0, 2})
	out, _, err := runXent(t, "loss", "--logits", lp, "--targets", tp)
	if err != nil {
		t.Fatal(err)
	}
	if m := decodeJSON(t, out); m["loss"] != "inf" {
		t.Errorf("loss = %v, want \"inf\"", m["loss"])
	}
	out, _, err = runXent(t, "loss", "--logits", lp, "--targets", tp, "--reduction", "none")
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := decodeJSON(t, out)["loss"].([]any)
	if len(rows) != 2 || rows[0] != "inf" {
		t.Errorf("row losses = %v, want [\"inf\", number]", rows)
	}
	if _, ok := rows[1].(float64); !ok {
		t.Errorf("row 1 loss %v is not a number", rows[1])
	}
}

func TestLossErrors(t *testing.T) {
	const n, v = 3, 4
	dir := t.TempDir()
	logits, targets := testInput(n, v)
	lp := writeF32(t, dir, "logits.npy", []int{n, v}, logits)
	tp := writeInt32(t, dir, "t.npy", targets)
	l3 := writeF32(t, dir, "l3.npy", []int{1, n, v}, logits)
	l64 := writeF64(t, dir, "l64.npy", []int{n, v}, make([]float64, n*v))
	tBad := writeInt32(t, dir, "tbad.npy", []int32{0, 1, 9})
	tBig := writeInt64(t, dir, "tbig.npy", []int64{0, 1 << 40, 2})
	tShort := writeInt32(t, dir, "tshort.npy", []int32{0, 1})
	tFloat := writeF32(t, dir, "tfloat.npy", []int{n}, []float32{0, 1, 2})
	pp := writeF32(t, dir, "p.npy", []int{n, v}, make([]float32, n*v))
	wBad := writeF32(t, dir, "wbad.npy", []int{v + 1}, make([]float32, v+1))
	missing := dir + "/missing.npy"

	cases := []struct {
		name string
		args []string
		want []string // substrings of the error
	}{
		{"missing logits file", []string{"--logits", missing, "--targets", tp}, []string{"--logits", missing}},
		{"missing targets file", []string{"--logits", lp, "--targets", missing}, []string{"--targets", missing}},
		{"3-D logits", []string{"--logits", l3, "--targets", tp}, []string{l3, "[1, 3, 4]", "2-D"}},
		{"float64 logits", []string{"--logits", l64, "--targets", tp}, []string{l64, "float64"}},
		{"target out of range", []string{"--logits", lp, "--targets", tBad}, []string{"row 2", "target 9"}},
		{"target beyond int32", []string{"--logits", lp, "--targets", tBig}, []string{tBig, "row 1", "int32"}},
		{"targets of the wrong length", []string{"--logits", lp, "--targets", tShort}, []string{tShort, "[2]", "[3]"}},
		{"float targets", []string{"--logits", lp, "--targets", tFloat}, []string{tFloat, "float32", "int"}},
		{"both targets", []string{"--logits", lp, "--targets", tp, "--target-probs", pp}, []string{"--targets", "--target-probs", "not both"}},
		{"no targets", []string{"--logits", lp}, []string{"--targets", "--target-probs", "required"}},
		{"no logits", []string{"--targets", tp}, []string{"--logits", "required"}},
		{"label smoothing", []string{"--logits", lp, "--targets", tp, "--label-smoothing", "1.5"}, []string{"label smoothing 1.5 is outside [0, 1]"}},
		{"negative z-loss", []string{"--logits", lp, "--targets", tp, "--z-loss", "-1"}, []string{"z-loss"}},
		{"reduction", []string{"--logits", lp, "--targets", tp, "--reduction", "avg"}, []string{"--reduction", `"avg"`}},
		{"threads", []string{"--logits", lp, "--targets", tp, "--threads", "-2"}, []string{"threads -2"}},
		{"weights shape", []string{"--logits", lp, "--targets", tp, "--weights", wBad}, []string{"--weights", wBad, "[5]", "[4]"}},
		{"not a number", []string{"--logits", lp, "--targets", tp, "--z-loss", "lots"}, []string{"z-loss", "lots"}},
		{"positional argument", []string{"--logits", lp, "--targets", tp, "extra"}, []string{"extra"}},
		{"grad into a missing directory", []string{"--logits", lp, "--targets", tp, "--grad", dir + "/no/g.npy"}, []string{"--grad", dir + "/no/g.npy"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, _, err := runXent(t, append([]string{"loss"}, c.args...)...)
			if err == nil {
				t.Fatalf("no error; output %q", out)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if out != "" {
				t.Errorf("printed %q on error", out)
			}
		})
	}
}
