package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/xent-dev/xent/internal/kernels"
)

func TestBenchJSON(t *testing.T) {
	for _, dtype := range []string{"f32", "bf16", "f16"} {
		t.Run(dtype, func(t *testing.T) {
			out, stderr, err := runXent(t, "bench", "--n", "8", "--v", "100", "--iters", "1", "--json", "--dtype", dtype)
			if err != nil {
				t.Fatal(err)
			}
			m := decodeJSON(t, out)
			for _, key := range []string{"loss", "threads", "seconds", "mb_per_s"} {
				if _, ok := m[key]; !ok {
					t.Errorf("no %q in %s", key, out)
				}
			}
			if m["kernels"] != kernels.Active() || m["n"] != 8.0 || m["v"] != 100.0 || m["bytes"] != 3200.0 {
				t.Errorf("unexpected report %s", out)
			}
			// Logits N(0, 2²) over 100 classes: the loss is near log(100) + 2.
			if l, ok := m["loss"].(float64); !ok || l < 4 || l > 10 {
				t.Errorf("loss %v is implausible", m["loss"])
			}
			if !strings.Contains(stderr, "xent bench:") {
				t.Errorf("no progress on stderr: %q", stderr)
			}
		})
	}
}

func TestBenchTable(t *testing.T) {
	out, _, err := runXent(t, "bench", "--n", "4", "--v", "50", "--iters", "2", "--label-smoothing", "0.1")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"loss", "kernels", kernels.Active(), "threads", "seconds", "MB/s", "median"} {
		if !strings.Contains(out, w) {
			t.Errorf("table does not mention %q:\n%s", w, out)
		}
	}
}

// The same seed gives the same loss; another seed another.
func TestBenchSeed(t *testing.T) {
	loss := func(seed string) any {
		out, _, err := runXent(t, "bench", "--n", "3", "--v", "20", "--iters", "1", "--json", "--seed", seed)
		if err != nil {
			t.Fatal(err)
		}
		return decodeJSON(t, out)["loss"]
	}
	if a, b, c := loss("5"), loss("5"), loss("6"); a != b || a == c {
		t.Errorf("losses for seeds 5, 5, 6: %v, %v, %v", a, b, c)
	}
}

func TestBenchErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--dtype", "f64"}, `--dtype "f64"`},
		{[]string{"--n", "0"}, "--n 0"},
		{[]string{"--v", "-1"}, "--v -1"},
		{[]string{"--iters", "0"}, "--iters 0"},
		{[]string{"--threads", "-1"}, "threads -1"},
		{[]string{"--label-smoothing", "2"}, "label smoothing 2 is outside [0, 1]"},
		{[]string{"--seed", "-1"}, "--seed"},
	}
	for _, c := range cases {
		_, _, err := runXent(t, append([]string{"bench", "--n", "2", "--v", "3"}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("bench %v: error %v, want one containing %q", c.args, err, c.want)
		}
	}
}

func TestBenchKernels(t *testing.T) {
	out, _, err := runXent(t, "bench", "kernels", "--only", "sgemm/256x768x2304", "--iters", "1", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var ms []struct {
		Name  string
		Value float64
		Unit  string
	}
	if err := json.Unmarshal([]byte(out), &ms); err != nil {
		t.Fatalf("%v in %q", err, out)
	}
	if len(ms) != 1 || ms[0].Unit != "GFLOPS" || !(ms[0].Value > 0) {
		t.Fatalf("got %+v", ms)
	}
	if _, _, err := runXent(t, "bench", "kernels", "--only", "nothing-matches"); err == nil || !strings.Contains(err.Error(), "matches no measurement") {
		t.Fatalf("error %v", err)
	}
}
