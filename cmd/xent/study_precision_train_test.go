package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStudyPrecisionTrain: a tiny budget trains the three runs and prints
// every step and evaluation in --json, under the source; the same flags
// print the same numbers; the figure goes into --plots; bad flags are
// refused by name before any work.
func TestStudyPrecisionTrain(t *testing.T) {
	_, corpus, _ := tinyCorpusFile(t)
	plots := filepath.Join(t.TempDir(), "plots")
	args := []string{"study", "precision-train", "--data", corpus, "--vocab-size", "300", "--layers", "1", "--width", "16", "--heads", "2",
		"--context", "16", "--batch", "2", "--steps", "4", "--warmup", "1", "--eval-every", "2", "--window", "2", "--every", "2", "--threads", "2", "--json"}
	stdout, stderr, err := runXent(t, append(args, "--plots", plots)...)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	out := decodeJSON(t, stdout)
	settings := out["source"].(map[string]any)["settings"].(map[string]any)
	if settings["study"].(map[string]any)["format"] != "bf16" || settings["train"].(map[string]any)["steps"].(float64) != 4 {
		t.Errorf("settings %v", settings)
	}
	steps, evals := out["steps"].([]any), out["evals"].([]any)
	if len(steps) != 4 || len(evals) != 2 || out["arithmetic"] != "bf16 pairwise" || out["first_differs"].(float64) != 1 {
		t.Errorf("%d steps, %d evaluations, %v, first differs %v", len(steps), len(evals), out["arithmetic"], out["first_differs"])
	}
	if _, err := os.Stat(filepath.Join(plots, "precision-train.svg")); err != nil {
		t.Error(err)
	}
	again, _, err := runXent(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	b := decodeJSON(t, again)
	for _, key := range []string{"steps", "evals", "parts_at", "parts_at_eval", "final_gap_in_spreads"} {
		if x, y := jsonText(t, out[key]), jsonText(t, b[key]); x != y {
			t.Errorf("%s differs between two runs of the same flags:\n%s\n%s", key, x, y)
		}
	}

	stdout, _, err = runXent(t, append(args[:len(args)-1], "--steps", "2", "--eval-every", "0", "--format", "f16", "--sum", "sequential")...)
	if err != nil || !strings.Contains(stdout, "f16 sequential") || !strings.Contains(stdout, "held-out loss") {
		t.Errorf("the table: %v\n%s", err, stdout)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--format", "fp8"}, "fp8"},
		{[]string{"--sum", "kahan"}, "kahan"},
		{[]string{"--spread-seed", "1"}, "--spread-seed"},
		{[]string{"--window", "0"}, "window"},
		{[]string{"--tolerance", "-1"}, "tolerance"},
		{[]string{"--plot-format", "bmp"}, "--plot-format"},
		{[]string{"--arch", "rnn"}, "--arch"},
	} {
		_, _, err := runXent(t, append([]string{"study", "precision-train", "--data", corpus, "--steps", "2"}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one naming %q", c.args, err, c.want)
		}
	}
}

func jsonText(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
