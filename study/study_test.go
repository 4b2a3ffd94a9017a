package study

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/sample"
)

func tinyModel(t *testing.T) *model.Model {
	t.Helper()
	m, err := model.New(model.Config{ModelType: "llama", VocabSize: 41, HiddenSize: 16, IntermediateSize: 32,
		NumHiddenLayers: 2, NumAttentionHeads: 2, RMSNormEps: 1e-5, RopeTheta: 10000, MaxPositionEmbeddings: 40,
		TieWordEmbeddings: true}, 9)
	if err != nil {
		t.Fatal(err)
	}
	for i := range m.ParamBuffer() { // sharpen the random model's predictions
		m.ParamBuffer()[i] *= 8
	}
	return m
}

// greedyDocs are documents the model itself would write greedily: each
// token is its top-1 continuation of the ones before.
func greedyDocs(t *testing.T, m *model.Model, n, length int) [][]int32 {
	t.Helper()
	gen := sample.NewGenerator(m)
	var docs [][]int32
	for i := range n {
		sp, _ := sample.NewSampler(sample.Settings{}, 0)
		toks, err := gen.Generate([]int32{int32(3 + 5*i)}, length-1, sp, nil)
		if err != nil {
			t.Fatal(err)
		}
		doc := []int32{int32(3 + 5*i)}
		for _, tk := range toks {
			doc = append(doc, tk.ID)
		}
		docs = append(docs, doc)
	}
	return docs
}

// randomDocs are documents the model would not write.
func randomDocs(n, length, vocab int) [][]int32 {
	var docs [][]int32
	for i := range n {
		d := make([]int32, length)
		for j := range d {
			d[j] = int32((i*7919 + j*104729 + j*j) % vocab)
		}
		docs = append(docs, d)
	}
	return docs
}

func TestDocuments(t *testing.T) {
	docs, err := Documents([]int32{0, 1, 2, 3, 4, 5, 6}, 3, 5)
	if err != nil || len(docs) != 2 || !slices.Equal(docs[1], []int32{3, 4, 5}) {
		t.Errorf("Documents = %v, %v", docs, err)
	}
	if docs, _ := Documents(make([]int32, 100), 10, 4); len(docs) != 4 {
		t.Errorf("count 4 gave %d documents", len(docs))
	}
	if _, err := Documents(make([]int32, 5), 6, 1); err == nil || !strings.Contains(err.Error(), "fewer than one document") {
		t.Errorf("too short: %v", err)
	}
}

var exposureOpts = ExposureOptions{Prefixes: []int{4, 8}, Own: 6, Continuation: 10, Horizon: 20, Temperature: 1, Seed: 1}

// On text the model writes itself greedily, its own greedy bridge is the
// true one: the NLLs after it equal the teacher-forced ones exactly, and
// greedy free-running never disagrees with teacher forcing.
func TestExposureOnOwnText(t *testing.T) {
	m := tinyModel(t)
	docs := greedyDocs(t, m, 3, exposureOpts.DocLength())
	e, err := RunExposure(m, docs, exposureOpts)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range e.Rows {
		if r.AfterGreedy != r.TeacherForced || r.Docs != 3 {
			t.Errorf("prefix %d: after greedy %g, teacher-forced %g", r.Prefix, r.AfterGreedy, r.TeacherForced)
		}
	}
	for _, c := range e.Curve {
		if c.Greedy != c.TeacherForced || c.GreedyDisagree != 0 {
			t.Errorf("distance %d: greedy %g vs teacher-forced %g, disagreement %g", c.Distance, c.Greedy, c.TeacherForced, c.GreedyDisagree)
		}
	}
}

// On text the model would not write, the first free-running position still
// has the true context (the curves meet at distance 1), later ones do not,
// and every number is a finite NLL or a share.
func TestExposureOnForeignText(t *testing.T) {
	m := tinyModel(t)
	docs := randomDocs(4, exposureOpts.DocLength(), m.VocabSize())
	e, err := RunExposure(m, docs, exposureOpts)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Rows) != 2 || len(e.Curve) != exposureOpts.Horizon {
		t.Fatalf("%d rows, %d curve points", len(e.Rows), len(e.Curve))
	}
	c1 := e.Curve[0]
	if c1.Greedy != c1.TeacherForced || c1.Sampled != c1.TeacherForced || c1.GreedyDisagree != 0 || c1.SampledDisagree != 0 {
		t.Errorf("distance 1 differs: %+v", c1)
	}
	differs := false
	for _, c := range e.Curve {
		for _, x := range []float64{c.TeacherForced, c.Greedy, c.Sampled} {
			if !(x > 0) || math.IsInf(x, 0) {
				t.Fatalf("distance %d: NLL %g", c.Distance, x)
			}
		}
		if c.GreedyDisagree < 0 || c.GreedyDisagree > 1 || c.SampledDisagree < 0 || c.SampledDisagree > 1 {
			t.Fatalf("distance %d: disagreement %g %g", c.Distance, c.GreedyDisagree, c.SampledDisagree)
		}
		differs = differs || c.Greedy != c.TeacherForced
	}
	if !differs {
		t.Error("the greedy context never changed an NLL on random text")
	}
	var buf bytes.Buffer
	e.WriteTable(&buf)
	if !strings.Contains(buf.String(), "teacher-forced") || strings.Count(buf.String(), "\n") < 6 {
		t.Errorf("table:\n%s", buf.String())
	}
	path := filepath.Join(t.TempDir(), "exposure.svg")
	if err := e.Plot(path); err != nil {
		t.Fatal(err)
	}
	if svg, err := os.ReadFile(path); err != nil || !bytes.Contains(svg, []byte("<svg")) {
		t.Errorf("plot: %v", err)
	}
	// The same seed gives the same study.
	again, _ := RunExposure(m, docs, exposureOpts)
	if !slices.Equal(again.Curve, e.Curve) || !slices.Equal(again.Rows, e.Rows) {
		t.Error("the same seed gave another study")
	}
}

