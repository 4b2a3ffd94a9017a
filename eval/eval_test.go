package eval

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/xent-dev/xent/loss"
	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/tokenizer"
)

// TestDisjointScoresEachTokenOnce checks, for many lengths and contexts,
// that disjoint scores every token exactly once and in order, and that
// every scheme cuts the same windows whether the tokens arrive at once or
// a few at a time.
func TestDisjointScoresEachTokenOnce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for n := 0; n < 80; n++ {
		for _, ctx := range []int{2, 3, 4, 7, 16} {
			got := scoredIndices(newWindower(Disjoint, ctx, 0, false), n, []int{n})
			for i, idx := range got {
				if idx != i {
					t.Fatalf("n %d, ctx %d: target %d scored as number %d (%v)", n, ctx, idx, i, got)
				}
			}
			if len(got) != n {
				t.Fatalf("n %d, ctx %d: %d targets scored, want %d", n, ctx, len(got), n)
			}
			var arrivals []int
			for sum := 0; sum < n; {
				a := 1 + rng.IntN(ctx+3)
				arrivals, sum = append(arrivals, a), sum+a
			}
			arrivals = append(arrivals, 0)
			for _, s := range []Scheme{Disjoint, Strided, LlamaCpp} {
				for _, addBOS := range []bool{false, true} {
					stride := max(1, ctx/2)
					whole := scoredIndices(newWindower(s, ctx, stride, addBOS), n, []int{n})
					streamed := scoredIndices(newWindower(s, ctx, stride, addBOS), n, arrivals)
					if !slices.Equal(whole, streamed) {
						t.Fatalf("%s n %d ctx %d add BOS %v: streamed windows score %v, whole %v", s, n, ctx, addBOS, streamed, whole)
					}
				}
			}
		}
	}
}

// TestCalibrationHandMade checks ECE, MCE and RMS on cases worked by hand.
func TestCalibrationHandMade(t *testing.T) {
	type pred struct {
		conf    float64
		correct bool
	}
	for _, tc := range []struct {
		name          string
		preds         []pred
		ece, mce, rms float64
	}{
		{"perfect", []pred{{1, true}, {1, true}}, 0, 0, 0},
		// One bin (0.8, 0.8667]: confidence 0.85, accuracy 0.5.
		{"overconfident", []pred{{0.85, true}, {0.85, false}}, 0.35, 0.35, 0.35},
		// Bins of 0.2 (acc 0, gap 0.2) and 0.9 (acc 1, gap 0.1), two each:
		// ECE = ½·0.2 + ½·0.1, MCE 0.2, RMS √(½·0.04 + ½·0.01).
		{"two bins", []pred{{0.2, false}, {0.2, false}, {0.9, true}, {0.9, true}}, 0.15, 0.2, math.Sqrt(0.025)},
		// 1/15 is the top of the first bin, not the bottom of the second.
		{"edge", []pred{{1.0 / 15, true}}, 14.0 / 15, 14.0 / 15, 14.0 / 15},
	} {
		var c Calibration
		for _, p := range tc.preds {
			c.Add(p.conf, p.correct)
		}
		r := c.Report()
		if math.Abs(r.ECE-tc.ece) > 1e-12 || math.Abs(r.MCE-tc.mce) > 1e-12 || math.Abs(r.RMS-tc.rms) > 1e-12 {
			t.Errorf("%s: ECE %g MCE %g RMS %g, want %g %g %g", tc.name, r.ECE, r.MCE, r.RMS, tc.ece, tc.mce, tc.rms)
		}
		if tc.name == "edge" && r.Bins[0].Count != 1 {
			t.Errorf("confidence 1/15 went to another bin than the first: %+v", r.Bins[:2])
		}
	}
}

func classesOf(text string, mode Mode) []Class {
	classes := make([]Class, len(text))
	if mode == GoSource {
		classifyGo([]byte(text), classes)
	} else {
		newEnglishClassifier().classify([]byte(text), classes)
	}
	return classes
}

