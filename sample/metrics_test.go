package sample

import (
	"math"
	"slices"
	"testing"
)

func TestSeqRep(t *testing.T) {
	for _, tc := range []struct {
		tokens []int32
		n      int
		want   float64
		ok     bool
	}{
		{[]int32{1, 2, 1, 2, 1}, 1, 1 - 2.0/5, true},    // 2 distinct of 5
		{[]int32{1, 2, 1, 2, 1}, 2, 1 - 2.0/4, true},    // (1 2) (2 1) (1 2) (2 1)
		{[]int32{1, 2, 1, 2, 1}, 4, 0, true},            // (1 2 1 2) (2 1 2 1)
		{[]int32{7, 7, 7, 7, 7}, 4, 1 - 1.0/2, true},    // two equal 4-grams
		{[]int32{1, 2, 3, 4, 5}, 2, 0, true},            // all distinct
		{[]int32{1, 2, 3}, 4, 0, false},                 // no 4-gram
		{[]int32{1, 2, 3, 1, 2, 3}, 3, 1 - 3.0/4, true}, // the last 3-gram repeats the first
	} {
		got, ok := SeqRep(tc.tokens, tc.n)
		if ok != tc.ok || math.Abs(got-tc.want) > 1e-15 {
			t.Errorf("SeqRep(%v, %d) = %g, %v; want %g, %v", tc.tokens, tc.n, got, ok, tc.want, tc.ok)
		}
	}
}

// referenceRepeatMask transcribes ngram_repeat_mask of
// facebookresearch/unlikelihood_training (custom/sequence_penalty_loss.py):
//
//	for j in range(len(x)-n):
//	    ng = tuple(xl[j:j+n])
//	    if ng in seen: mask[i, j:j+n] = 1
//	    seen.add(ng)
func referenceRepeatMask(x []int32, n int) []bool {
	mask := make([]bool, len(x))
	seen := map[[8]int32]bool{}
	for j := 0; j < len(x)-n; j++ {
		var ng [8]int32
		copy(ng[:], x[j:j+n])
		if seen[ng] {
			for k := j; k < j+n; k++ {
				mask[k] = true
			}
		}
		seen[ng] = true
	}
	return mask
}

// The reference loop never reaches the last n-gram (it starts at
// len(x) − n, and range stops before it): a repeat that ends the sequence
// is missed. RepeatMask marks it.
func TestRepeatMaskLastNGram(t *testing.T) {
	x := []int32{5, 6, 7, 8, 5, 6} // (5 6) repeats as the last bigram, starting at 4 = len − n
	want := []bool{false, false, false, false, true, true}
	if got := RepeatMask(x, 2); !slices.Equal(got, want) {
		t.Errorf("RepeatMask = %v, want %v", got, want)
	}
	if got := referenceRepeatMask(x, 2); slices.Contains(got, true) {
		t.Errorf("the reference transcription marked %v; it should miss the last bigram", got)
	}
	// Everywhere but the last n-gram the two agree.
	y := []int32{1, 2, 3, 1, 2, 3, 9, 1, 2, 4}
	for n := 1; n <= 3; n++ {
		got, ref := RepeatMask(y, n), referenceRepeatMask(y, n)
		last := len(y) - n
		for j := range last {
			if got[j] != ref[j] {
				t.Errorf("n=%d: position %d before the last n-gram differs: %v vs %v", n, j, got, ref)
			}
		}
	}
	// And the metric, like the reference's ngram_metrics (nltk.ngrams),
	// counts the last n-gram: (5 6) twice among 5 bigrams.
	if r, _ := SeqRep(x, 2); math.Abs(r-(1-4.0/5)) > 1e-15 {
		t.Errorf("seq-rep-2 = %g, want 0.2", r)
	}
}

