package sample

import (
	"math"
	"slices"
	"strings"
	"testing"
)

var negInf = float32(math.Inf(-1))

// logs returns log(p) for each p, as logits.
func logs(ps ...float64) []float32 {
	out := make([]float32, len(ps))
	for i, p := range ps {
		out[i] = float32(math.Log(p))
	}
	return out
}

// Every processor on a hand-computed case, alone in the chain.
func TestProcessors(t *testing.T) {
	base := []float32{2, -1, 0.5, 3}
	tests := []struct {
		name    string
		s       Settings
		logits  []float32
		context []int32
		want    []float32
	}{
		{"repetition penalty: divide positive, multiply negative, once per distinct token",
			Settings{RepetitionPenalty: 2}, base, []int32{0, 1, 1}, []float32{1, -2, 0.5, 3}},
		{"repetition penalty leaves a zero logit at zero",
			Settings{RepetitionPenalty: 2}, []float32{0, 1}, []int32{0}, []float32{0, 1}},
		{"frequency and presence: logit − count·f − [count>0]·p",
			Settings{FrequencyPenalty: 0.5, PresencePenalty: 1}, base, []int32{0, 1, 1}, []float32{0.5, -3, 0.5, 3}},
		{"repetition then frequency in one stage",
			Settings{RepetitionPenalty: 2, FrequencyPenalty: 0.5}, base, []int32{1, 1}, []float32{2, -3, 0.5, 3}},
		{"the penalty window is the last tokens of the context",
			Settings{RepetitionPenalty: 2, PenaltyWindow: 2}, base, []int32{0, 1, 1}, []float32{2, -2, 0.5, 3}},
		{"temperature divides", Settings{Temperature: 0.5}, base, nil, []float32{4, -2, 1, 6}},
		{"top-k keeps the k highest", Settings{TopK: 2}, base, nil, []float32{2, negInf, negInf, 3}},
		{"top-k keeps ties with the k-th", Settings{TopK: 1}, []float32{1, 2, 2, 0}, nil, []float32{negInf, 2, 2, negInf}},
		{"top-k larger than the vocabulary", Settings{TopK: 9}, base, nil, base},
		{"top-p 0.75 of (0.5, 0.3, 0.15, 0.05) keeps two", Settings{TopP: 0.75},
			logs(0.15, 0.5, 0.05, 0.3), nil, []float32{negInf, logs(0.5)[0], negInf, logs(0.3)[0]}},
		{"top-p 0.85 keeps three", Settings{TopP: 0.85},
			logs(0.15, 0.5, 0.05, 0.3), nil, []float32{logs(0.15)[0], logs(0.5)[0], negInf, logs(0.3)[0]}},
		{"top-p 0.45 keeps the top token only", Settings{TopP: 0.45},
			logs(0.15, 0.5, 0.05, 0.3), nil, []float32{negInf, logs(0.5)[0], negInf, negInf}},
		{"min-p 0.4: tokens at least 0.2 = 0.4·0.5 likely", Settings{MinP: 0.4},
			logs(0.15, 0.5, 0.05, 0.3), nil, []float32{negInf, logs(0.5)[0], negInf, logs(0.3)[0]}},
		{"min-p 0.25: 0.15 ≥ 0.125 stays", Settings{MinP: 0.25},
			logs(0.15, 0.5, 0.05, 0.3), nil, []float32{logs(0.15)[0], logs(0.5)[0], negInf, logs(0.3)[0]}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sp, err := NewSampler(tc.s, 0)
			if err != nil {
				t.Fatal(err)
			}
			got := slices.Clone(tc.logits)
			if err := sp.Process(got, tc.context); err != nil {
				t.Fatal(err)
			}
			for i := range got {
				if math.Abs(float64(got[i]-tc.want[i])) > 1e-6 && got[i] != tc.want[i] {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
}

// Where the temperature sits changes what top-p keeps: at T = 2,
// (0.5, 0.3, 0.15, 0.05) flattens to about (0.38, 0.29, 0.21, 0.12).
func TestOrderMatters(t *testing.T) {
	kept := func(order string) int {
		o, err := ParseOrder(order)
		if err != nil {
			t.Fatal(err)
		}
		sp, err := NewSampler(Settings{Temperature: 2, TopP: 0.75, Order: o}, 0)
		if err != nil {
			t.Fatal(err)
		}
		l := logs(0.5, 0.3, 0.15, 0.05)
		if err := sp.Process(l, nil); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, x := range l {
			if !math.IsInf(float64(x), -1) {
				n++
			}
		}
		return n
	}
	if hf, lcpp := kept("penalties,temperature,top-k,top-p,min-p"), kept("penalties,top-k,top-p,min-p,temperature"); hf != 3 || lcpp != 2 {
		t.Errorf("top-p 0.75 at T=2 kept %d tokens in Hugging Face's order (want 3), %d in llama.cpp's (want 2)", hf, lcpp)
	}
}

func TestParseOrderErrors(t *testing.T) {
	for _, bad := range []string{"", "penalties,temperature", "penalties,temperature,top-k,top-p,top-p",
		"penalties,temperature,top-k,top-p,min-p,typical", "penalties,temp,top-k,top-p,min-p"} {
		if _, err := ParseOrder(bad); err == nil {
			t.Errorf("ParseOrder(%q) accepted", bad)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		s    Settings
		want string
	}{
		{Settings{Temperature: -0.1}, "temperature"},
		{Settings{Temperature: math.NaN()}, "temperature"},
		{Settings{TopP: 1.5}, "top-p"},
		{Settings{TopP: -0.5}, "top-p"},
		{Settings{TopK: -1}, "top-k"},
		{Settings{MinP: 2}, "min-p"},
		{Settings{RepetitionPenalty: -1}, "repetition penalty"},
		{Settings{FrequencyPenalty: math.Inf(1)}, "frequency"},
		{Settings{PenaltyWindow: -3}, "window"},
		{Settings{Order: []Stage{StageTopK}}, "all five"},
	} {
		if err := tc.s.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want one naming %q", tc.s, err, tc.want)
		}
	}
}

// Greedy picks the highest processed logit: the repetition penalty can
// change it.
func TestGreedy(t *testing.T) {
	for _, tc := range []struct {
		s       Settings
		context []int32
		want    int32
	}{
		{Settings{}, []int32{0}, 0},
		{Settings{RepetitionPenalty: 1.2}, []int32{0}, 1}, // 3/1.2 = 2.5 < 2.9
		{Settings{PresencePenalty: 0.05}, []int32{0}, 0},
		{Settings{PresencePenalty: 0.2}, []int32{0}, 1},
	} {
		sp, err := NewSampler(tc.s, 0)
		if err != nil {
			t.Fatal(err)
		}
		got, err := sp.Choose([]float32{3, 2.9, -1}, tc.context)
		if err != nil || got != tc.want {
			t.Errorf("%+v: chose %d (%v), want %d", tc.s, got, err, tc.want)
		}
	}
	sp, _ := NewSampler(Settings{}, 0)
	if got, _ := sp.Choose([]float32{1, 5, 5}, nil); got != 1 {
		t.Errorf("a tie went to token %d, want the lower id 1", got)
	}
}

// Draw inverts the cumulative distribution at u.
func TestDraw(t *testing.T) {
	for _, tc := range []struct {
		logits []float32
		u      float64
		want   int32
	}{
		{logs(0.25, 0.25, 0.5), 0.1, 0},
		{logs(0.25, 0.25, 0.5), 0.3, 1},
		{logs(0.25, 0.25, 0.5), 0.6, 2},
		{logs(0.25, 0.25, 0.5), 0.9999999999, 2},
		{[]float32{negInf, 0, 0}, 0.49, 1},
		{[]float32{negInf, 0, 0}, 0.51, 2},
		{[]float32{0, 0, negInf}, 0.9999999999999999, 1},
	} {
		got, err := Draw(tc.logits, tc.u)
		if err != nil || got != tc.want {
			t.Errorf("Draw(%v, %g) = %d (%v), want %d", tc.logits, tc.u, got, err, tc.want)
		}
	}
	if _, err := Draw([]float32{0, float32(math.NaN())}, 0.5); err == nil {
		t.Error("NaN logit accepted")
	}
	if _, err := Draw([]float32{negInf, negInf}, 0.5); err == nil {
		t.Error("all tokens removed, yet a draw")
	}
}

// The same seed and stream give the same draws; another stream differs.
func TestSeedDeterminism(t *testing.T) {
	draws := func(seed, stream uint64) []int32 {
		sp, err := NewSampler(Settings{Temperature: 1, TopK: 50, TopP: 0.95, Seed: seed}, stream)
		if err != nil {
			t.Fatal(err)
		}
		var out []int32
		for i := range 200 {
			l := make([]float32, 64)
			for j := range l {
				l[j] = float32(math.Sin(float64(i*64 + j)))
			}
			tok, err := sp.Choose(l, out)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, tok)
		}
		return out
	}
	a, b := draws(7, 0), draws(7, 0)
	if !slices.Equal(a, b) {
		t.Fatal("the same seed gave different tokens")
	}
	if slices.Equal(a, draws(7, 1)) || slices.Equal(a, draws(8, 0)) {
		t.Fatal("another stream or seed gave the same 200 tokens")
	}
}

func TestProcessRejectsBadInput(t *testing.T) {
	sp, _ := NewSampler(Settings{RepetitionPenalty: 1.3}, 0)
	if err := sp.Process([]float32{0, float32(math.NaN())}, nil); err == nil || !strings.Contains(err.Error(), "token 1") {
		t.Errorf("NaN logit: %v", err)
	}
	if err := sp.Process([]float32{0, 1}, []int32{5}); err == nil || !strings.Contains(err.Error(), "vocabulary") {
		t.Errorf("context token outside the vocabulary: %v", err)
	}
	// the failed call must not leave counts behind
	l := []float32{2, 1}
	if err := sp.Process(l, []int32{1}); err != nil || l[0] != 2 {
		t.Errorf("after an error, a clean call penalised token 0: %v, %v", l, err)
	}
}

// ParseOrder either rejects its input or returns each of the five stages
// once.
func FuzzParseOrder(f *testing.F) {
	for _, s := range []string{"penalties,temperature,top-k,top-p,min-p", "penalties,top-k,top-p,min-p,temperature", "", ",,,,", "top-k, top-p,min-p,penalties,temperature"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		order, err := ParseOrder(s)
		if err != nil {
			return
		}
		if len(order) != len(DefaultOrder) {
			t.Fatalf("%q gave %v", s, order)
		}
		for _, st := range DefaultOrder {
			if !slices.Contains(order, st) {
				t.Fatalf("%q gave %v without %s", s, order, st)
			}
		}
	})
}
