package train

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xent-dev/xent/data"
	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/modeldir"
	"github.com/xent-dev/xent/tokenizer"
)

const tinyText = "the quick brown fox jumps over the lazy dog. "

// tinySource writes a small corpus to a file.
func tinySource(t *testing.T) data.Source {
	t.Helper()
	src, err := writeTinySource(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// writeTinySource writes tinySource's corpus into dir.
func writeTinySource(dir string) (data.Source, error) {
	path := filepath.Join(dir, "tiny.txt")
	return data.Source{Files: path}, os.WriteFile(path, []byte(strings.Repeat(tinyText, 66)), 0o644)
}

// tinySetup returns a tokenizer trained on tinySource's training split,
// that split's ids and settings for a tiny model.
func tinySetup(t *testing.T) (*tokenizer.Tokenizer, []int32, Settings) {
	t.Helper()
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // the token cache goes there
	c, err := data.Prepare(data.PrepareOptions{Source: tinySource(t), VocabSize: 300})
	if err != nil {
		t.Fatal(err)
	}
	tok, ids := c.Tokenizer, c.TrainTokens
	s := Settings{Batch: 2, Context: 16, GradAccum: 2, Steps: 6,
		Optim: Optim{LR: 1e-2, Warmup: 2, Schedule: "cosine", MinLRRatio: 0.1, WeightDecay: 0.1, Beta2: 0.99, ClipNorm: 1}, LabelSmoothing: 0.05, Seed: 3, Threads: 2}
	return tok, ids, s
}

func tinyModel(t *testing.T, vocab int, seed uint64) *model.Model {
	t.Helper()
	m, err := model.New(model.Config{ModelType: "llama", VocabSize: vocab, HiddenSize: 16, IntermediateSize: 32,
		NumHiddenLayers: 1, NumAttentionHeads: 2, RMSNormEps: 1e-5, RopeTheta: 10000, MaxPositionEmbeddings: 16, TieWordEmbeddings: true}, seed)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// A resumed run's losses equal the uninterrupted run's, bit for bit, with
// and without scheduled sampling (whose draws resume too).
func TestResumeIsExact(t *testing.T) {
	tok, ids, plain := tinySetup(t)
	ss := plain
	ss.ScheduledSampling, ss.SSMin = SSLinear, 0.7
	bf16 := plain
	bf16.Compute = "bf16"
	for name, s := range map[string]Settings{"teacher forcing": plain, "scheduled sampling": ss, "bf16 compute": bf16} {
		t.Run(name, func(t *testing.T) { checkResumeIsExact(t, tok, ids, s) })
	}
}

func checkResumeIsExact(t *testing.T, tok *tokenizer.Tokenizer, ids []int32, s Settings) {
	straight, err := NewTrainer(tinyModel(t, tok.VocabSize(), s.Seed), ids, s)
	if err != nil {
		t.Fatal(err)
	}
	var want []float64
	for range s.Steps {
		st, err := straight.Next()
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, st.Loss)
	}
	if !(want[len(want)-1] < want[0]) {
		t.Errorf("loss did not fall: %v", want)
	}

	first, err := NewTrainer(tinyModel(t, tok.VocabSize(), s.Seed), ids, s)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "ckpt")
	for range 3 {
		if _, err := first.Next(); err != nil {
			t.Fatal(err)
		}
	}
	if err := SaveCheckpoint(dir, Checkpoint{Trainer: first, Tokenizer: tok}); err != nil {
		t.Fatal(err)
	}
	// Saving again over it replaces it atomically.
	if err := SaveCheckpoint(dir, Checkpoint{Trainer: first, Tokenizer: tok}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{modeldir.ConfigFile, modeldir.WeightsFile, modeldir.TokenizerFile, modeldir.CountsFile,
		optimizerFile, stateFile, metricsFile, plotFile} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("checkpoint lacks %s: %v", name, err)
		}
	}
	// A checkpoint is a model directory, with the training counts.
	p, err := modeldir.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if p.Kind != modeldir.Xent || !slices.Equal(p.TrainCounts, CountTokens(ids, tok.VocabSize())) {
		t.Errorf("loaded as a model directory: kind %q, training counts equal to the tokens': %v", p.Kind, slices.Equal(p.TrainCounts, CountTokens(ids, tok.VocabSize())))
	}
	c, err := LoadCheckpoint(dir, tinySource(t), 0)
	if err != nil {
		t.Fatal(err)
	}
	if c.Trainer.Step != 3 {
		t.Fatalf("resumed at step %d", c.Trainer.Step)
	}
	if c.Trainer.Settings != s {
		t.Fatalf("the checkpoint's settings %+v differ from the run's %+v", c.Trainer.Settings, s)
	}
	// Resuming for more steps stretches the schedule to the new total.
	longer, err := LoadCheckpoint(dir, tinySource(t), 2*s.Steps)
	if err != nil {
		t.Fatal(err)
	}
	stretched := Cosine{Peak: s.LR, Warmup: s.Warmup, Total: 2 * s.Steps, MinRatio: s.MinLRRatio}
	if longer.Trainer.Settings.Steps != 2*s.Steps || longer.Trainer.sched.LR(s.Steps) != stretched.LR(s.Steps) {
		t.Errorf("resumed for %d steps: schedule %v at step %d, want %v", 2*s.Steps, longer.Trainer.sched.LR(s.Steps), s.Steps, stretched.LR(s.Steps))
	}
	for k := 3; k < s.Steps; k++ {
		st, err := c.Trainer.Next()
		if err != nil {
			t.Fatal(err)
		}
		if st.Loss != want[k] {
			t.Fatalf("step %d: resumed loss %v, uninterrupted %v", k+1, st.Loss, want[k])
		}
	}
}

