package tune

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/xent-dev/xent/loss"
	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/prefs"
	"github.com/xent-dev/xent/tokenizer"
	"github.com/xent-dev/xent/train"
)

// tiny returns a small tokenizer and a one-layer Llama of context T over it.
func tiny(t *testing.T, T int) (*tokenizer.Tokenizer, *model.Model) {
	t.Helper()
	text := strings.Repeat("the light is refracted and the light is not reflected. ", 20)
	tok, err := tokenizer.Train([][]byte{[]byte(text)}, tokenizer.TrainOptions{VocabSize: 300, Pattern: tokenizer.GPT2, Special: []string{"<|endoftext|>"}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.New(model.Config{ModelType: "llama", VocabSize: tok.VocabSize(), HiddenSize: 32, IntermediateSize: 64,
		NumHiddenLayers: 1, NumAttentionHeads: 2, RMSNormEps: 1e-5, RopeTheta: 10000, MaxPositionEmbeddings: T, TieWordEmbeddings: true}, 7)
	if err != nil {
		t.Fatal(err)
	}
	m.Threads = 1
	return tok, m
}

// copyModel is a second model with m's weights.
func copyModel(t *testing.T, m *model.Model) *model.Model {
	t.Helper()
	c, err := model.New(m.Config, 1)
	if err != nil {
		t.Fatal(err)
	}
	copy(c.ParamBuffer(), m.ParamBuffer())
	c.Threads = m.Threads
	return c
}

var pairData = `{"prompt": "Light", "chosen": " is refracted.", "rejected": " is not refracted."}
{"prompt": "The ray", "chosen": " was reflected.", "rejected": " was not reflected."}
{"prompt": "", "chosen": "Colours can be mixed.", "rejected": "Colours cannot be mixed."}
{"prompt": "Bodies", "chosen": " do not shine.", "rejected": " do shine."}
`

func items(t *testing.T, tok *tokenizer.Tokenizer, f Format, data string, T int) []Item {
	t.Helper()
	ex, err := ReadExamples(strings.NewReader(data), f)
	if err != nil {
		t.Fatal(err)
	}
	it, err := Tokenize(ex, f, tok, int32(tok.VocabSize()-1), T)
	if err != nil {
		t.Fatal(err)
	}
	return it
}

func TestReadExamplesErrors(t *testing.T) {
	cases := []struct {
		f          Format
		data, want string
	}{
		{PairFormat, `{"prompt": "a", "chosen": "b"}`, `line 1: missing field "rejected"`},
		{PairFormat, "{\"prompt\": \"a\", \"chosen\": \"b\", \"rejected\": \"c\"}\n\n{\"prompt\": \"a\", \"chosen\": \"\", \"rejected\": \"c\"}", `line 3: field "chosen" = "": an empty completion`},
		{SFTFormat, `{"completion": "b"}`, `line 1: missing field "prompt"`},
		{SFTFormat, `{"prompt": 3, "completion": "b"}`, `line 1: field "prompt" = 3: want a string`},
		{UnpairedFormat, `{"prompt": "a", "completion": "b", "label": "yes"}`, `line 1: field "label" = "yes": want true or false`},
		{UnpairedFormat, `{"prompt": "a", "completion": "b"}`, `line 1: missing field "label"`},
		{SFTFormat, "", "no records"},
	}
	for _, c := range cases {
		_, err := ReadExamples(strings.NewReader(c.data), c.f)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.data, err, c.want)
		}
	}
}

func TestTokenizeErrors(t *testing.T) {
	tok, _ := tiny(t, 16)
	long := strings.Repeat("refracted light ", 20)
	for _, c := range []struct{ data, want string }{
		{`{"prompt": "` + long + `", "completion": "b"}`, "line 1: the prompt is"},
		{"\n" + `{"prompt": "a", "completion": "` + long + `"}`, "line 2: prompt and completion are"},
	} {
		ex, err := ReadExamples(strings.NewReader(c.data), SFTFormat)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Tokenize(ex, SFTFormat, tok, 0, 16); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want %q", err, c.want)
		}
	}
}

