package main

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestStudyKL: with a tiny teacher the study fits the toy and distils two
// students; --json carries both parts under the source, the same flags
// give the same numbers, the figures go into --plots, and bad flags are
// refused by name before any work.
func TestStudyKL(t *testing.T) {
	dir, corpus := tinyModelDir(t)
	plots := filepath.Join(t.TempDir(), "plots")
	args := []string{"study", "kl", "--teacher", dir, "--data", corpus, "--width", "8", "--layers", "1", "--heads", "2",
		"--steps", "4", "--batch", "2", "--context", "8", "--warmup", "1", "--eval-tokens", "16", "--grid", "401", "--threads", "2",
		"--plots", plots, "--json"}
	stdout, stderr, err := runXent(t, args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	out := decodeJSON(t, stdout)
	if _, ok := out["source"].(map[string]any)["model"]; !ok {
		t.Errorf("no teacher in the source: %s", stdout)
	}
	toy := out["toy"].(map[string]any)
	if f := toy["forward"].(map[string]any); math.Abs(f["mu"].(float64)-toy["target_mean"].(float64)) > 1e-4 || f["iterations"].(float64) == 0 {
		t.Errorf("toy: the forward fit is not the moment match: %v", toy)
	}
	students := out["distillation"].(map[string]any)["students"].([]any)
	if len(students) != 2 || students[1].(map[string]any)["direction"] != "reverse" {
		t.Errorf("students %v", students)
	}
	for _, name := range []string{"kl-toy.svg", "kl-distill.svg", "study-kl.json"} {
		if _, err := os.Stat(filepath.Join(plots, name)); err != nil {
			t.Error(err)
		}
	}
	// The same flags, the same numbers (the source's time aside).
	again, _, err := runXent(t, append(slices.Clone(args[:len(args)-3]), "--plots", filepath.Join(t.TempDir(), "p2"), "--json")...)
	if err != nil {
		t.Fatal(err)
	}
	a, b := decodeJSON(t, again), decodeJSON(t, stdout)
	for _, m := range []map[string]any{a, b} {
		for _, s := range m["distillation"].(map[string]any)["students"].([]any) {
			delete(s.(map[string]any), "train_seconds")
		}
	}
	if !reflect.DeepEqual(a["distillation"], b["distillation"]) || !reflect.DeepEqual(a["toy"], b["toy"]) {
		t.Errorf("the same flags gave\n%s\nthen\n%s", stdout, again)
	}

	// The toy alone: a table, no teacher needed, no figure without --plots.
	stdout, stderr, err = runXent(t, "study", "kl", "--parts", "toy", "--grid", "401")
	if err != nil || !strings.Contains(stdout, "reverse KL(q‖p)") || strings.Contains(stdout, "Distillation") {
		t.Errorf("toy only: %v\n%s\n%s", err, stdout, stderr)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--parts", "toy,mcmc"}, "--parts"},
		{[]string{"--parts", "toy", "--modes", "1"}, "--modes"},
		{[]string{"--parts", "toy", "--weights", "0,0"}, "weights"},
		{[]string{"--parts", "toy", "--widths", "1,-1"}, "width"},
		{[]string{"--temperature", "0"}, "temperature"},
		{[]string{"--top-k", "0"}, "top-k"},
		{[]string{"--plot-format", "gif"}, "--plot-format"},
	} {
		_, stderr, err := runXent(t, append([]string{"study", "kl"}, c.args...)...)
		if err == nil || !strings.Contains(stderr+err.Error(), c.want) {
			t.Errorf("%v: %v, stderr %q; want an error naming %s", c.args, err, stderr, c.want)
		}
	}
}
