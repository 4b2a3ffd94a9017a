package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xent-dev/xent/data"
)

// TestStudyOutputs: without --plots, "study exposure" writes its plot
// beside the model (MODEL.studies/exposure.svg), never into the working
// directory, and a second run keeps the first's plot; "--plot ”" writes
// none; "study posttrain --write-pairs DIR" says what it wrote, and
// refuses to replace pair files already there.
func TestStudyOutputs(t *testing.T) {
	dir, corpus := tinyModelDir(t)
	work := t.TempDir()
	t.Chdir(work)
	exposure := func(extra ...string) string {
		t.Helper()
		args := append([]string{"study", "exposure", "--model", dir, "--data", corpus, "--docs", "2",
			"--prefixes", "4", "--own", "4", "--continuation", "4", "--horizon", "8"}, extra...)
		_, stderr, err := runXent(t, args...)
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		return stderr
	}
	first := filepath.Join(dir+".studies", "exposure.svg")
	if stderr := exposure(); !strings.Contains(stderr, "wrote "+first) {
		t.Errorf("stderr does not name %s:\n%s", first, stderr)
	}
	plot, err := os.ReadFile(first)
	if err != nil {
		t.Fatal(err)
	}
	second := filepath.Join(dir+".studies", "exposure-2.svg")
	if stderr := exposure("--seed", "2"); !strings.Contains(stderr, "wrote "+second) {
		t.Errorf("second run: stderr does not name %s:\n%s", second, stderr)
	}
	if again, err := os.ReadFile(first); err != nil || !bytes.Equal(again, plot) {
		t.Errorf("the second run changed the first's plot (%v)", err)
	}
	if stderr := exposure("--plot", ""); strings.Contains(stderr, "wrote") {
		t.Errorf(`--plot "": %s`, stderr)
	}
	plotsDir := filepath.Join(t.TempDir(), "plots")
	if stderr := exposure("--plots", plotsDir, "--plot-format", "png"); !strings.Contains(stderr, "wrote "+filepath.Join(plotsDir, "exposure.png")) {
		t.Errorf("--plots DIR --plot-format png: %s", stderr)
	}
	if entries, err := os.ReadDir(filepath.Dir(dir)); err != nil || len(entries) != 2 {
		t.Errorf("beside the model: %v, %v; want the model and its studies directory", entries, err)
	}

	text, err := data.Builtin("opticks")
	if err != nil {
		t.Fatal(err)
	}
	base := saveTinyModel(t, string(text[:40000]), 32, 160, 7)
	pairs := filepath.Join(t.TempDir(), "pairs")
	args := []string{"study", "posttrain", "--model", base, "--methods", "sft", "--steps", "1", "--batch", "2", "--write-pairs", pairs}
	_, stderr, err := runXent(t, args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	for _, name := range []string{"train.jsonl", "heldout.jsonl"} {
		if st, err := os.Stat(filepath.Join(pairs, name)); err != nil || st.Size() == 0 || !strings.Contains(stderr, filepath.Join(pairs, name)) {
			t.Errorf("%s: %v; stderr:\n%s", name, err, stderr)
		}
	}
	if _, _, err := runXent(t, args...); err == nil || !strings.Contains(err.Error(), filepath.Join(pairs, "train.jsonl")+" exists") {
		t.Errorf("a second --write-pairs into %s: %v", pairs, err)
	}
	if entries, err := os.ReadDir(work); err != nil || len(entries) != 0 {
		t.Errorf("the working directory holds %v (%v); want nothing", entries, err)
	}
}
