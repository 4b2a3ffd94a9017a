package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xent-dev/xent/scaling"
)

// writeRunsCSV writes IsoFLOP runs drawn from law, with 1% noise made
// deterministic by a fixed pattern.
func writeRunsCSV(t *testing.T, law scaling.Chinchilla) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("params,flops,loss\n")
	k := 0
	for _, c := range []float64{1e18, 1e19, 1e20, 1e21} {
		n0, _, err := law.Optimal(c)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []float64{0.125, 0.25, 0.5, 1, 2, 4, 8} {
			n := n0 * f
			noise := 0.01 * math.Sin(float64(k)*2.7)
			k++
			fmt.Fprintf(&b, "%g,%g,%g\n", n, c, law.Loss(n, c/(6*n))*math.Exp(noise))
		}
	}
	path := filepath.Join(t.TempDir(), "runs.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestScalingFitChinchilla(t *testing.T) {
	law := scaling.Chinchilla{E: 1.82, A: 482.01, B: 2085.43, Alpha: 0.3478, Beta: 0.3658}
	csv := writeRunsCSV(t, law)
	plots := t.TempDir()
	plot := filepath.Join(plots, "chinchilla.pdf")
	out, _, err := runXent(t, "scaling", "fit", "--data", csv, "--bootstrap", "10", "--plots", plots, "--plot-format", "pdf", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rep fitReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if rep.Fit == nil || math.Abs(rep.Fit.Law.Alpha-law.Alpha) > 0.05 || math.Abs(rep.Fit.Law.Beta-law.Beta) > 0.05 || rep.Fit.Intervals == nil {
		t.Errorf("fit %+v, want α, β near %g, %g with intervals", rep.Fit, law.Alpha, law.Beta)
	}
	if rep.Approach1 == nil || rep.Approach2 == nil {
		t.Errorf("approaches 1 and 2 missing: notes %q", rep.Notes)
	}
	if st, err := os.Stat(plot); err != nil || st.Size() == 0 {
		t.Errorf("plot %s: %v", plot, err)
	}
	// The JSON plans.
	fitJSON := filepath.Join(t.TempDir(), "fit.json")
	os.WriteFile(fitJSON, []byte(out), 0o644)
	out, _, err = runXent(t, "scaling", "plan", "--flops", "1e21", "--fit", fitJSON, "--json")
	if err != nil {
		t.Fatal(err)
	}
	m := decodeJSON(t, out)
	n, _, _ := rep.Fit.Law.Optimal(1e21)
	if got := m["params"].(float64); math.Abs(got-n) > 1e-9*n {
		t.Errorf("plan from the fit's JSON: N_opt %g, want %g", got, n)
	}
}

func TestScalingFitKaplanText(t *testing.T) {
	law := scaling.Chinchilla{E: 1.82, A: 482.01, B: 2085.43, Alpha: 0.3478, Beta: 0.3658}
	csv := writeRunsCSV(t, law)
	out, _, err := runXent(t, "scaling", "fit", "--data", csv, "--form", "kaplan-c", "--bootstrap", "20", "--exclude-worst", "1")
	if err != nil {
		t.Fatal(err)
	}
	// --exclude-worst is the hidden old name of --exclude-largest-residual.
	for _, want := range []string{"27 runs (1 excluded for the largest residual: N=", "L(C) = (C_c/C)^α", "alpha_C", "95% intervals from"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestScalingFitExcludeHighestLoss: --exclude-highest-loss drops the runs
// of highest loss before fitting (Epoch AI's criterion), and the report
// names them; given with --exclude-largest-residual it goes first.
func TestScalingFitExcludeHighestLoss(t *testing.T) {
	law := scaling.Chinchilla{E: 1.82, A: 482.01, B: 2085.43, Alpha: 0.3478, Beta: 0.3658}
	csv := writeRunsCSV(t, law)
	f, err := os.Open(csv)
	if err != nil {
		t.Fatal(err)
	}
	runs, err := scaling.ReadCSV(f, csv, scaling.Columns{})
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	highest := map[float64]bool{}
	for range 2 {
		top := 0.0
		for _, r := range runs {
			if !highest[r.Loss] && r.Loss > top {
				top = r.Loss
			}
		}
		highest[top] = true
	}
	out, _, err := runXent(t, "scaling", "fit", "--data", csv, "--form", "kaplan-n", "--bootstrap", "0",
		"--exclude-highest-loss", "2", "--exclude-largest-residual", "1", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rep fitReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if rep.Runs != len(runs)-3 || len(rep.Excluded) != 3 {
		t.Fatalf("%d runs fitted, %d excluded; want %d and 3", rep.Runs, len(rep.Excluded), len(runs)-3)
	}
	for i, e := range rep.Excluded {
		if wantHigh := i < 2; wantHigh != (e.Why == "highest loss") || wantHigh != highest[e.Loss] {
			t.Errorf("excluded %d: %+v; want the two highest losses (%v) first, then one largest residual", i, e, highest)
		}
	}
	out, _, err = runXent(t, "scaling", "fit", "--data", csv, "--form", "kaplan-n", "--bootstrap", "0", "--exclude-highest-loss", "1")
	if err != nil || !strings.Contains(out, "27 runs (1 excluded for the highest loss: N=") {
		t.Errorf("%v:\n%s", err, out)
	}
}

func TestScalingBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(s), 0o644)
		return p
	}
	few := write("few.csv", "params,tokens,loss\n1e6,1e8,3\n2e6,1e8,2.9\n4e6,1e8,2.8\n")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"fit"}, "--data is required"},
		{[]string{"fit", "--data", write("nocol.csv", "params,loss\n1,2\n")}, "no column for D (tokens) or C (FLOPs)"},
		{[]string{"fit", "--data", write("neg.csv", "params,tokens,loss\n1,2,3\n4,-5,6\n")}, `neg.csv: line 3, column "tokens": -5`},
		{[]string{"fit", "--data", write("nan.csv", "params,tokens,loss\n1,2,NaN\n")}, `line 2, column "loss": NaN`},
		{[]string{"fit", "--data", few}, "3 runs are too few for the chinchilla form: it needs at least 6"},
		{[]string{"fit", "--data", few, "--form", "kaplan-x"}, `--form "kaplan-x"`},
		{[]string{"fit", "--data", few, "--form", "kaplan-n", "--exclude-largest-residual", "-1"}, "--exclude-largest-residual -1: want 0 or more"},
		{[]string{"fit", "--data", few, "--form", "kaplan-n", "--exclude-worst", "3"}, "excluding the 3 worst-fitted runs would leave none of 3 to fit"},
		{[]string{"fit", "--data", few, "--form", "kaplan-n", "--exclude-highest-loss", "-2"}, "--exclude-highest-loss -2: want 0 or more"},
		{[]string{"fit", "--data", few, "--form", "kaplan-n", "--exclude-highest-loss", "3"}, "excluding the 3 highest-loss runs would leave none of 3 to fit"},
		{[]string{"fit", "--data", few, "--form", "kaplan-n", "--plot", filepath.Join(dir, "p.jpeg")}, "want svg, png, pdf"},
		{[]string{"fit", "--data", few, "--form", "kaplan-n", "--plots", dir, "--plot-format", "jpeg"}, `plot format "jpeg"`},
		{[]string{"fit", "--data", filepath.Join(dir, "missing.csv")}, "--data: open"},
		{[]string{"plan"}, "--flops is required"},
		{[]string{"plan", "--flops", "-1"}, "--flops: compute budget -1 FLOPs"},
		{[]string{"plan", "--flops", "1e20", "--fit", "kaplan2020"}, "no joint L(N, D)"},
		{[]string{"plan", "--flops", "1e20", "--fit", "gpt9"}, `no built-in fit "gpt9"`},
		{[]string{"plan", "--flops", "1e20", "--fit", write("empty.json", "{}")}, "no Chinchilla law in it"},
		{[]string{"sweep", "--shapes", "2x"}, "--shapes: shape \"2x\""},
		{[]string{"sweep", "--budget", "0s"}, "--budget 0s"},
	} {
		_, _, err := runXent(t, append([]string{"scaling"}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one containing %q", c.args, err, c.want)
		}
	}
}

