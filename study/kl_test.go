package study

import (
	"bytes"
	"context"
	"math"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/xent-dev/xent/train"
)

// TestToyForwardIsMomentMatching checks the forward fit by gradient
// descent, started on one mode, against the closed form: the Gaussian
// minimising KL(p ‖ q) has p's mean and standard deviation.
func TestToyForwardIsMomentMatching(t *testing.T) {
	for _, o := range []ToyOptions{DefaultToy,
		{Means: [2]float64{-1, 3}, Widths: [2]float64{0.5, 1.2}, Weights: [2]float64{2, 1}, Points: 2001}} {
		r, err := RunToy(o)
		if err != nil {
			t.Fatal(err)
		}
		f, m := r.Forward, r.Moments
		if math.Abs(f.Mu-r.TargetMean) > 1e-5 || math.Abs(f.Sigma-r.TargetStd) > 1e-5 {
			t.Errorf("%+v: forward fit N(%.6f, %.6f²), p's moments %.6f, %.6f", o, f.Mu, f.Sigma, r.TargetMean, r.TargetStd)
		}
		if f.ForwardKL > m.ForwardKL+1e-9 || f.Iterations == 0 {
			t.Errorf("forward fit KL(p‖q) %.9f after %d steps, moment match %.9f", f.ForwardKL, f.Iterations, m.ForwardKL)
		}
		// p's mean is the weighted mean of the modes.
		w0 := o.Weights[0] / (o.Weights[0] + o.Weights[1])
		if want := w0*o.Means[0] + (1-w0)*o.Means[1]; math.Abs(r.TargetMean-want) > 1e-6 {
			t.Errorf("p's mean %.8f, want %.8f", r.TargetMean, want)
		}
	}
}

// TestToyReverseSeeksAMode checks that the reverse fit sits on the
// heavier mode with about its width, covers less of p and has less
// entropy than the forward fit, and that each fit wins its own direction.
func TestToyReverseSeeksAMode(t *testing.T) {
	o := DefaultToy
	r, err := RunToy(o)
	if err != nil {
		t.Fatal(err)
	}
	f, v := r.Forward, r.Reverse
	if math.Abs(v.Mu-o.Means[1]) > 0.05 || math.Abs(v.Sigma-o.Widths[1]) > 0.05 {
		t.Errorf("reverse fit N(%.4f, %.4f²), want about the heavier mode N(%g, %g²)", v.Mu, v.Sigma, o.Means[1], o.Widths[1])
	}
	if v.ModeMass2 < 0.9 || v.ModeMass > 0.01 {
		t.Errorf("reverse fit puts %.4f at mode 1, %.4f at mode 2", v.ModeMass, v.ModeMass2)
	}
	if f.ModeMass < 0.05 || f.ModeMass2 < 0.05 {
		t.Errorf("forward fit puts %.4f at mode 1, %.4f at mode 2: it should cover both", f.ModeMass, f.ModeMass2)
	}
	if !(v.Entropy < f.Entropy && v.Covered < f.Covered) {
		t.Errorf("reverse: entropy %.4f, covers %.4f; forward: %.4f, %.4f", v.Entropy, v.Covered, f.Entropy, f.Covered)
	}
	if !(f.ForwardKL < v.ForwardKL && v.ReverseKL < f.ReverseKL) {
		t.Errorf("KL(p‖q): forward fit %.4f, reverse fit %.4f; KL(q‖p): %.4f, %.4f", f.ForwardKL, v.ForwardKL, f.ReverseKL, v.ReverseKL)
	}
	// A fit on one mode misses the other's mass: KL(q‖p) ≈ −log w₂.
	if want := -math.Log(o.Weights[1] / (o.Weights[0] + o.Weights[1])); math.Abs(v.ReverseKL-want) > 0.01 {
		t.Errorf("reverse fit's KL(q‖p) %.5f, want about −log w₂ = %.5f", v.ReverseKL, want)
	}
}

