package train

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/xent-dev/xent/sample"
)

// ε_i of each schedule, by hand.
func TestTeacherForcingProb(t *testing.T) {
	for _, tc := range []struct {
		s    Settings
		step int
		want float64
	}{
		{Settings{}, 500, 1},
		{Settings{ScheduledSampling: SSLinear, Steps: 100}, 0, 1},
		{Settings{ScheduledSampling: SSLinear, Steps: 100}, 25, 0.75},            // c = 1/100
		{Settings{ScheduledSampling: SSLinear, Steps: 100}, 100, 0},              // reaches ε_min = 0 at the end
		{Settings{ScheduledSampling: SSLinear, Steps: 100, SSMin: 0.2}, 50, 0.6}, // c = 0.8/100
		{Settings{ScheduledSampling: SSLinear, Steps: 100, SSMin: 0.2}, 400, 0.2},
		{Settings{ScheduledSampling: SSLinear, Steps: 100, SSK: 0.9, SSC: 0.01}, 30, 0.6},
		{Settings{ScheduledSampling: SSLinear, Steps: 100, SSK: 0.9, SSC: 0.01}, 200, 0}, // clipped at 0
		{Settings{ScheduledSampling: SSExponential, SSK: 0.99}, 0, 1},
		{Settings{ScheduledSampling: SSExponential, SSK: 0.99}, 100, math.Pow(0.99, 100)},
		{Settings{ScheduledSampling: SSExponential, SSK: 0.5, SSMin: 0.3}, 3, 0.3}, // 0.125 floored
		{Settings{ScheduledSampling: SSInverseSigmoid, SSK: 1}, 0, 0.5},
		{Settings{ScheduledSampling: SSInverseSigmoid, SSK: 100}, 0, 100.0 / 101},
		{Settings{ScheduledSampling: SSInverseSigmoid, SSK: 100}, 460, 100 / (100 + math.Exp(4.6))},
	} {
		if got := tc.s.TeacherForcingProb(tc.step); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s k=%g c=%g min=%g step %d: ε = %g, want %g", tc.s.ScheduledSampling, tc.s.SSK, tc.s.SSC, tc.s.SSMin, tc.step, got, tc.want)
		}
	}
}

func TestScheduledSamplingValidation(t *testing.T) {
	_, _, s := tinySetup(t)
	for _, tc := range []struct {
		kind         string
		k, c, minEps float64
		want         string
	}{
		{"cosine", 0, 0, 0, "want linear, exponential or inverse-sigmoid"},
		{"", 0.5, 0, 0, "need --scheduled-sampling"},
		{SSExponential, 0, 0, 0, "(0, 1)"},
		{SSExponential, 1, 0, 0, "(0, 1)"},
		{SSInverseSigmoid, 0.5, 0, 0, "≥ 1"},
		{SSLinear, 2, 0, 0, "(0, 1]"},
		{SSLinear, 1, -1, 0, "--ss-c"},
		{SSLinear, 1, 0, 1.5, "--ss-min"},
		{SSLinear, math.NaN(), 0, 0, "--ss-c"},
	} {
		bad := s
		bad.ScheduledSampling, bad.SSK, bad.SSC, bad.SSMin = tc.kind, tc.k, tc.c, tc.minEps
		if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q k=%g c=%g min=%g: %v, want an error with %q", tc.kind, tc.k, tc.c, tc.minEps, err, tc.want)
		}
	}
}

// The first pass: each position t ≥ 1 keeps its token with probability ε,
// else takes a draw from the teacher-forced prediction for t (the logits
// row of t − 1, over the true inputs); position 0 and the targets never
// change. Replayed here from the same generator.
func TestMixOwnTokens(t *testing.T) {
	tok, ids, s := tinySetup(t)
	s.ScheduledSampling, s.SSK = SSExponential, 0.5
	tr, err := NewTrainer(tinyModel(t, tok.VocabSize(), 1), ids, s)
	if err != nil {
		t.Fatal(err)
	}
	tr.batches.Next(tr.inputs, tr.targets)
	inputs, targets := slices.Clone(tr.inputs), slices.Clone(tr.targets)
	logits, err := tr.Model.Logits(inputs, s.Batch, s.Context)
	if err != nil {
		t.Fatal(err)
	}
	const eps = 0.4
	if err := tr.mixOwnTokens(eps); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(s.Seed, ssStream))
	V, T := tr.Model.VocabSize(), s.Context
	replaced := 0
	for b := range s.Batch {
		if tr.inputs[b*T] != inputs[b*T] {
			t.Fatalf("sequence %d: position 0 changed", b)
		}
		for pos := 1; pos < T; pos++ {
			want := inputs[b*T+pos]
			if rng.Float64() >= eps {
				row := logits[(b*T+pos-1)*V : (b*T+pos)*V]
				want, _ = sample.Draw(row, rng.Float64())
				replaced++
			}
			if got := tr.inputs[b*T+pos]; got != want {
				t.Fatalf("sequence %d position %d: input %d, want %d", b, pos, got, want)
			}
		}
	}
	if !slices.Equal(tr.targets, targets) {
		t.Fatal("the targets changed")
	}
	if replaced == 0 || replaced == s.Batch*(T-1) {
		t.Fatalf("%d of %d positions replaced at ε = %g", replaced, s.Batch*(T-1), eps)
	}
	// ε = 1 is pure teacher forcing: no pass, no draw.
	before := slices.Clone(tr.inputs)
	state, _ := tr.ssSrc.MarshalBinary()
	if err := tr.mixOwnTokens(1); err != nil || !slices.Equal(tr.inputs, before) {
		t.Fatalf("ε = 1 changed the inputs (%v)", err)
	}
	if after, _ := tr.ssSrc.MarshalBinary(); !slices.Equal(state, after) {
		t.Fatal("ε = 1 drew random numbers")
	}
}