func TestScalingPlan(t *testing.T) {
	out, _, err := runXent(t, "scaling", "plan", "--flops", "5.76e23", "--fit", "epoch")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"besiroglu2024", "72.25B parameters", "1.329T tokens", "predicted loss   L = 1.9772"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan output lacks %q:\n%s", want, out)
		}
	}
	out, _, err = runXent(t, "scaling", "plan", "--table")
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range []string{"400M   8B", "1B     20B", "67B    1.5T", "405B   15T", "10T    216.2T"} {
		if !strings.Contains(out, row) {
			t.Errorf("table lacks the row %q:\n%s", row, out)
		}
	}
	out, _, err = runXent(t, "scaling", "plan", "--table", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rows []tableRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != len(scaling.ReferenceTable) {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
	h := scaling.Published[1].Law
	if got, want := *rows[0].Fits["hoffmann2022"].Loss, h.Loss(400e6, 8e9); got != want {
		t.Errorf("400M/8B under hoffmann2022: %g, want %g", got, want)
	}
}

// TestScalingSweepTiny runs the whole sweep command: tokenizer, plan,
// training, CSV, fit and plot. Its plan comes from a fixed FLOP rate, so
// that it is the same on any machine, loaded or not; the rate is some
// hundreds of times below this code's on these shapes, so the runs planned
// to fill 80% of the ten-minute budget take a second or two, and every one
// finishes long before the budget's deadline.
func TestScalingSweepTiny(t *testing.T) {
	out := filepath.Join(t.TempDir(), "sweep")
	stdout, stderr, err := runXent(t, "scaling", "sweep", "--budget", "10m", "--flop-rate", "1e7", "--out", out,
		"--shapes", "1x8,1x16,2x16", "--levels", "2", "--ratio", "2", "--min-steps", "2",
		"--min-tokens-per-param", "0.001", "--max-tokens-per-param", "1e9",
		"--vocab-size", "300", "--context", "16", "--batch", "4", "--bootstrap", "0", "--threads", "1")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	var planned int
	if i := strings.Index(stderr, "plan: "); i < 0 {
		t.Fatalf("no plan in the log:\n%s", stderr)
	} else if _, err := fmt.Sscanf(stderr[i:], "plan: %d runs", &planned); err != nil || planned < 6 {
		t.Fatalf("plan line: %v, %d runs:\n%s", err, planned, stderr)
	}
	if !strings.Contains(stderr, "modelled at 1e+07 FLOP/s") {
		t.Errorf("the log does not say the costs were modelled:\n%s", stderr)
	}
	b, err := os.ReadFile(filepath.Join(out, "runs.csv"))
	if err != nil || !strings.HasPrefix(string(b), "layers,width,level,params,total_params,steps,tokens,flops,loss") {
		t.Fatalf("runs.csv: %v %q", err, b)
	}
	if rows := strings.Count(string(b), "\n") - 1; rows != planned {
		t.Errorf("runs.csv has %d runs, %d planned", rows, planned)
	}
	for _, name := range []string{"fit.json", "scaling.svg"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Error(err)
		}
	}
	if !strings.Contains(stdout, "L(N, D) = E + A/N^α + B/D^β") {
		t.Errorf("stdout:\n%s", stdout)
	}
	if _, _, err := runXent(t, "scaling", "sweep", "--flop-rate", "-1", "--out", filepath.Join(t.TempDir(), "bad")); err == nil || !strings.Contains(err.Error(), "--flop-rate -1") {
		t.Errorf("--flop-rate -1: %v", err)
	}
}
