package scaling

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadCSV(t *testing.T) {
	for _, c := range []struct {
		name, csv string
		cols      Columns
		want      []Run
	}{
		{"params tokens loss", "params,tokens,loss\n1e6,2e7,3.5\n2e6,4e7,3.2\n", Columns{},
			[]Run{{N: 1e6, D: 2e7, C: 1.2e14, Loss: 3.5, Line: 2}, {N: 2e6, D: 4e7, C: 4.8e14, Loss: 3.2, Line: 3}}},
		{"flops only, other case, extra column", "name, N, FLOPs, L\na,1e6,1.2e14,3.5\n", Columns{},
			[]Run{{N: 1e6, D: 2e7, C: 1.2e14, Loss: 3.5, Line: 2}}},
		{"both D and C kept as given, blank line", "n,d,c,val_loss\n\n10,20,1300,2\n", Columns{},
			[]Run{{N: 10, D: 20, C: 1300, Loss: 2, Line: 3}}},
		{"named columns", "size,seen,xent\n10,20,2\n", Columns{N: "size", D: "seen", Loss: "XENT"},
			[]Run{{N: 10, D: 20, C: 1200, Loss: 2, Line: 2}}},
	} {
		runs, err := ReadCSV(strings.NewReader(c.csv), "runs.csv", c.cols)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if len(runs) != len(c.want) {
			t.Errorf("%s: %d runs, want %d", c.name, len(runs), len(c.want))
			continue
		}
		for i := range runs {
			if runs[i] != c.want[i] {
				t.Errorf("%s: run %d = %+v, want %+v", c.name, i, runs[i], c.want[i])
			}
		}
	}
}

func TestReadCSVBadInput(t *testing.T) {
	for _, c := range []struct {
		name, csv string
		cols      Columns
		want      string
	}{
		{"empty", "", Columns{}, "runs.csv: empty file"},
		{"no runs", "params,tokens,loss\n", Columns{}, "a header but no runs"},
		{"no loss column", "params,tokens\n1,2\n", Columns{}, "no column for the loss: want a header named loss, l, val_loss"},
		{"no N column", "tokens,loss\n1,2\n", Columns{}, "no column for N (parameters)"},
		{"no D or C column", "params,loss\n1,2\n", Columns{}, "no column for D (tokens) or C (FLOPs)"},
		{"named column missing", "params,tokens,loss\n1,2,3\n", Columns{Loss: "xent"}, `no column "xent" (for the loss)`},
		{"zero", "params,tokens,loss\n1,2,3\n1,0,3\n", Columns{}, `runs.csv: line 3, column "tokens": 0, want a finite positive number`},
		{"negative", "params,tokens,loss\n1,2,-3\n", Columns{}, `line 2, column "loss": -3, want a finite positive number`},
		{"NaN", "params,tokens,loss\nNaN,2,3\n", Columns{}, `line 2, column "params": NaN, want a finite positive number`},
		{"Inf", "params,flops,loss\n1,+Inf,3\n", Columns{}, `line 2, column "flops": +Inf`},
		{"not a number", "params,tokens,loss\n1,2,abc\n", Columns{}, `line 2, column "loss": "abc" is not a number`},
		{"short row", "params,tokens,loss\n1,2\n", Columns{}, `line 2 has 2 fields, no column 3 ("loss")`},
		{"bad quoting", "params,tokens,loss\n1,\"2,3\n", Columns{}, "runs.csv: "},
	} {
		_, err := ReadCSV(strings.NewReader(c.csv), "runs.csv", c.cols)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

func FuzzReadCSV(f *testing.F) {
	f.Add("params,tokens,loss\n1e6,2e7,3.5\n")
	f.Add("n,flops,l\n1,6,1\n2,1e300,0.5\n")
	f.Add("params,tokens,loss\n1,2\n")
	f.Add("\"params\",d,c,loss\n1,2,3,4,5\n")
	f.Fuzz(func(t *testing.T, s string) {
		runs, err := ReadCSV(strings.NewReader(s), "fuzz.csv", Columns{})
		if err != nil {
			return
		}
		for _, r := range runs {
			for _, x := range []float64{r.N, r.D, r.Loss} {
				if !(x > 0) || math.IsInf(x, 0) {
					t.Fatalf("run %+v has a value that is not finite and positive", r)
				}
			}
		}
	})
}

func TestPlots(t *testing.T) {
	dir := t.TempDir()
	runs := synthRuns(truth, []float64{1e18, 1e19, 1e20}, 5, 0.01, 1)
	for _, name := range []string{"fit.svg", "fit.png"} {
		path := filepath.Join(dir, name)
		if err := PlotChinchilla(path, runs, truth); err != nil {
			t.Fatal(err)
		}
		if st, err := os.Stat(path); err != nil || st.Size() < 1000 {
			t.Errorf("%s: %v, size %d", name, err, st.Size())
		}
	}
	kf, err := FitKaplan(runs, ByC, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := PlotKaplan(filepath.Join(dir, "k.svg"), runs, kf, ByC); err != nil {
		t.Fatal(err)
	}
	if err := PlotChinchilla(filepath.Join(dir, "fit.pdf"), runs, truth); err != nil {
		t.Errorf("a .pdf plot: %v", err)
	}
	if err := PlotChinchilla(filepath.Join(dir, "fit.jpeg"), runs, truth); err == nil || !strings.Contains(err.Error(), "want svg, png, pdf") {
		t.Errorf("a .jpeg plot: error %v", err)
	}
}

// TestPlotDegenerateLaw: a fitted law that is not finite over the plotted
// range (A = 0 with a large negative α gives 0·∞, as a sweep of six tiny
// runs fitted with the generic kernels did) draws the runs without the
// contours instead of panicking in gonum's contour plotter.
func TestPlotDegenerateLaw(t *testing.T) {
	runs := synthRuns(truth, []float64{1e18, 1e19, 1e20}, 5, 0.01, 1)
	law := Chinchilla{E: 3.94, A: 0, Alpha: -409, B: 155.7, Beta: 0.69}
	path := filepath.Join(t.TempDir(), "fit.svg")
	if err := PlotChinchilla(path, runs, law); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path); err != nil || !strings.Contains(string(b), "not finite") {
		t.Errorf("the plot does not say the surface is not finite (%v)", err)
	}
}

func TestPublished(t *testing.T) {
	for alias, name := range map[string]string{"chinchilla": "hoffmann2022", "Epoch": "besiroglu2024", "kaplan2020": "kaplan2020"} {
		p, err := LookupPublished(alias)
		if err != nil || p.Name != name {
			t.Errorf("LookupPublished(%q) = %q, %v; want %q", alias, p.Name, err, name)
		}
	}
	if _, err := LookupPublished("gpt5"); err == nil || !strings.Contains(err.Error(), "besiroglu2024, hoffmann2022, kaplan2020") {
		t.Errorf("an unknown fit: %v", err)
	}
	// Hoffmann's law gives its published exponents a ≈ 0.45, b ≈ 0.55.
	h, _ := LookupPublished("hoffmann2022")
	al, err := h.Law.Allocation()
	if err != nil || math.Abs(al.A-0.28/0.62) > 1e-12 || math.Abs(al.B-0.34/0.62) > 1e-12 {
		t.Errorf("hoffmann2022 allocation %+v, %v", al, err)
	}
	if _, err := (Chinchilla{E: 1, A: 1, B: 1, Alpha: 0, Beta: 1}).Allocation(); err == nil {
		t.Error("α = 0: no error")
	}
	if _, _, err := h.Law.Optimal(-1); err == nil {
		t.Error("a negative budget: no error")
	}
}
