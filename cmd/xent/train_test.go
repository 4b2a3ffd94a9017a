package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestTrainTinyAndResume(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // the token cache goes there
	dir := t.TempDir()
	out := filepath.Join(dir, "run")
	corpus := filepath.Join(dir, "corpus.txt")
	if err := os.WriteFile(corpus, []byte(strings.Repeat("Light is refracted by the prism. ", 300)), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"train", "--data", corpus, "--vocab-size", "300", "--layers", "1", "--width", "32", "--heads", "2",
		"--context", "16", "--batch", "2", "--warmup", "1", "--eval-every", "2", "--out", out, "--json"}
	stdout, _, err := runXent(t, append(args, "--steps", "3")...)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Steps   int     `json:"steps"`
		BPB     float64 `json:"val_bpb"`
		GzipBPB float64 `json:"gzip9_bpb"`
		Source  struct {
			Model struct {
				Path          string
				WeightsSHA256 string `json:"weights_sha256"`
			}
			Data, Tokenizer string
			Settings        map[string]any
		}
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v in %q", err, stdout)
	}
	if rep.Steps != 3 || !(rep.BPB > 0) || !(rep.GzipBPB > 0) {
		t.Fatalf("report %+v", rep)
	}
	if src := rep.Source; len(src.Model.WeightsSHA256) != 64 || !strings.HasPrefix(src.Data, corpus) ||
		!strings.Contains(src.Tokenizer, "300-token byte-level BPE") || src.Settings["lr"] == nil {
		t.Errorf("the report's source %+v: want the checkpoint's hash, the data, the tokenizer and the settings", src)
	}
	for _, name := range []string{"config.json", "model.safetensors", "tokenizer.json", "optimizer.safetensors", "state.json", "metrics.jsonl", "loss.svg"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("checkpoint lacks %s", name)
		}
	}
	stdout, _, err = runXent(t, "train", "--data", corpus, "--resume", out, "--out", out, "--steps", "5", "--json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || rep.Steps != 2 {
		t.Fatalf("resumed report %+v, %v; want the 2 steps run (3 to 5)", rep, err)
	}
	if _, _, err := runXent(t, "train", "--data", filepath.Join(dir, "missing*"), "--out", out); err == nil {
		t.Error("an empty corpus was accepted")
	}
	blocker := filepath.Join(dir, "file")
	os.WriteFile(blocker, nil, 0o644)
	if _, _, err := runXent(t, "train", "--data", corpus, "--out", filepath.Join(blocker, "run")); err == nil || !strings.Contains(err.Error(), "--out") {
		t.Errorf("unwritable --out: %v", err)
	}
	if _, _, err := runXent(t, append(args, "--steps", "1", "--arch", "rnn")...); err == nil || !strings.Contains(err.Error(), "--arch") {
		t.Errorf("bad --arch: %v", err)
	}
}

// --init-from takes a checkpoint's (Hugging Face) config, weights and
// tokenizer and trains on from them.
func TestTrainInitFrom(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	dir := t.TempDir()
	corpus := filepath.Join(dir, "corpus.txt")
	os.WriteFile(corpus, []byte(strings.Repeat("Colours of thin plates. ", 300)), 0o644)
	first := filepath.Join(dir, "first")
	common := []string{"--data", corpus, "--context", "16", "--batch", "2", "--warmup", "1", "--json"}
	type report struct {
		Params    int `json:"params"`
		VocabSize int `json:"vocab_size"`
	}
	stdout, _, err := runXent(t, append([]string{"train", "--vocab-size", "280", "--layers", "1", "--width", "32", "--heads", "2", "--steps", "2", "--out", first}, common...)...)
	var want report
	if err != nil || json.Unmarshal([]byte(stdout), &want) != nil {
		t.Fatalf("first run: %v, %s", err, stdout)
	}
	stdout, _, err = runXent(t, append([]string{"train", "--init-from", first, "--steps", "2", "--out", filepath.Join(dir, "second")}, common...)...)
	if err != nil {
		t.Fatal(err)
	}
	var got report
	if err := json.Unmarshal([]byte(stdout), &got); err != nil || got != want {
		t.Fatalf("init-from report %s (%v), want the first model's %+v", stdout, err, want)
	}
	if _, _, err := runXent(t, append([]string{"train", "--init-from", filepath.Join(dir, "nothing"), "--out", filepath.Join(dir, "third")}, common...)...); err == nil {
		t.Error("--init-from a missing directory was accepted")
	}
}

