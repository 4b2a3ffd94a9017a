package sample

import (
	"cmp"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/xent-dev/xent/loss"
	"github.com/xent-dev/xent/model"
)

func tinyModel(t testing.TB) *model.Model {
	t.Helper()
	m, err := model.New(model.Config{ModelType: "llama", VocabSize: 37, HiddenSize: 16, IntermediateSize: 32,
		NumHiddenLayers: 2, NumAttentionHeads: 2, RMSNormEps: 1e-5, RopeTheta: 10000, MaxPositionEmbeddings: 24,
		TieWordEmbeddings: true}, 5)
	if err != nil {
		t.Fatal(err)
	}
	// Random weights at init give a nearly flat distribution; scale them up
	// so that greedy and sampled decoding differ visibly.
	for i := range m.ParamBuffer() {
		m.ParamBuffer()[i] *= 8
	}
	return m
}

func ids(toks []Token) []int32 {
	out := make([]int32, len(toks))
	for i, t := range toks {
		out[i] = t.ID
	}
	return out
}

// Each token's log-probability, rank and top-1 are those of the parallel
// teacher-forced pass over the prompt and the generated tokens, whatever
// the sampler did to choose it.
func TestGenerateScoresUnderTheModel(t *testing.T) {
	m := tinyModel(t)
	prompt := []int32{3, 1, 4, 1, 5}
	sp, err := NewSampler(Settings{Temperature: 1.3, TopK: 10, RepetitionPenalty: 1.5, Seed: 11}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var streamed []Token
	g := NewGenerator(m)
	g.Alternatives = 5
	got, err := g.Generate(prompt, 12, sp, func(tk Token) error { streamed = append(streamed, tk); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 12 || !reflect.DeepEqual(got, streamed) {
		t.Fatalf("returned %d tokens, streamed %d different ones", len(got), len(streamed))
	}
	seq := append(slices.Clone(prompt), ids(got)...)
	logits, err := m.Logits(seq, 1, len(seq))
	if err != nil {
		t.Fatal(err)
	}
	V := m.VocabSize()
	rs := loss.RowScorer{Rank: true}
	for i, tk := range got {
		row := logits[(len(prompt)-1+i)*V : (len(prompt)+i)*V]
		r, err := rs.Score(row, nil, tk.ID)
		if err != nil || math.Abs(-r.NLL-tk.LogProb) > 1e-5 || r.Rank != tk.Rank || r.Top != tk.Top {
			t.Fatalf("token %d: logprob %g rank %d top %d; the parallel pass says %+v (%v)", i, tk.LogProb, tk.Rank, tk.Top, r, err)
		}
		// The alternatives: the 5 largest logits of the parallel pass, by
		// a sort of the whole row, each logit − LSE.
		order := make([]int32, V)
		for c := range order {
			order[c] = int32(c)
		}
		slices.SortStableFunc(order, func(a, b int32) int { return cmp.Compare(row[b], row[a]) })
		if len(tk.Alternatives) != 5 || tk.Alternatives[0].ID != tk.Top {
			t.Fatalf("token %d: alternatives %+v, top %d", i, tk.Alternatives, tk.Top)
		}
		for j, a := range tk.Alternatives {
			if a.ID != order[j] || math.Abs(a.LogProb-(float64(row[a.ID])-r.LSE)) > 1e-5 {
				t.Fatalf("token %d: alternative %d is %+v; the sorted row says %d (logprob %g)", i, j, a, order[j], float64(row[order[j]])-r.LSE)
			}
		}
	}
}

// Greedy decoding without penalties picks the top-1 token: rank 1 at
// every step.
func TestGreedyIsRankOne(t *testing.T) {
	m := tinyModel(t)
	sp, _ := NewSampler(Settings{}, 0)
	got, err := NewGenerator(m).Generate([]int32{2, 7}, 20, sp, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, tk := range got {
		if tk.Rank != 1 || tk.Top != tk.ID || tk.LogProb > 0 {
			t.Fatalf("greedy token %d: %+v", i, tk)
		}
	}
}

// The same seed gives the same tokens; another seed other tokens.
func TestGenerateSameSeed(t *testing.T) {
	m := tinyModel(t)
	run := func(seed uint64) []int32 {
		sp, err := NewSampler(Settings{Temperature: 1, TopP: 0.9, Seed: seed}, 0)
		if err != nil {
			t.Fatal(err)
		}
		got, err := NewGenerator(m).Generate([]int32{1}, 23, sp, nil)
		if err != nil {
			t.Fatal(err)
		}
		return ids(got)
	}
	a := run(42)
	if !slices.Equal(a, run(42)) {
		t.Fatal("same seed, different tokens")
	}
	if slices.Equal(a, run(43)) {
		t.Fatal("seeds 42 and 43 gave the same 23 tokens")
	}
}

func TestGenerateStopsAndErrors(t *testing.T) {
	m := tinyModel(t)
	sp, _ := NewSampler(Settings{}, 0)
	g := NewGenerator(m)
	full, err := g.Generate([]int32{2, 7}, 10, sp, nil)
	if err != nil {
		t.Fatal(err)
	}
	g.Stop = []int32{full[3].ID}
	cut, err := g.Generate([]int32{2, 7}, 10, sp, nil)
	first := slices.Index(ids(full), full[3].ID)
	if err != nil || !slices.Equal(ids(cut), ids(full)[:first]) {
		t.Errorf("stopping at %d: got %v from %v (%v)", full[3].ID, ids(cut), ids(full), err)
	}
	g.Stop = nil
	for _, tc := range []struct {
		prompt []int32
		max    int
		want   string
	}{
		{nil, 5, "empty prompt"},
		{make([]int32, 25), 1, "longer than the model's context of 24"},
		{make([]int32, 20), 6, "room for 5 new tokens"},
		{[]int32{99}, 2, "vocabulary"},
	} {
		if _, err := g.Generate(tc.prompt, tc.max, sp, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("prompt of %d, max %d: error %v, want %q", len(tc.prompt), tc.max, err, tc.want)
		}
	}
	if got, err := g.Generate(make([]int32, 20), 5, sp, nil); err != nil || len(got) != 5 {
		t.Errorf("a prompt that fills the context exactly: %d tokens, %v", len(got), err)
	}
}

// TestGenerateNever checks that the tokens Generator.Never lists are never
// chosen, greedy or sampled, though the unmasked model picks them: the ids
// a vocabulary is padded with past its tokenizer. LogProb and Rank stay
// the model's own.
func TestGenerateNever(t *testing.T) {
	m := tinyModel(t)
	prompt := []int32{1, 2, 3}
	free := NewGenerator(m)
	greedy, err := NewSampler(Settings{Temperature: 0}, 0)
	if err != nil {
		t.Fatal(err)
	}
	picked, err := free.Generate(prompt, 20, greedy, nil)
	if err != nil {
		t.Fatal(err)
	}
	g := NewGenerator(m)
	for _, tok := range picked {
		if !slices.Contains(g.Never, tok.ID) {
			g.Never = append(g.Never, tok.ID) // what greedy decoding chose unmasked
		}
	}
	for id := int32(30); id < 37; id++ {
		if !slices.Contains(g.Never, id) {
			g.Never = append(g.Never, id)
		}
	}
	for i, s := range []Settings{{Temperature: 0}, {Temperature: 1}, {Temperature: 2, TopP: 1}} {
		sp, err := NewSampler(s, uint64(i))
		if err != nil {
			t.Fatal(err)
		}
		out, err := g.Generate(prompt, 20, sp, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, tok := range out {
			if slices.Contains(g.Never, tok.ID) {
				t.Fatalf("%+v: chose token %d, which Never lists (%v)", s, tok.ID, g.Never)
			}
		}
		if s.Temperature == 0 && out[0].Rank == 1 {
			t.Errorf("greedy with the top token masked: the first token has rank %d under the model, want > 1", out[0].Rank)
		}
	}
}
