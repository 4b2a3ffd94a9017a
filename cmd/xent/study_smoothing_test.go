package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestStudySmoothing: on a tiny budget the study trains every (ε, seed),
// prints the table with the article's columns and the verdict, and with
// --json every run, row and finding under the source; the figure goes into
// --plots; the same flags give the same numbers; bad flags are refused by
// name before any work.
func TestStudySmoothing(t *testing.T) {
	_, corpus, _ := tinyCorpusFile(t)
	plots := filepath.Join(t.TempDir(), "plots")
	args := []string{"study", "smoothing", "--data", corpus, "--vocab-size", "300", "--epsilons", "0.1,0", "--seeds", "2", "--seed", "4",
		"--layers", "1", "--width", "16", "--heads", "2", "--context", "16", "--batch", "4", "--steps", "12", "--warmup", "2", "--threads", "1"}
	stdout, stderr, err := runXent(t, append(args, "--plots", plots)...)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	for _, want := range []string{"tokenizer  a 300-token byte-level BPE", "│ article: PPL", "0.142", "verdict on the article's claims",
		"ε ≈ 0.1 calibrates much better than ε = 0"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the table has no %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "run 4 of 4: ε 0.1, seed 5") {
		t.Errorf("stderr does not log the runs:\n%s", stderr)
	}
	if _, err := os.Stat(filepath.Join(plots, "smoothing.svg")); err != nil {
		t.Error(err)
	}

	a, stderr, err := runXent(t, append(args, "--json")...)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	out := decodeJSON(t, a)
	settings := out["source"].(map[string]any)["settings"].(map[string]any)
	if settings["width"].(float64) != 16 || len(settings["seeds"].([]any)) != 2 {
		t.Errorf("source settings %v", settings)
	}
	runs, rows, verdict := out["runs"].([]any), out["rows"].([]any), out["verdict"].([]any)
	if len(runs) != 4 || len(rows) != 2 || len(verdict) != 5 {
		t.Fatalf("%d runs, %d rows, %d findings; want 4, 2, 5", len(runs), len(rows), len(verdict))
	}
	first := runs[0].(map[string]any)
	if first["epsilon"].(float64) != 0 || first["seed"].(float64) != 4 || !(first["ppl"].(float64) > 1) || len(first["bins"].([]any)) != 15 {
		t.Errorf("first run %v: want ε 0, seed 4, a perplexity and 15 bins", first)
	}
	row := rows[1].(map[string]any)
	if row["epsilon"].(float64) != 0.1 || row["article"].(map[string]any)["ece"].(float64) != 0.041 {
		t.Errorf("row %v: want ε 0.1 beside the article's ECE 0.041", row)
	}
	b, _, err := runXent(t, append(args, "--json")...)
	if err != nil {
		t.Fatal(err)
	}
	// Same flags, same numbers: the runs' training times aside.
	strip := func(s string) map[string]any {
		m := decodeJSON(t, s)
		for _, r := range m["runs"].([]any) {
			delete(r.(map[string]any), "seconds")
		}
		delete(m, "source")
		return m
	}
	if x, y := strip(a), strip(b); !reflect.DeepEqual(x, y) {
		t.Errorf("the same flags gave different numbers:\n%s\n%s", a, b)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--epsilons", "0,x"}, "--epsilons"},
		{[]string{"--epsilons", ""}, "no ε"},
		{[]string{"--epsilons", "0,1"}, "ε 1 is outside [0, 1)"},
		{[]string{"--epsilons", "0.1,0.1"}, "given twice"},
		{[]string{"--seeds", "0"}, "--seeds 0"},
		{[]string{"--seed", "18446744073709551615"}, "--seed"},
		{[]string{"--steps", "0"}, "0 steps"},
		{[]string{"--arch", "rnn"}, "rnn"},
		{[]string{"--eval-tokens", "-1"}, "cap -1"},
		{[]string{"--plot-format", "gif"}, "--plot-format"},
	} {
		_, _, err := runXent(t, append([]string{"study", "smoothing", "--data", filepath.Join(t.TempDir(), "absent.txt")}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an error naming %q", c.args, err, c.want)
		}
	}
}
