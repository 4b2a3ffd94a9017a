package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/xent-dev/xent/cmd/xent/internal/bench"
	"github.com/xent-dev/xent/model"
)

// benchTiny swaps a tiny model in under a test name for the duration of a test.
func benchTiny(t *testing.T) {
	t.Helper()
	bench.Models["test-tiny"] = model.Config{ModelType: model.GPT2, VocabSize: 97, NEmbd: 16, NLayer: 2, NHead: 2, NPositions: 64}
	t.Cleanup(func() { delete(bench.Models, "test-tiny") })
}

func TestBenchTrainJSON(t *testing.T) {
	benchTiny(t)
	out, stderr, err := runXent(t, "bench", "train", "--model", "test-tiny", "--b", "2", "--t", "16", "--iters", "2", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rep benchTrainReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v in %q", err, out)
	}
	s, r := rep.SecondsPerStep, rep.TokensPerSec
	if rep.B != 2 || rep.T != 16 || rep.Iters != 2 || rep.Model != "test-tiny" || !(s.Min > 0 && s.Min <= s.Median && s.Median <= s.Max) ||
		!(r.Min <= r.Median && r.Median <= r.Max) || rep.Loss < 4 || rep.Loss > 5.2 {
		t.Errorf("report %s", out)
	}
	// seconds × tokens/s = B·T, at both ends.
	if x := s.Min * r.Max; x < 31.99 || x > 32.01 {
		t.Errorf("min seconds %v × max tokens/s %v = %v, want 32", s.Min, r.Max, x)
	}
	if !strings.Contains(stderr, "xent bench train:") {
		t.Errorf("no progress on stderr: %q", stderr)
	}
	m := decodeJSON(t, out)
	for _, key := range []string{"tokens_per_s", "seconds_per_step", "loss", "params", "threads"} {
		if _, ok := m[key]; !ok {
			t.Errorf("no %q in %s", key, out)
		}
	}
}

func TestBenchTrainTable(t *testing.T) {
	benchTiny(t)
	out, _, err := runXent(t, "bench", "train", "--model", "test-tiny", "--b", "1", "--t", "8", "--iters", "1")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"test-tiny", "B=1, T=8", "seconds/step", "tokens/s", "median", "loss"} {
		if !strings.Contains(out, w) {
			t.Errorf("table does not mention %q:\n%s", w, out)
		}
	}
}

func TestBenchTeacherForcing(t *testing.T) {
	benchTiny(t)
	out, stderr, err := runXent(t, "bench", "teacher-forcing", "--model", "test-tiny", "--t", "8,32", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rep teacherForcingReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v in %q", err, out)
	}
	if len(rep.Rows) != 2 || rep.Rows[0].T != 8 || rep.Rows[1].T != 32 {
		t.Fatalf("rows %s", out)
	}
	for _, r := range rep.Rows {
		if len(r.TokensPS) != 3 || len(r.Ratios) != 2 {
			t.Errorf("T=%d: %+v", r.T, r)
		}
		for mode, x := range r.Ratios {
			if want := r.TokensPS[bench.ModeParallel].Value / r.TokensPS[mode].Value; x != want {
				t.Errorf("T=%d: ratio %s %v, want %v", r.T, mode, x, want)
			}
		}
	}
	if strings.Count(stderr, "xent bench teacher-forcing:") != 6 {
		t.Errorf("progress %q", stderr)
	}

	out, _, err = runXent(t, "bench", "teacher-forcing", "--model", "test-tiny", "--t", "16", "--modes", "parallel,kv-cache")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"parallel/kv-cache", "parallel/no-cache", "16", "×", "test-tiny"} {
		if !strings.Contains(out, w) {
			t.Errorf("table does not mention %q:\n%s", w, out)
		}
	}
}

func TestBenchTrainErrors(t *testing.T) {
	benchTiny(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"train", "--b", "0"}, "--batch 0"},
		{[]string{"train", "--t", "0"}, "--context 0"},
		{[]string{"train", "--iters", "0"}, "--iters 0"},
		{[]string{"train", "--threads", "-1"}, "--threads -1"},
		{[]string{"train", "--t", "65"}, "longer than the context"},
		{[]string{"train", "--model", "gpt5"}, `--model "gpt5": want one of`},
		{[]string{"teacher-forcing", "--t", "65"}, "--context 65"},
		{[]string{"teacher-forcing", "--t", "0"}, "--context"},
		{[]string{"teacher-forcing", "--iters", "0"}, "--iters 0"},
		{[]string{"teacher-forcing", "--t", "8", "--modes", "beam"}, `--modes: "beam"`},
		{[]string{"teacher-forcing", "--model", "gpt5"}, `--model "gpt5"`},
	}
	for _, c := range cases {
		_, _, err := runXent(t, append([]string{"bench", c.args[0], "--model", "test-tiny"}, c.args[1:]...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("bench %v: error %v, want one containing %q", c.args, err, c.want)
		}
	}
}