func TestEvaluateAndUnwritableCheckpoint(t *testing.T) {
	tok, ids, s := tinySetup(t)
	tr, err := NewTrainer(tinyModel(t, tok.VocabSize(), 1), ids, s)
	if err != nil {
		t.Fatal(err)
	}
	bytes := 0
	for _, id := range ids[:100] {
		b, _ := tok.Token(id)
		bytes += len(b)
	}
	ev, err := tr.Evaluate(context.Background(), HeldOut{Tokens: ids[:100], BOS: 0, Tokenizer: tok})
	if err != nil {
		t.Fatal(err)
	}
	if ev.Tokens != 100 || ev.TokensAvailable != 100 || math.Abs(ev.BPB-ev.Loss*100/float64(bytes)/math.Ln2) > 1e-9 ||
		math.Abs(ev.Perplexity-math.Exp(ev.Loss)) > 1e-9 {
		t.Errorf("eval %+v over %d bytes", ev, bytes)
	}
	capped, err := tr.Evaluate(context.Background(), HeldOut{Tokens: ids[:100], BOS: 0, MaxTokens: 37})
	if err != nil {
		t.Fatal(err)
	}
	if capped.Tokens != 37 || capped.TokensAvailable != 100 || capped.BPB != 0 {
		t.Errorf("capped at 37 tokens: %+v", capped)
	}
	blocker := filepath.Join(t.TempDir(), "file")
	os.WriteFile(blocker, []byte("x"), 0o644)
	if err := SaveCheckpoint(filepath.Join(blocker, "ckpt"), Checkpoint{Trainer: tr, Tokenizer: tok}); err == nil {
		t.Error("a checkpoint under a regular file was written")
	}
}

func TestSettingsAndContextChecks(t *testing.T) {
	tok, ids, s := tinySetup(t)
	bad := s
	bad.Context = 32 // longer than the model's 16 positions
	if _, err := NewTrainer(tinyModel(t, tok.VocabSize(), 1), ids, bad); err == nil || !strings.Contains(err.Error(), "context 32") {
		t.Errorf("long context: %v", err)
	}
	bad = s
	bad.Schedule = "step"
	if err := bad.Validate(); err == nil {
		t.Error("unknown schedule accepted")
	}
	if _, err := NewTrainer(tinyModel(t, tok.VocabSize(), 1), ids[:10], s); err == nil {
		t.Error("a corpus shorter than one window accepted")
	}
}

// A diverging run stops with an error naming the step, before the bad
// update lands.
func TestDivergenceStopsWithTheStep(t *testing.T) {
	tok, ids, s := tinySetup(t)
	s.LR, s.Warmup, s.ClipNorm, s.Steps = 1e12, 0, 0, 50
	tr, err := NewTrainer(tinyModel(t, tok.VocabSize(), 1), ids, s)
	if err != nil {
		t.Fatal(err)
	}
	for k := 1; k <= s.Steps; k++ {
		before := append([]float32(nil), tr.Model.ParamBuffer()...)
		_, err := tr.Next()
		if err == nil {
			continue
		}
		if !strings.Contains(err.Error(), "step "+strconv.Itoa(k)) {
			t.Fatalf("error %q does not name step %d", err, k)
		}
		for i, p := range tr.Model.ParamBuffer() {
			if math.Float32bits(p) != math.Float32bits(before[i]) {
				t.Fatalf("the failed step changed parameter %d", i)
			}
		}
		return
	}
	t.Fatal("a learning rate of 1e12 never diverged")
}