func TestToyRejectsBadOptions(t *testing.T) {
	for _, o := range []ToyOptions{
		{Means: [2]float64{0, 1}, Widths: [2]float64{0, 1}, Weights: [2]float64{1, 1}, Points: 1001},
		{Means: [2]float64{0, math.NaN()}, Widths: [2]float64{1, 1}, Weights: [2]float64{1, 1}, Points: 1001},
		{Means: [2]float64{0, 1}, Widths: [2]float64{1, 1}, Weights: [2]float64{0, 0}, Points: 1001},
		{Means: [2]float64{0, 1}, Widths: [2]float64{1, 1}, Weights: [2]float64{-1, 2}, Points: 1001},
		{Means: [2]float64{0, 1}, Widths: [2]float64{1, 1}, Weights: [2]float64{1, 1}, Points: 10},
	} {
		if _, err := RunToy(o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}

func tinyDistill(t *testing.T) (DistillData, DistillOptions) {
	t.Helper()
	teacher := tinyModel(t)
	var stream []int32
	for _, d := range greedyDocs(t, teacher, 6, 30) {
		stream = append(stream, d...)
	}
	for _, d := range randomDocs(4, 30, teacher.VocabSize()) {
		stream = append(stream, d...)
	}
	o := DistillOptions{Arch: "llama", Width: 16, Layers: 1, Heads: 2, Temperature: 1, TopK: 3, MinProb: 0.05, EvalTokens: 48,
		Settings: train.Settings{Batch: 2, Context: 12, GradAccum: 1, Steps: 30, Seed: 4, Threads: 2,
			Optim: train.Optim{LR: 1e-2, Warmup: 2, Schedule: "cosine", MinLRRatio: 0.1, Beta2: 0.99, ClipNorm: 1}}}
	return DistillData{Teacher: teacher, BOS: 0, Train: stream[:240], HeldOut: stream[240:]}, o
}

// TestDistillStudents distils a tiny teacher both ways: each student's
// own objective is the lower one of the two on held-out text, every
// measure is a share or a finite number, and the same options give the
// same numbers.
func TestDistillStudents(t *testing.T) {
	d, o := tinyDistill(t)
	r, err := RunDistill(context.Background(), d, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Students) != 2 || r.Students[0].Direction != "forward" || r.Students[1].Direction != "reverse" {
		t.Fatalf("students %+v", r.Students)
	}
	f, v := r.Students[0], r.Students[1]
	if !(f.KLTeacherStudent < v.KLTeacherStudent) || !(v.KLStudentTeacher < f.KLStudentTeacher) {
		t.Errorf("KL(teacher‖student): forward %.4f, reverse %.4f; KL(student‖teacher): forward %.4f, reverse %.4f",
			f.KLTeacherStudent, v.KLTeacherStudent, f.KLStudentTeacher, v.KLStudentTeacher)
	}
	if r.Tokens != 48 || r.Positions != 48 || r.TeacherParams <= r.StudentParams {
		t.Errorf("tokens %d, positions %d, parameters %d and %d", r.Tokens, r.Positions, r.TeacherParams, r.StudentParams)
	}
	for _, s := range append([]ModelStats{r.Teacher}, f.ModelStats, v.ModelStats) {
		if !(s.Entropy > 0 && s.Entropy < math.Log(41)) || !(s.Covered >= 0 && s.Covered <= 1) || !(s.TopKMass > 0 && s.TopKMass <= 1+1e-12) || len(s.RankProb) != 3 {
			t.Errorf("stats %+v", s)
		}
	}
	if r.Teacher.TopKMass != 1 || !(r.Teacher.RankProb[0] >= r.Teacher.RankProb[1] && r.Teacher.RankProb[1] >= r.Teacher.RankProb[2]) {
		t.Errorf("the teacher's own top-k: mass share %g, rank probabilities %v", r.Teacher.TopKMass, r.Teacher.RankProb)
	}
	again, err := RunDistill(context.Background(), d, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range again.Students {
		again.Students[i].Seconds = r.Students[i].Seconds
	}
	if !reflect.DeepEqual(r, again) {
		t.Errorf("the same options gave\n%+v\nthen\n%+v", r, again)
	}
	var buf bytes.Buffer
	r.WriteTable(&buf)
	if !strings.Contains(buf.String(), "reverse KL(student‖teacher)") {
		t.Errorf("table:\n%s", buf.String())
	}
	if err := r.Plot(filepath.Join(t.TempDir(), "kl.svg")); err != nil {
		t.Error(err)
	}
}

// TestCoverageOfItself: a model measured against itself covers exactly
// what the teacher covers, all of its own top-k mass, with the same
// entropies and rank probabilities.
func TestCoverageOfItself(t *testing.T) {
	d, o := tinyDistill(t)
	w, err := coverageWindows(d.HeldOut, o.Settings.Context, 0)
	if err != nil {
		t.Fatal(err)
	}
	teacher, self, n, err := coverage(d.Teacher, d.Teacher, w, 4, 0.05)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(w)*o.Settings.Context || !reflect.DeepEqual(teacher, self) || self.TopKMass != 1 {
		t.Errorf("%d positions: teacher %+v, itself %+v", n, teacher, self)
	}
}

func TestTopK(t *testing.T) {
	top := make([]int, 4)
	topK([]float32{1, 3, 3, -1, 2, 3}, top)
	if !slices.Equal(top, []int{1, 2, 5, 4}) {
		t.Errorf("topK = %v, want [1 2 5 4]", top)
	}
}

func TestDistillRejectsBadOptions(t *testing.T) {
	d, o := tinyDistill(t)
	for _, bad := range []func(*DistillOptions){
		func(o *DistillOptions) { o.Temperature = 0 },
		func(o *DistillOptions) { o.TopK = 0 },
		func(o *DistillOptions) { o.MinProb = 1 },
		func(o *DistillOptions) { o.Arch = "rnn" },
		func(o *DistillOptions) { o.Settings.LabelSmoothing = 0.1 },
		func(o *DistillOptions) { o.Settings.Context = 100 }, // longer than the teacher's 40
	} {
		c := o
		bad(&c)
		if _, err := RunDistill(context.Background(), d, c, nil); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}
