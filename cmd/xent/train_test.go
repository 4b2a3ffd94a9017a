package main

import (
	"encoding/json"
	"os"
	"path/filepath"
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
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v in %q", err, stdout)
	}
	if rep.Steps != 3 || !(rep.BPB > 0) || !(rep.GzipBPB > 0) {
		t.Fatalf("report %+v", rep)
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
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || rep.Steps != 5 {
		t.Fatalf("resumed report %+v, %v", rep, err)
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