// Settings keep the JSON names checkpoints have always had in config.json
// (the optimizer's settings sit in the embedded Optim), so that existing
// checkpoints resume.
func TestSettingsJSONNames(t *testing.T) {
	old := `{"batch":16,"context":128,"grad_accum":1,"steps":600,"lr":0.003,"min_lr_ratio":0.1,"warmup":40,"schedule":"cosine",` +
		`"weight_decay":0.1,"beta2":0.99,"clip_norm":1,"label_smoothing":0,"z_loss":0,"seed":1,"eval_every":100,"threads":0}`
	var s Settings
	if err := json.Unmarshal([]byte(old), &s); err != nil {
		t.Fatal(err)
	}
	want := Settings{Batch: 16, Context: 128, GradAccum: 1, Steps: 600, Seed: 1, EvalEvery: 100,
		Optim: Optim{LR: 0.003, MinLRRatio: 0.1, Warmup: 40, Schedule: "cosine", WeightDecay: 0.1, Beta2: 0.99, ClipNorm: 1}}
	if s != want {
		t.Errorf("an existing config.json's settings read as %+v, want %+v", s, want)
	}
	if b, _ := json.Marshal(want); string(b) != old {
		t.Errorf("settings write as\n%s\nwant\n%s", b, old)
	}
}

// LossFormat trains with the loss in emulated bf16: the first step's loss
// is the float32 one's within bf16's rounding, not equal to it, and a
// second run gives the same bits; an unknown format, or bf16 with label
// smoothing, is refused before training.
func TestLossFormat(t *testing.T) {
	tok, ids, s := tinySetup(t)
	s.LabelSmoothing, s.Steps = 0, 3
	run := func(format string) []float64 {
		s := s
		s.LossFormat = format
		tr, err := NewTrainer(tinyModel(t, tok.VocabSize(), s.Seed), ids, s)
		if err != nil {
			t.Fatal(err)
		}
		var losses []float64
		for range s.Steps {
			st, err := tr.Next()
			if err != nil {
				t.Fatal(err)
			}
			losses = append(losses, st.Loss)
		}
		return losses
	}
	f32, bf16 := run(""), run("bf16")
	if d := math.Abs(bf16[0] - f32[0]); d == 0 || d > 0.02*f32[0] {
		t.Errorf("step 1: bf16 loss %v, float32 %v", bf16[0], f32[0])
	}
	if again := run("bf16"); !slices.Equal(again, bf16) {
		t.Errorf("bf16 runs differ: %v and %v", bf16, again)
	}
	if o, err := (Settings{LossFormat: "bf16", LossSum: "sequential"}).LossOptions(); err != nil || o.Emulate.String() != "bf16 sequential" {
		t.Errorf("bf16 sequential: %v, %v", o.Emulate, err)
	}
	for _, bad := range []Settings{{LossFormat: "fp8"}, {LossSum: "pairwise"}, {LossFormat: "bf16", LossSum: "kahan"}, {LossFormat: "bf16", LabelSmoothing: 0.1}} {
		b := s
		b.LossFormat, b.LossSum, b.LabelSmoothing = bad.LossFormat, bad.LossSum, bad.LabelSmoothing
		if _, err := NewTrainer(tinyModel(t, tok.VocabSize(), s.Seed), ids, b); err == nil {
			t.Errorf("loss format %q, sum %q, smoothing %g accepted", b.LossFormat, b.LossSum, b.LabelSmoothing)
		}
	}
}

// Compute "bf16" trains in mixed precision: each step's losses are close
// to float32's (the same batches and initial weights) but not equal, the
// model computes in float32 between steps, and the setting is saved in
// the settings' JSON only when set. Another value is refused.
func TestComputeBF16(t *testing.T) {
	tok, ids, s := tinySetup(t)
	var losses [2][]float64
	for i, compute := range []string{"", "bf16"} {
		s.Compute = compute
		tr, err := NewTrainer(tinyModel(t, tok.VocabSize(), s.Seed), ids, s)
		if err != nil {
			t.Fatal(err)
		}
		for range s.Steps {
			st, err := tr.Next()
			if err != nil {
				t.Fatal(err)
			}
			losses[i] = append(losses[i], st.Loss)
			if tr.Model.MixedBF16() {
				t.Fatal("the model is still in bf16 compute after a step")
			}
		}
		js, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if has := strings.Contains(string(js), `"compute"`); has != (compute != "") {
			t.Errorf("compute %q: settings JSON %s", compute, js)
		}
	}
	if slices.Equal(losses[0], losses[1]) {
		t.Fatalf("bf16 losses %v equal float32's: no bfloat16 products ran", losses[1])
	}
	for i := range losses[0] {
		if r := math.Abs(losses[1][i]-losses[0][i]) / losses[0][i]; r > 0x1p-6 {
			t.Errorf("step %d: loss %v in bf16, %v in float32 (relative %.2g)", i+1, losses[1][i], losses[0][i], r)
		}
	}
	s.Compute = "fp8"
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "fp8") {
		t.Errorf("compute fp8: %v, want an error naming it", err)
	}
}