func TestTrainScheduledSamplingFlags(t *testing.T) {
	dir, corpus, _ := tinyCorpusFile(t)
	out := filepath.Join(dir, "run")
	args := []string{"train", "--data", corpus, "--vocab-size", "300", "--layers", "1", "--width", "32", "--heads", "2",
		"--context", "16", "--batch", "2", "--warmup", "1", "--steps", "2", "--out", out, "--json"}
	if _, _, err := runXent(t, append(args, "--scheduled-sampling", "inverse-sigmoid", "--ss-k", "0.5")...); err == nil || !strings.Contains(err.Error(), "--ss-k") {
		t.Errorf("inverse-sigmoid with k < 1: %v", err)
	}
	if _, _, err := runXent(t, append(args, "--scheduled-sampling", "linear", "--ss-min", "0.5")...); err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Xent struct {
			ScheduledSampling string  `json:"scheduled_sampling"`
			SSMin             float64 `json:"ss_min"`
		} `json:"xent"`
	}
	raw, _ := os.ReadFile(filepath.Join(out, "config.json"))
	if err := json.Unmarshal(raw, &cfg); err != nil || cfg.Xent.ScheduledSampling != "linear" || cfg.Xent.SSMin != 0.5 {
		t.Errorf("config.json settings %+v (%v)", cfg.Xent, err)
	}
	metrics, _ := os.ReadFile(filepath.Join(out, "metrics.jsonl"))
	if !strings.Contains(string(metrics), `"ss_sample_prob":0.25`) { // step 2: ε = 1 − 0.5/2
		t.Errorf("metrics lack step 2's ss_sample_prob 0.25:\n%s", metrics)
	}
	if _, _, err := runXent(t, "train", "--data", corpus, "--resume", out, "--out", out, "--steps", "3", "--json"); err != nil {
		t.Fatalf("resume: %v", err)
	}
}

// tinyTrainArgs trains a one-layer model on corpus for steps steps.
func tinyTrainArgs(corpus string, steps int) []string {
	return []string{"train", "--data", corpus, "--vocab-size", "300", "--layers", "1", "--width", "32", "--heads", "2",
		"--context", "16", "--batch", "2", "--warmup", "1", "--steps", strconv.Itoa(steps)}
}

// checkpointStep reads the step a checkpoint resumes at.
func checkpointStep(t *testing.T, dir string) int {
	t.Helper()
	var st struct {
		Step int `json:"step"`
	}
	raw, err := os.ReadFile(filepath.Join(dir, "state.json"))
	if err != nil || json.Unmarshal(raw, &st) != nil {
		t.Fatalf("%s: no checkpoint state (%v)", dir, err)
	}
	return st.Step
}