func TestExposureErrors(t *testing.T) {
	m := tinyModel(t)
	docs := randomDocs(1, 40, m.VocabSize())
	for _, tc := range []struct {
		edit func(*ExposureOptions)
		want string
	}{
		{func(o *ExposureOptions) { o.Prefixes = nil }, "no prefix"},
		{func(o *ExposureOptions) { o.Prefixes = []int{0} }, "prefix length 0"},
		{func(o *ExposureOptions) { o.Own = 0 }, "≥ 1"},
		{func(o *ExposureOptions) { o.Temperature = 0 }, "temperature"},
		{func(o *ExposureOptions) { o.Prefixes = []int{30} }, "context of 40"},
	} {
		o := exposureOpts
		tc.edit(&o)
		if _, err := RunExposure(m, docs, o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", o, err, tc.want)
		}
	}
	if _, err := RunExposure(m, [][]int32{make([]int32, 10)}, exposureOpts); err == nil || !strings.Contains(err.Error(), "document 0") {
		t.Errorf("short document: %v", err)
	}
}

// Greedy decoding with no penalty reproduces text the model wrote
// greedily: that row equals the held-out row, metric for metric.
func TestRepetitionOnOwnText(t *testing.T) {
	m := tinyModel(t)
	docs := greedyDocs(t, m, 3, 30)
	o := RepetitionOptions{Prompt: 6, NewTokens: 24}
	r, err := RunRepetition(m, docs, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Rows) != len(DefaultSweep) || r.Rows[0].Setting != "repetition 1.0" || r.Options.RepWindow != 128 {
		t.Fatalf("rows %d, first %q", len(r.Rows), r.Rows[0].Setting)
	}
	h, g := r.Human, r.Rows[0]
	if h.SeqRep4 != g.SeqRep4 || h.Distinct2 != g.Distinct2 || math.Abs(h.NLL-g.NLL) > 1e-12 || h.Rep != g.Rep || h.Tokens != 3*24 {
		t.Errorf("held-out %+v\ngreedy   %+v", h, g)
	}
	if h.WRep != 0 {
		t.Errorf("wrep of the model's own greedy text is %g; its top-1 is always right", h.WRep)
	}
	var buf bytes.Buffer
	r.WriteTable(&buf)
	if !strings.Contains(buf.String(), "presence 1.0") || !strings.Contains(buf.String(), "held-out text") {
		t.Errorf("table:\n%s", buf.String())
	}
	if _, err := RunRepetition(m, docs, RepetitionOptions{Prompt: 6, NewTokens: 40}); err == nil || !strings.Contains(err.Error(), "context") {
		t.Errorf("too long: %v", err)
	}
	if _, err := RunRepetition(m, docs, RepetitionOptions{Prompt: 6, NewTokens: 30}); err == nil || !strings.Contains(err.Error(), "document 0") {
		t.Errorf("short documents: %v", err)
	}
}

// A strong repetition penalty makes greedy text on a repetitive model
// repeat less.
func TestRepetitionPenaltyReducesRepeats(t *testing.T) {
	m := tinyModel(t)
	docs := greedyDocs(t, m, 4, 36)
	r, err := RunRepetition(m, docs, RepetitionOptions{Prompt: 4, NewTokens: 32,
		Sweep: []Penalty{{Repetition: 1}, {Repetition: 5}}})
	if err != nil {
		t.Fatal(err)
	}
	if !(r.Rows[1].SeqRep1 < r.Rows[0].SeqRep1) {
		t.Errorf("seq-rep-1 with penalty 5: %g, without: %g", r.Rows[1].SeqRep1, r.Rows[0].SeqRep1)
	}
}
