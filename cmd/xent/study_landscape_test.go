package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestStudyLandscape: two tiny runs on a corpus file; --json carries every
// run's row, the line and the slice under the source; --plots gets the
// three figures; the same flags print the same numbers; bad flags are
// refused by name before any training.
func TestStudyLandscape(t *testing.T) {
	_, corpus, _ := tinyCorpusFile(t)
	plots := filepath.Join(t.TempDir(), "plots")
	args := []string{"study", "landscape", "--data", corpus, "--vocab-size", "280", "--width", "16", "--layers", "1", "--heads", "2",
		"--context", "16", "--steps", "4", "--runs", "2:1:0.1,4:0:0", "--line-points", "4", "--grid", "3", "--loss-batches", "1",
		"--loss-batch", "2", "--hessian-iters", "8", "--threads", "1", "--json"}
	stdout, stderr, err := runXent(t, append(args, "--plots", plots)...)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	out := decodeJSON(t, stdout)
	if _, ok := out["source"].(map[string]any)["settings"]; !ok {
		t.Errorf("no settings in the source: %s", stdout)
	}
	runs := out["runs"].([]any)
	if len(runs) != 2 {
		t.Fatalf("%d runs: %s", len(runs), stdout)
	}
	for _, r := range runs {
		row := r.(map[string]any)
		for _, k := range []string{"lambda_max", "lambda_min", "train_loss", "held_out_loss", "gap"} {
			if _, ok := row[k].(float64); !ok {
				t.Errorf("run %v has no %s", row["run"], k)
			}
		}
	}
	if first := runs[0].(map[string]any); first["run"] != "b2 w1 wd0.1" || first["batch"].(float64) != 2 {
		t.Errorf("first run %v", first)
	}
	if line := out["line"].([]any); len(line) != 4 {
		t.Errorf("%d line points", len(line))
	}
	if s := out["slice"].(map[string]any); len(s["train_loss"].([]any)) != 3 {
		t.Errorf("slice %v", s)
	}
	for _, name := range []string{"landscape-line.svg", "landscape-slice.svg", "landscape-sharpness.svg", "study-landscape.json"} {
		if _, err := os.Stat(filepath.Join(plots, name)); err != nil {
			t.Error(err)
		}
	}
	again, _, err := runXent(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := decodeJSON(t, again), out; !reflect.DeepEqual(a["runs"], b["runs"]) || !reflect.DeepEqual(a["line"], b["line"]) || !reflect.DeepEqual(a["slice"], b["slice"]) {
		t.Errorf("the same flags gave different numbers:\n%s\n%s", stdout, again)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--runs", "8:30"}, "BATCH:WARMUP:WD"},
		{[]string{"--runs", "0:1:0"}, "batch ≥ 1"},
		{[]string{"--runs", ""}, "no runs"},
		{[]string{"--warmup", "3"}, "--warmup"},
		{[]string{"--weight-decay", "0"}, "--weight-decay"},
		{[]string{"--grid", "1"}, "slice"},
		{[]string{"--line-points", "1"}, "line"},
		{[]string{"--arch", "rnn"}, "--arch"},
		{[]string{"--steps", "0"}, "steps"},
		{[]string{"--hessian-iters", "0"}, "iterations"},
		{[]string{"--plot-format", "gif"}, "gif"},
		{[]string{"--budget", "epochs"}, "--budget"},
	} {
		_, _, err := runXent(t, append([]string{"study", "landscape", "--data", corpus}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an error naming %q", c.args, err, c.want)
		}
	}
}