func TestBatchMasksThePrompt(t *testing.T) {
	s := Sequence{Tokens: []int32{9, 1, 2, 3, 4}, Prompt: 3} // BOS, 2 prompt tokens, 2 completion tokens
	b := newBatch(2, 6)
	b.fill([]Sequence{s})
	ig := int32(loss.DefaultIgnoreIndex)
	wantTargets := []int32{ig, ig, 3, 4, ig, ig, ig, ig, ig, ig, ig, ig}
	wantTokens := []int32{9, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0}
	for i := range wantTargets {
		if b.targets[i] != wantTargets[i] || b.tokens[i] != wantTokens[i] || b.mask[i] != (wantTargets[i] != ig) {
			t.Fatalf("tokens %v targets %v mask %v", b.tokens, b.targets, b.mask)
		}
	}
}

func TestKTOMismatchedPairs(t *testing.T) {
	tok, _ := tiny(t, 32)
	data := `{"prompt": "A", "completion": " one", "label": true}
{"prompt": "B", "completion": " two", "label": false}
{"prompt": "C", "completion": " three", "label": true}`
	it := items(t, tok, UnpairedFormat, data, 32)
	// item i's mismatched sequence: its own prompt, the previous item's completion
	for i := range it {
		prev := it[(i+len(it)-1)%len(it)].Chosen
		m := it[i].Mismatched
		if fmt.Sprint(m.Tokens[:m.Prompt]) != fmt.Sprint(it[i].Chosen.Tokens[:it[i].Chosen.Prompt]) ||
			fmt.Sprint(m.Tokens[m.Prompt:]) != fmt.Sprint(prev.Tokens[prev.Prompt:]) {
			t.Errorf("item %d: mismatched %v", i, m)
		}
	}
}

func config(m Method, pair prefs.PairLoss) Config {
	return Config{Method: m, Pair: pair, KTO: prefs.KTO{Beta: 0.1, DesirableWeight: 1, UndesirableWeight: 1},
		Batch: 2, Steps: 6, Optim: train.Optim{LR: 3e-3, Schedule: "cosine", MinLRRatio: 0.1, Beta2: 0.99, ClipNorm: 1}, Seed: 3}
}

