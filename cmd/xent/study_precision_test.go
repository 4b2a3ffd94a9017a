package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xent-dev/xent/study"
)

// TestStudyPrecision: on a tiny model the study measures the checkpoint's
// logits and one step, and the synthetic rows; --json carries every row
// under the source; the plot goes into --plots; bad flags are refused by
// name before any work.
func TestStudyPrecision(t *testing.T) {
	dir, corpus := tinyModelDir(t)
	plots := filepath.Join(t.TempDir(), "plots")
	stdout, stderr, err := runXent(t, "study", "precision", "--model", dir, "--data", corpus, "--docs", "2", "--length", "8",
		"--vocabs", "64,128", "--spreads", "1,3", "--rows", "2", "--plots", plots, "--json")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	out := decodeJSON(t, stdout)
	if _, ok := out["source"].(map[string]any)["model"]; !ok {
		t.Errorf("no model in the source: %s", stdout)
	}
	rows := out["rows"].([]any)
	if want := len(study.Arithmetics) * (1 + 2*2); len(rows) != want {
		t.Errorf("%d rows, want %d", len(rows), want)
	}
	first := rows[0].(map[string]any)
	if first["logits"] != "checkpoint" || first["rows"].(float64) != 16 {
		t.Errorf("first row %v: want the checkpoint's 2×8 positions", first)
	}
	step := out["step"].(map[string]any)
	if step["tokens"].(float64) != 16 || step["lr"].(float64) <= 0 || step["change"].(float64) == 0 {
		t.Errorf("step %v", step)
	}
	if want := first["loss_abs_mean"].(float64) / math.Abs(step["change"].(float64)); math.Abs(first["loss_abs_over_step"].(float64)-want) > 1e-12*want {
		t.Errorf("loss_abs_over_step %v, want %g", first["loss_abs_over_step"], want)
	}
	if _, err := os.Stat(filepath.Join(plots, "precision.svg")); err != nil {
		t.Error(err)
	}

	// Synthetic only: no model, a table.
	stdout, stderr, err = runXent(t, "study", "precision", "--vocabs", "64", "--spreads", "10", "--rows", "1")
	if err != nil || !strings.Contains(stdout, "bf16 pairwise") || strings.Contains(stdout, "AdamW") {
		t.Errorf("synthetic only: %v\n%s\n%s", err, stdout, stderr)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--vocabs", "1"}, "vocabulary 1"},
		{[]string{"--vocabs", "2.5"}, "--vocabs"},
		{[]string{"--spreads", "0"}, "spread 0"},
		{[]string{"--spreads", "x"}, "--spreads"},
		{[]string{"--rows", "0"}, "0 synthetic rows"},
		{[]string{"--lr", "-1"}, "--lr"},
		{[]string{"--length", "0"}, "--length"},
	} {
		_, _, err := runXent(t, append([]string{"study", "precision"}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an error naming %q", c.args, err, c.want)
		}
	}
}

// TestStudyPrecisionNextStep: on an xent checkpoint the one-step
// measurement is the run's next training step, at its schedule's final
// learning rate, and leaves the checkpoint as it was.
func TestStudyPrecisionNextStep(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	dir := t.TempDir()
	out := filepath.Join(dir, "run")
	corpus := filepath.Join(dir, "corpus.txt")
	if err := os.WriteFile(corpus, []byte(strings.Repeat("Light is refracted by the prism. ", 300)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, err := runXent(t, "train", "--data", corpus, "--vocab-size", "300", "--layers", "1", "--width", "32", "--heads", "2",
		"--context", "16", "--batch", "2", "--warmup", "1", "--steps", "3", "--lr", "0.01", "--min-lr-ratio", "0.5", "--out", out); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	weights, err := os.ReadFile(filepath.Join(out, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	stdout, stderr, err := runXent(t, "study", "precision", "--model", out, "--data", corpus, "--docs", "2", "--length", "8",
		"--vocabs", "", "--json")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	step := decodeJSON(t, stdout)["step"].(map[string]any)
	if step["moments"] != "checkpoint" || step["lr"].(float64) != 0.005 || step["change"].(float64) == 0 {
		t.Errorf("step %v: want the run's next step at lr 0.005", step)
	}
	stdout, _, err = runXent(t, "study", "precision", "--model", out, "--data", corpus, "--docs", "2", "--length", "8",
		"--vocabs", "", "--json", "--fresh-step")
	if step := decodeJSON(t, stdout)["step"].(map[string]any); err != nil || step["moments"] != "fresh" || step["lr"].(float64) != 0.01 {
		t.Errorf("--fresh-step: %v, step %v: want a fresh step at the checkpoint's lr 0.01", err, step)
	}
	if again, err := os.ReadFile(filepath.Join(out, "model.safetensors")); err != nil || !bytes.Equal(again, weights) {
		t.Errorf("the study changed the checkpoint's weights (%v)", err)
	}
}