// --resume DIR continues DIR in place (it wrote to --out's default,
// runs/opticks, replacing the default model) and reports the steps it ran
// (it reported the total).
func TestTrainResumeWritesInPlace(t *testing.T) {
	dir, corpus, _ := tinyCorpusFile(t)
	t.Chdir(t.TempDir()) // where runs/opticks would go
	ckpt := filepath.Join(dir, "ckpt")
	if _, _, err := runXent(t, append(tinyTrainArgs(corpus, 3), "--out", ckpt)...); err != nil {
		t.Fatal(err)
	}
	stdout, _, err := runXent(t, "train", "--data", corpus, "--resume", ckpt, "--steps", "5", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Steps     int    `json:"steps"`
		FinalStep int    `json:"final_step"`
		Out       string `json:"checkpoint"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Steps != 2 || rep.FinalStep != 5 || rep.Out != ckpt {
		t.Errorf("report: %d steps to step %d in %s; want 2 (3 to 5) in %s", rep.Steps, rep.FinalStep, rep.Out, ckpt)
	}
	if got := checkpointStep(t, ckpt); got != 5 {
		t.Errorf("%s is at step %d, want 5", ckpt, got)
	}
	if _, err := os.Stat("runs"); err == nil {
		t.Error("resuming wrote into runs/ in the working directory")
	}
}

// The output directory: a folder of the user's files is never replaced
// (it was deleted, exit 0), a model directory only with --force.
func TestTrainNeverOverwrites(t *testing.T) {
	dir, corpus, _ := tinyCorpusFile(t)
	user := filepath.Join(dir, "d")
	os.MkdirAll(filepath.Join(user, "sub"), 0o755)
	os.WriteFile(filepath.Join(user, "notes.txt"), []byte("precious"), 0o644)
	_, _, err := runXent(t, append(tinyTrainArgs(corpus, 2), "--out", user, "--force")...)
	if err == nil || !strings.Contains(err.Error(), "notes.txt") {
		t.Errorf("--out a folder of the user's files: %v; want a refusal naming notes.txt", err)
	}
	if b, _ := os.ReadFile(filepath.Join(user, "notes.txt")); string(b) != "precious" {
		t.Fatal("the user's file is gone")
	}
	out := filepath.Join(dir, "run")
	if _, _, err := runXent(t, append(tinyTrainArgs(corpus, 2), "--out", out)...); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runXent(t, append(tinyTrainArgs(corpus, 3), "--out", out)...); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("a second run into the model directory: %v; want a refusal pointing at --force", err)
	}
	if got := checkpointStep(t, out); got != 2 {
		t.Errorf("the refused run changed the checkpoint: step %d", got)
	}
	if _, _, err := runXent(t, append(tinyTrainArgs(corpus, 3), "--out", out, "--force")...); err != nil {
		t.Fatal(err)
	}
	if got := checkpointStep(t, out); got != 3 {
		t.Errorf("--force: the checkpoint is at step %d, want the new run's 3", got)
	}
}

// Off a terminal, training reports progress lines (it printed none), and
// every evaluation says how much of the held-out split it scored.
func TestTrainProgressAndEvalTokens(t *testing.T) {
	dir, corpus, _ := tinyCorpusFile(t)
	args := append(tinyTrainArgs(corpus, 4), "--eval-every", "2", "--eval-tokens", "10", "--out", filepath.Join(dir, "run"))
	stdout, stderr, err := runXent(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"xent train: step 4/4 (100%)  loss ", "grad norm", "ms/step", "tok/s", "step 2: held-out loss", "(10 of "} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if !strings.Contains(stdout, "held-out (10 of ") {
		t.Errorf("the report does not say what it scored:\n%s", stdout)
	}
}

// An interrupted xent train (here: before its first step) saves a
// checkpoint where it stopped, exits with an error and says how to go on.
func TestTrainInterruptedSaves(t *testing.T) {
	dir, corpus, _ := tinyCorpusFile(t)
	out := filepath.Join(dir, "run")
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // as a Ctrl-C before the first step would
	cmd := newRootCmd()
	var stdout, stderr bytes.Buffer
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	cmd.SetArgs(append(tinyTrainArgs(corpus, 3), "--out", out))
	err := cmd.ExecuteContext(ctx)
	if err == nil || !strings.Contains(err.Error(), "interrupted at step 0 of 3") || !strings.Contains(err.Error(), "xent train --resume "+out) {
		t.Fatalf("error %v; want the interruption and how to resume", err)
	}
	if got := checkpointStep(t, out); got != 0 {
		t.Errorf("the checkpoint is at step %d, want 0", got)
	}
	if _, _, err := runXent(t, "train", "--data", corpus, "--resume", out); err != nil {
		t.Errorf("resuming the interrupted run: %v", err)
	}
	if got := checkpointStep(t, out); got != 3 {
		t.Errorf("resumed to step %d, want 3", got)
	}
}

// --compute bf16 trains in mixed precision: the report says so and which
// kernel ran, the checkpoint's settings keep it (a resumed run goes on in
// bf16), and a float32 run's settings do not mention it. --compute fp8 is
// refused by name.
func TestTrainComputeBF16(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	dir := t.TempDir()
	corpus := filepath.Join(dir, "corpus.txt")
	if err := os.WriteFile(corpus, []byte(strings.Repeat("Light is refracted by the prism. ", 300)), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"train", "--data", corpus, "--vocab-size", "300", "--layers", "1", "--width", "32", "--heads", "2",
		"--context", "16", "--batch", "2", "--warmup", "1", "--eval-every", "0", "--steps", "2", "--json"}
	for _, compute := range []string{"bf16", "f32"} {
		out := filepath.Join(dir, compute)
		stdout, _, err := runXent(t, append(args, "--compute", compute, "--out", out)...)
		if err != nil {
			t.Fatal(err)
		}
		var rep struct{ Compute string }
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatal(err)
		}
		cfg, err := os.ReadFile(filepath.Join(out, "config.json"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(rep.Compute, compute) || strings.Contains(string(cfg), `"compute"`) != (compute == "bf16") {
			t.Errorf("--compute %s: the report says %q; config.json %s", compute, rep.Compute, cfg)
		}
	}
	stdout, _, err := runXent(t, "train", "--resume", filepath.Join(dir, "bf16"), "--steps", "3", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rep struct{ Compute string }
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || !strings.HasPrefix(rep.Compute, "bf16") {
		t.Errorf("a resumed bf16 run reports compute %q (%v)", rep.Compute, err)
	}
	if _, _, err := runXent(t, append(args, "--compute", "fp8", "--out", filepath.Join(dir, "fp8"))...); err == nil || !strings.Contains(err.Error(), "fp8") {
		t.Errorf("--compute fp8: %v, want an error naming it", err)
	}
}