// TestPrecomputedReferenceEqualsLive: precomputing the reference from the
// starting policy gives the same steps as a live reference model.
func TestPrecomputedReferenceEqualsLive(t *testing.T) {
	tok, base := tiny(t, 32)
	ktoData := `{"prompt": "A", "completion": " light", "label": true}
{"prompt": "B", "completion": " is not", "label": false}
{"prompt": "C", "completion": " refracted.", "label": true}
{"prompt": "D", "completion": " the", "label": false}`
	for _, c := range []struct {
		m    Method
		pair prefs.PairLoss
		data string
	}{{DPO, prefs.DPO{Beta: 0.1}, pairData}, {DPO, prefs.DPO{Beta: 0.5, Type: prefs.DPOIPO}, pairData}, {KTO, nil, ktoData}} {
		var losses [2][]float64
		for k, pre := range []bool{false, true} {
			policy := copyModel(t, base)
			var ref *model.Model
			if !pre {
				ref = copyModel(t, base)
			}
			cfg := config(c.m, c.pair)
			cfg.PrecomputeRef = pre
			tr, err := New(policy, ref, items(t, tok, c.m.Format(), c.data, 32), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := tr.Run(context.Background(), 1, func(st Stats, _ float64) { losses[k] = append(losses[k], st.Loss) }); err != nil {
				t.Fatal(err)
			}
		}
		for i := range losses[0] {
			if losses[0][i] != losses[1][i] {
				t.Errorf("%s %v: step %d loss %v with a live reference, %v precomputed", c.m, c.pair, i+1, losses[0][i], losses[1][i])
			}
		}
	}
}

// TestEveryMethodLearns trains each method on four pairs and checks that
// the policy moves the way its objective says.
func TestEveryMethodLearns(t *testing.T) {
	tok, base := tiny(t, 32)
	for _, c := range []struct {
		m    Method
		pair prefs.PairLoss
	}{{SFT, nil}, {DPO, prefs.DPO{Beta: 0.5}}, {ORPO, prefs.ORPO{Lambda: 0.5}}, {SimPO, prefs.CPO{Beta: 2, Gamma: 0.5, SimPO: true}}, {KTO, nil}} {
		t.Run(string(c.m), func(t *testing.T) {
			data := pairData
			switch c.m {
			case SFT:
				data = strings.NewReplacer(`"chosen"`, `"completion"`, `, "rejected": " is not refracted."`, "", `, "rejected": " was not reflected."`, "",
					`, "rejected": "Colours cannot be mixed."`, "", `, "rejected": " do shine."`, "").Replace(pairData)
			case KTO:
				data = `{"prompt": "Light", "completion": " is refracted.", "label": true}
{"prompt": "Light", "completion": " is not refracted.", "label": false}
{"prompt": "The ray", "completion": " was reflected.", "label": true}
{"prompt": "The ray", "completion": " was not reflected.", "label": false}`
			}
			it := items(t, tok, c.m.Format(), data, 32)
			cfg := config(c.m, c.pair)
			cfg.Steps, cfg.PrecomputeRef = 30, true
			policy := copyModel(t, base)
			tr, err := New(policy, nil, it, cfg)
			if err != nil {
				t.Fatal(err)
			}
			var first, last Stats
			var kl float64
			if err := tr.Run(context.Background(), 1, func(st Stats, k float64) {
				if st.Step == 1 {
					first = st
				}
				last, kl = st, k
			}); err != nil {
				t.Fatal(err)
			}
			if !(last.Loss < first.Loss) || !(kl > 0) || math.IsNaN(last.Loss) {
				t.Errorf("loss %v → %v, KL to start %v", first.Loss, last.Loss, kl)
			}
			if c.m != SFT && !(last.Margin > first.Margin) {
				t.Errorf("reward margin %v → %v", first.Margin, last.Margin)
			}
			if c.m == DPO { // summed log-probabilities are DPO's own currency
				margins, err := PairMargins(policy, it, 3)
				if err != nil {
					t.Fatal(err)
				}
				if slices.ContainsFunc(margins, func(x float64) bool { return !(x > 0) }) {
					t.Errorf("trained margins %v, want the chosen side preferred in all its own four pairs", margins)
				}
			}
		})
	}
}

// TestPairGradientMatchesFiniteDifferences checks the whole chain, model
// to DPO loss and back, against finite differences in a few parameters.
func TestPairGradientMatchesFiniteDifferences(t *testing.T) {
	tok, m := tiny(t, 32)
	m.Threads = 1
	it := items(t, tok, PairFormat, pairData, 32)
	ref := copyModel(t, m)
	// move the policy off the reference so the DPO gradient is not symmetric
	for i, p := range m.ParamBuffer() {
		m.ParamBuffer()[i] = p * (1 + 0.1*float32(math.Sin(float64(i))))
	}
	cfg := config(DPO, prefs.DPO{Beta: 0.5})
	tr, err := New(m, ref, it, cfg)
	if err != nil {
		t.Fatal(err)
	}
	idx := []int{0, 1}
	lossAt := func() float64 {
		tr.b.fill(tr.rowsOf(idx))
		var st Stats
		if err := tr.pairStep(idx, &st); err != nil {
			t.Fatal(err)
		}
		return st.Loss
	}
	lossAt()
	grad := append([]float32(nil), m.GradBuffer()...)
	params := m.ParamBuffer()
	checked := 0
	for i := 0; i < len(params) && checked < 12; i += len(params)/12 + 1 {
		if math.Abs(float64(grad[i])) < 1e-4 {
			continue
		}
		orig := params[i]
		h := float32(1e-2) * max(1, float32(math.Abs(float64(orig))))
		params[i] = orig + h
		up := lossAt()
		params[i] = orig - h
		down := lossAt()
		params[i] = orig
		fd := (up - down) / (2 * float64(h))
		if math.Abs(fd-float64(grad[i])) > 0.05*math.Abs(float64(grad[i]))+1e-4 {
			t.Errorf("param %d: gradient %v, finite difference %v", i, grad[i], fd)
		}
		checked++
	}
	if checked < 4 {
		t.Fatalf("only %d parameters checked", checked)
	}
}

// A cancelled run stops after the step in progress, saying so.
func TestRunStopsWhenCancelled(t *testing.T) {
	tok, base := tiny(t, 32)
	cfg := config(DPO, prefs.DPO{Beta: 0.1})
	cfg.PrecomputeRef = true
	tr, err := New(copyModel(t, base), nil, items(t, tok, PairFormat, pairData, 32), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err = tr.Run(ctx, 1, func(st Stats, _ float64) {
		if st.Step == 2 {
			cancel()
		}
	})
	if !errors.Is(err, train.ErrInterrupted) || tr.Step != 2 || !strings.Contains(err.Error(), "step 2 of 6") {
		t.Errorf("cancelled after step 2: at step %d, error %v", tr.Step, err)
	}
}