func TestDistinct(t *testing.T) {
	seqs := [][]int32{{1, 2, 3}, {1, 2, 4}}
	if d, ok := Distinct(seqs, 2); !ok || d != 0.75 { // (1 2) (2 3) (1 2) (2 4)
		t.Errorf("distinct-2 = %g, %v; want 0.75", d, ok)
	}
	if d, _ := Distinct(seqs, 1); d != 4.0/6 {
		t.Errorf("distinct-1 = %g, want 4/6", d)
	}
	if d, _ := Distinct([][]int32{{1, 2}, {3, 1}}, 2); d != 1 { // (2 3) spans two sequences: not an n-gram
		t.Errorf("distinct-2 across sequences = %g, want 1", d)
	}
	if _, ok := Distinct([][]int32{{1}}, 2); ok {
		t.Error("no bigram, yet ok")
	}
}

func TestNextTokenRepeats(t *testing.T) {
	x := []int32{1, 2, 3, 1, 2}
	top := []int32{1, 1, 2} // predictions for x[2], x[3], x[4]
	for _, tc := range []struct{ l, rep, wrep int }{
		// ℓ=3: t=2 window (1 2): 1 is there, x[2]=3 → rep, wrep; t=3 window (1 2 3): 1, correct → rep;
		// t=4 window (2 3 1): 2, correct → rep.
		{3, 3, 1},
		// ℓ=1: windows (2), (3), (1): no prediction is there.
		{1, 0, 0},
		// ℓ=2: t=2 (1 2) → rep, wrep; t=3 (2 3) → no; t=4 (3 1) → no.
		{2, 1, 1},
	} {
		rep, wrep := NextTokenRepeats(x, 2, top, tc.l)
		if rep != tc.rep || wrep != tc.wrep {
			t.Errorf("ℓ=%d: rep %d wrep %d, want %d %d", tc.l, rep, wrep, tc.rep, tc.wrep)
		}
	}
}

func TestMeasure(t *testing.T) {
	tok := func(id, top int32, lp float64) Token { return Token{ID: id, Top: top, LogProb: lp} }
	conts := []Continuation{
		{Context: []int32{1}, Tokens: []Token{tok(2, 1, -1), tok(2, 2, -2), tok(2, 9, -3), tok(2, 2, -2), tok(2, 2, -2)}},
		{Context: []int32{3}, Tokens: []Token{tok(4, 4, -1), tok(5, 5, -1)}},
	}
	d := Measure(conts, 128)
	// seq-rep-1: (1 − 1/5 + 1 − 2/2)/2; seq-rep-4: only the first has 4-grams, (2 2 2 2) twice → 1/2.
	// rep: first: t=1 (pred 1, ctx has 1, ≠2) rep+wrep; t=2..: pred 2 present and right → rep; pred 9 no → 4/5 rep, 1/5 wrep.
	// second: pred 4 not in (3), pred 5 not in (3 4) → 0.
	want := Degeneration{Sequences: 2, Tokens: 7, SeqRep1: 0.4, SeqRep4: 0.5, Distinct1: 3.0 / 7, Distinct2: 2.0 / 5,
		Uniq: 3, RepWindow: 128, Rep: 0.4, WRep: 0.1, MeanLogProb: -12.0 / 7}
	close := func(a, b float64) bool { return math.Abs(a-b) < 1e-12 }
	if d.Sequences != want.Sequences || d.Tokens != want.Tokens || d.Uniq != want.Uniq || d.RepWindow != 128 ||
		!close(d.SeqRep1, want.SeqRep1) || !close(d.SeqRep4, want.SeqRep4) || !close(d.Distinct1, want.Distinct1) ||
		!close(d.Distinct2, want.Distinct2) || !close(d.Rep, want.Rep) || !close(d.WRep, want.WRep) || !close(d.MeanLogProb, want.MeanLogProb) {
		t.Errorf("Measure =\n %+v, want\n %+v", d, want)
	}
	if z := Measure(nil, 128); z.Tokens != 0 || z.SeqRep4 != 0 || z.MeanLogProb != 0 {
		t.Errorf("nothing to measure gave %+v", z)
	}
}