func TestEnglishClasses(t *testing.T) {
	text := "The Prism of Newton, in 1704, is not 3.5 inches. Light bends"
	classes := classesOf(text, English)
	want := map[string]Class{"The": FunctionWord, "Prism": Capitalised, "of": FunctionWord, "Newton": Capitalised,
		",": Punctuation, "1704": Number, "not": FunctionWord, "3.5": Number, "inches": OtherWord, ". ": Punctuation,
		"Light": OtherWord, "bends": OtherWord, " ": Whitespace}
	for word, c := range want {
		i := strings.Index(text, word)
		if got := tokenClass(classes[i : i+len(word)]); got != c {
			t.Errorf("%q: class %v, want %v", word, got, c)
		}
	}
	// A token straddling classes goes with the text it starts.
	i := strings.Index(text, " Prism")
	if got := tokenClass(classes[i : i+6]); got != Capitalised {
		t.Errorf(`" Prism": class %v, want capitalised word`, got)
	}
	// Sentence starts carry across pieces.
	e := newEnglishClassifier()
	first, second := "It ends here.", " Next"
	c1, c2 := make([]Class, len(first)), make([]Class, len(second))
	e.classify([]byte(first), c1)
	e.classify([]byte(second), c2)
	if c2[1] != OtherWord {
		t.Errorf("a capitalised word after a full stop in the previous piece is %v, want other word", c2[1])
	}
}

func TestGoClasses(t *testing.T) {
	src := "package main\n\n// Add adds.\nfunc Add(a, b int) int { return a + b + 0x1F } /* end */\nvar s = `raw\nstring`\n"
	classes := classesOf(src, GoSource)
	for word, c := range map[string]Class{"package": GoKeyword, "main": GoIdentifier, "// Add adds.": GoComment,
		"func": GoKeyword, "(": GoOperator, "+": GoOperator, "0x1F": GoLiteral, "/* end */": GoComment,
		"`raw\nstring`": GoLiteral, "\n\n": Whitespace} {
		i := strings.Index(src, word)
		for k := i; k < i+len(word); k++ {
			if classes[k] != c {
				t.Errorf("%q: byte %d is %v, want %v", word, k-i, classes[k], c)
				break
			}
		}
	}
}

// tinyTokenizerModel is a byte-level BPE trained on a little English and
// a random GPT-2 of its vocabulary.
func tinyTokenizerModel(t testing.TB, ctx int, seed uint64) (*tokenizer.Tokenizer, *model.Model) {
	t.Helper()
	tok, err := tokenizer.Train([][]byte{[]byte(strings.Repeat(sampleText, 4))},
		tokenizer.TrainOptions{VocabSize: 300, Pattern: tokenizer.GPT2, Special: []string{"<|endoftext|>"}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.New(model.Config{ModelType: model.GPT2, VocabSize: 300, NEmbd: 16, NLayer: 1, NHead: 2, NPositions: ctx}, seed)
	if err != nil {
		t.Fatal(err)
	}
	return tok, m
}

const sampleText = `Light is refracted by the Prism of Newton, and 1704 is the year his Opticks appeared.
The rays that are most refrangible make violet; the least make red. Is it not so?

In 3 experiments he found the same: colours are not modifications of light.
`

// TestDocumentStreams checks that a document read in small blocks, a byte
// at a time, gives the report of the document read whole, and that the
// tokens held stay bounded by the blocks, not the document.
func TestDocumentStreams(t *testing.T) {
	tok, m := tinyTokenizerModel(t, 32, 1)
	text := strings.Repeat(sampleText, 30)
	for _, s := range []Scheme{Disjoint, Strided, LlamaCpp} {
		run := func(block int, oneByte bool) (Report, int) {
			defer func(b int) { blockBytes = b }(blockBytes)
			blockBytes = block
			e, err := New(m, tok, 299, Options{Scheme: s, Ctx: 32, Stride: 16})
			if err != nil {
				t.Fatal(err)
			}
			r := bytes.NewReader([]byte(text))
			var src = any(r).(interface{ Read([]byte) (int, error) })
			if oneByte {
				src = iotest.OneByteReader(r)
			}
			if err := e.Document(context.Background(), "doc.txt", src, nil); err != nil {
				t.Fatal(err)
			}
			return e.Report(), e.maxHeld
		}
		whole, _ := run(1<<20, false)
		streamed, held := run(256, true)
		if !reflect.DeepEqual(whole, streamed) {
			t.Errorf("%s: streamed report differs from the whole document's:\n%+v\n%+v", s, streamed, whole)
		}
		if held > 256+64 {
			t.Errorf("%s: held %d tokens at once with 256-byte blocks", s, held)
		}
		if whole.Bytes == 0 || whole.Words == 0 || whole.Characters == 0 || whole.Tokens == 0 {
			t.Errorf("%s: counted nothing: %+v", s, whole)
		}
	}
	// Disjoint scores every token: bytes and characters are the text's.
	e, _ := New(m, tok, 299, Options{Scheme: Disjoint, Ctx: 32})
	if err := e.Document(context.Background(), "doc.txt", strings.NewReader(text), nil); err != nil {
		t.Fatal(err)
	}
	r := e.Report()
	if r.Bytes != int64(len(text)) || r.Characters != int64(len([]rune(text))) || r.Words != int64(len(strings.Fields(text))) {
		t.Errorf("disjoint counted %d bytes, %d characters, %d words; the text has %d, %d, %d",
			r.Bytes, r.Characters, r.Words, len(text), len([]rune(text)), len(strings.Fields(text)))
	}
	if want := r.MeanNLL * float64(r.Tokens) / float64(r.Bytes) / math.Ln2; math.Abs(r.BPB-want) > 1e-12*want {
		t.Errorf("bits per byte %g is not NLL/bytes/ln 2", r.BPB)
	}
}

// TestKLAgainstCompare checks the KL against a base model with
// loss.Compare's float64 KL on the full logits, to the row scorer's
// accuracy, 1e-5 relative (its probabilities are float32 kernel exps: the
// generic path, built with -tags purego, lands 4e-6 away, the AVX-512 one
// within 1e-6), and that a model compared with itself has KL 0, the same
// top token everywhere and a PPL ratio 1.
func TestKLAgainstCompare(t *testing.T) {
	_, m := tinyTokenizerModel(t, 16, 1)
	_, base := tinyTokenizerModel(t, 16, 2)
	ids := make([]int32, 16)
	rng := rand.New(rand.NewPCG(3, 3))
	for i := range ids {
		ids[i] = rng.Int32N(299)
	}
	e, _ := New(m, nil, 299, Options{Scheme: Disjoint, Ctx: 16})
	if err := e.SetBase(base, nil); err != nil {
		t.Fatal(err)
	}
	if err := e.EvaluateTokens(context.Background(), ids); err != nil {
		t.Fatal(err)
	}
	inputs := append([]int32{299}, ids[:15]...)
	q, _ := m.Logits(inputs, 1, 16)
	p, _ := base.Logits(inputs, 1, 16)
	div, err := loss.Compare(loss.FromLogits(p, 16, 300), loss.FromLogits(q, 16, 300), 1)
	if err != nil {
		t.Fatal(err)
	}
	var want, reverse float64
	for i, kl := range div.KL {
		want += kl
		reverse += div.ReverseKL[i]
	}
	want /= 16
	reverse /= 16
	r := e.Report()
	if r.Base == nil || math.Abs(r.Base.KLBaseModel.Mean-want) > 1e-5*want {
		t.Fatalf("mean KL(base ‖ model) %+v, loss.Compare %g", r.Base, want)
	}
	if math.Abs(r.Base.KLModelBase-reverse) > 1e-5*reverse {
		t.Fatalf("mean KL(model ‖ base) %g, loss.Compare %g", r.Base.KLModelBase, reverse)
	}
	if k := r.Base.KLBaseModel; k.Max < k.P99 || k.P99 < k.Median || k.Median < k.Min {
		t.Errorf("percentiles out of order: %+v", k)
	}

	// Options.Entropy: the mean entropy of the model's rows, as
	// loss.Compare computes H(Q); off by default.
	if r.MeanEntropy != 0 {
		t.Errorf("mean entropy %g without Options.Entropy", r.MeanEntropy)
	}
	ent, _ := New(m, nil, 299, Options{Scheme: Disjoint, Ctx: 16, Entropy: true})
	if err := ent.EvaluateTokens(context.Background(), ids); err != nil {
		t.Fatal(err)
	}
	var h float64
	for _, x := range div.EntropyQ {
		h += x
	}
	h /= 16
	if got := ent.Report().MeanEntropy; math.Abs(got-h) > 1e-5*h {
		t.Errorf("mean entropy %g, loss.Compare's H(Q) %g", got, h)
	}

	self, _ := New(m, nil, 299, Options{Scheme: Disjoint, Ctx: 16})
	self.SetBase(m, nil)
	self.EvaluateTokens(context.Background(), ids)
	k := self.Report().Base
	if k.KLBaseModel.Mean > 1e-6 || k.KLModelBase > 1e-6 || k.SameTop != 1 || math.Abs(k.PPLRatio-1) > 1e-12 || k.RMSDeltaP != 0 {
		t.Errorf("a model against itself: %+v", k)
	}
}

func TestSetBaseRefusesAnotherTokenizer(t *testing.T) {
	tok, m := tinyTokenizerModel(t, 16, 1)
	other, err := tokenizer.Train([][]byte{[]byte(strings.Repeat("entirely different words here ", 40))},
		tokenizer.TrainOptions{VocabSize: 300, Pattern: tokenizer.GPT2, Special: []string{"<|endoftext|>"}})
	if err != nil {
		t.Fatal(err)
	}
	e, _ := New(m, tok, 299, Options{})
	if err := e.SetBase(m, other); err == nil || !strings.Contains(err.Error(), "tokenizer") {
		t.Errorf("a base with another tokenizer: %v", err)
	}
	if err := e.SetBase(m, tok); err != nil {
		t.Errorf("the same tokenizer was refused: %v", err)
	}
}

// TestCancelStopsBetweenWindows checks that a cancelled context stops the
// evaluation with its error and leaves what was scored in the report.
func TestCancelStopsBetweenWindows(t *testing.T) {
	defer func(b int) { blockBytes = b }(blockBytes)
	blockBytes = 256
	tok, m := tinyTokenizerModel(t, 16, 1)
	e, _ := New(m, tok, 299, Options{Ctx: 16})
	ctx, cancel := context.WithCancel(context.Background())
	text := strings.Repeat(sampleText, 50)
	err := e.Document(ctx, "doc.txt", strings.NewReader(text), func(n int) {
		if e.acc.tokens > 100 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if r := e.Report(); r.Tokens == 0 || r.Bytes >= int64(len(text)) {
		t.Errorf("partial report scored %d tokens, %d of %d bytes", r.Tokens, r.Bytes, len(text))
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	_, m := tinyTokenizerModel(t, 16, 1)
	for _, tc := range []struct {
		opt  Options
		bos  int32
		want string
	}{
		{Options{Scheme: "rolling"}, 0, "unknown windowing scheme"},
		{Options{Ctx: 17}, 0, "outside [2, 16]"},
		{Options{Ctx: 1}, 0, "outside [2, 16]"},
		{Options{Scheme: LlamaCpp, Ctx: 3}, 0, "at least 4"},
		{Options{Scheme: Strided, Ctx: 8, Stride: 9}, 0, "stride 9"},
		{Options{}, 300, "BOS token 300"},
	} {
		if _, err := New(m, nil, tc.bos, tc.opt); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", tc.opt, err, tc.want)
		}
	}
}

// TestMaxTokensCapsTheScore checks the token cap under every scheme: exactly
// MaxTokens tokens are scored, the report counts the ones the text held,
// and under disjoint the capped NLL is the model's own (model.Forward) on
// the windows cut at the cap. Progress sees every scored window.
func TestMaxTokensCapsTheScore(t *testing.T) {
	_, m := tinyTokenizerModel(t, 16, 1)
	ids := make([]int32, 70)
	rng := rand.New(rand.NewPCG(5, 5))
	for i := range ids {
		ids[i] = rng.Int32N(299)
	}
	for _, sc := range []Scheme{Disjoint, Strided, LlamaCpp} {
		all, err := Tokens(context.Background(), m, nil, 299, ids, Options{Scheme: sc, Ctx: 16})
		if err != nil {
			t.Fatal(err)
		}
		if all.Tokens != all.TokensAvailable {
			t.Fatalf("%s without a cap: %d of %d tokens", sc, all.Tokens, all.TokensAvailable)
		}
		var seen []Progress
		capped, err := Tokens(context.Background(), m, nil, 299, ids, Options{Scheme: sc, Ctx: 16, MaxTokens: 21,
			Progress: func(p Progress) { seen = append(seen, p) }})
		if err != nil {
			t.Fatal(err)
		}
		if capped.Tokens != min(21, all.Tokens) || capped.TokensAvailable != all.Tokens {
			t.Errorf("%s capped at 21: %d of %d tokens; uncapped %d", sc, capped.Tokens, capped.TokensAvailable, all.Tokens)
		}
		if len(seen) == 0 || seen[len(seen)-1].Tokens != capped.Tokens || seen[len(seen)-1].MeanNLL != capped.MeanNLL ||
			seen[len(seen)-1].Windows != int64(len(seen)) {
			t.Errorf("%s: progress %+v for %d tokens", sc, seen, capped.Tokens)
		}
	}
	// Disjoint, ctx 16, cap 21: the window [BOS, ids[0:15]] scores ids[0:16],
	// then ids[15:20] predict ids[16:21].
	capped, _ := Tokens(context.Background(), m, nil, 299, ids, Options{Ctx: 16, MaxTokens: 21})
	first, err := m.Forward(append([]int32{299}, ids[:15]...), 1, 16, ids[:16], loss.Options{Reduction: loss.Sum})
	if err != nil {
		t.Fatal(err)
	}
	second, err := m.Forward(ids[15:20], 1, 5, ids[16:21], loss.Options{Reduction: loss.Sum})
	if err != nil {
		t.Fatal(err)
	}
	if want := (first + second) / 21; math.Abs(capped.MeanNLL-want) > 1e-6*want {
		t.Errorf("capped mean NLL %.9g, model.Forward on the cut windows %.9g", capped.MeanNLL, want)
	}
	if _, err := New(m, nil, 299, Options{MaxTokens: -1}); err == nil {
		t.Error("a negative token cap was accepted")
	}
}

// TestNaNLogitsAreAnError: a model whose weights went NaN stops the
// evaluation with an error naming the token, never a NaN mean NLL.
func TestNaNLogitsAreAnError(t *testing.T) {
	_, m := tinyTokenizerModel(t, 16, 1)
	for i := range m.ParamBuffer() {
		m.ParamBuffer()[i] = float32(math.NaN())
	}
	r, err := Tokens(context.Background(), m, nil, 299, []int32{1, 2, 3, 4}, Options{})
	if err == nil || !strings.Contains(err.Error(), "is NaN") || !strings.Contains(err.Error(), "token 0") {
		t.Fatalf("error %v, report mean NLL %g", err, r.MeanNLL)
	}
}

// TestProgressReachesTheEnd: under disjoint every byte of a document is
// reached by a scored window, so the last progress report covers the text.
func TestProgressReachesTheEnd(t *testing.T) {
	defer func(b int) { blockBytes = b }(blockBytes)
	blockBytes = 300
	tok, m := tinyTokenizerModel(t, 16, 1)
	text := strings.Repeat(sampleText, 3)
	var last Progress
	calls := 0
	e, _ := New(m, tok, 299, Options{Ctx: 16, Progress: func(p Progress) {
		if p.Bytes < last.Bytes || p.Tokens <= last.Tokens {
			t.Errorf("progress went back: %+v after %+v", p, last)
		}
		last = p
		calls++
	}})
	if err := e.Document(context.Background(), "doc.txt", strings.NewReader(text), nil); err != nil {
		t.Fatal(err)
	}
	r := e.Report()
	if last.Bytes != int64(len(text)) || last.Tokens != r.Tokens || int64(calls) != last.Windows || calls < 2 {
		t.Errorf("last progress %+v after %d calls; the text has %d bytes, the report %d tokens", last, calls, len(text), r.Tokens)
	}
}

// TestDefaultContext checks that Options.Ctx 0 windows a long-context model
// at DefaultCtx, not at its context (131,072 for Llama 3.2, which cannot be
// scored), and a short-context model at its own; a longer window is given
// when asked for.
func TestDefaultContext(t *testing.T) {
	for _, tc := range []struct{ positions, opt, want int }{
		{2 * DefaultCtx, 0, DefaultCtx},
		{16, 0, 16},
		{2 * DefaultCtx, DefaultCtx + 8, DefaultCtx + 8},
	} {
		m, err := model.New(model.Config{ModelType: model.GPT2, VocabSize: 300, NEmbd: 8, NLayer: 1, NHead: 2, NPositions: tc.positions}, 1)
		if err != nil {
			t.Fatal(err)
		}
		e, err := New(m, nil, 299, Options{Ctx: tc.opt})
		if err != nil {
			t.Fatal(err)
		}
		if got := e.Report().Window.Ctx; got != tc.want {
			t.Errorf("model context %d, Options.Ctx %d: window of %d, want %d", tc.positions, tc.opt, got, tc.want)
		}
	}
}
