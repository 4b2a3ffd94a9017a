package report

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// cells is a table's rows as their texts.
func cells(t Table) [][]string {
	var out [][]string
	for _, r := range t.Rows {
		var row []string
		for _, c := range r {
			row = append(row, c.Text)
		}
		out = append(out, row)
	}
	return out
}

func TestJSONTablesLayout(t *testing.T) {
	doc := `{"source": {"data": "x"}, "name": "a", "n": 3, "ratio": 0.123456789, "list": [1, 2.5],
		"options": {"k": 2, "tags": ["p", "q"]},
		"rows": [{"a": 1, "b": {"c": "x"}}, {"a": 2, "d": [1, 2]}, {"a": 3, "e": [{"z": 1}]}],
		"nested": {"inner": [{"v": 1}], "w": {"x": {"y": 1}}},
		"fits": {"n": 5, "forward": {"mu": 1, "sigma": 2}, "other": {"mu": 0}, "reverse": {"mu": 3, "sigma": 4}}}`
	got, err := JSONTables([]byte(doc), "", "source")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		title   string
		columns []string
		rows    [][]string
	}{
		{"", []string{"field", "value"}, [][]string{{"name", "a"}, {"n", "3"}, {"ratio", "0.12346"}, {"list", "1, 2.5"},
			{"options.k", "2"}, {"options.tags", "p, q"}}},
		{"rows", []string{"a", "b.c", "d", "e"}, [][]string{{"1", "x", "", ""}, {"2", "", "1, 2", ""}, {"3", "", "", `[{"z":1}]`}}},
		{"nested › inner", []string{"v"}, [][]string{{"1"}}},
		{"nested › w", []string{"field", "value"}, [][]string{{"x.y", "1"}}},
		{"fits", []string{"field", "value"}, [][]string{{"n", "5"}, {"other.mu", "0"}}},
		{"fits › forward, reverse", []string{"name", "mu", "sigma"}, [][]string{{"forward", "1", "2"}, {"reverse", "3", "4"}}},
	}
	if len(got) != len(want) {
		for _, g := range got {
			t.Logf("%q %q %q", g.Title, g.Columns, cells(g))
		}
		t.Fatalf("%d tables, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Title != w.title || !reflect.DeepEqual(g.Columns, w.columns) || !reflect.DeepEqual(cells(g), w.rows) {
			t.Errorf("table %d: %q %q %q\nwant %q %q %q", i, g.Title, g.Columns, cells(g), w.title, w.columns, w.rows)
		}
	}
	ratio := got[0].Rows[2][1]
	if !ratio.Num || ratio.Value != 0.123456789 || ratio.Exact != "0.123456789" {
		t.Errorf("a rounded number's cell %+v: want its value and exact text kept", ratio)
	}
	if _, err := JSONTables([]byte(`{"a": 1} {"b": 2}`), ""); err == nil {
		t.Error("two documents were read as one")
	}
	if _, err := JSONTables([]byte(`{"a": `), ""); err == nil {
		t.Error("a truncated document was read")
	}
}

func TestNumber(t *testing.T) {
	for x, want := range map[float64]string{0: "0", 3: "3", -140223: "-140223", 4.375412: "4.3754", 79.4712: "79.471",
		0.000123456: "0.00012346", 1e20: "1e+20", 2.5e-9: "2.5e-09"} {
		if got := Number(x); got != want {
			t.Errorf("Number(%v) = %q, want %q", x, got, want)
		}
	}
}

// A directory of studies' --plots: each study-NAME.json with the figures
// NAME.svg and NAME-*.svg, the rest under "Other figures".
func TestLoadStudies(t *testing.T) {
	dir := t.TempDir()
	svg := `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>`
	for name, body := range map[string]string{
		"study-kl.json":        `{"source": {"data": "d", "xent": {"module": "m", "version": "v"}}, "rows": [{"direction": "forward", "kl": 0.5}]}`,
		"study-kl-extra.json":  `[{"a": 1}]`,
		"kl.svg":               svg,
		"kl-bimodal.svg":       svg,
		"kl-extra.svg":         svg,
		"klaxon.svg":           svg,
		"notes.txt":            "not a figure",
		"study-smoothing.json": `{"eps": [0, 0.1]}`,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range p.Studies {
		var figs []string
		for _, f := range s.Figures {
			figs = append(figs, f.Title)
		}
		got = append(got, s.Name+": "+strings.Join(figs, " "))
	}
	// kl-extra.svg is kl-extra's, though it is NAME-ANYTHING of kl too.
	if want := []string{"kl: kl-bimodal.svg kl.svg", "kl-extra: kl-extra.svg", "smoothing: "}; !reflect.DeepEqual(got, want) {
		t.Errorf("studies %q, want %q", got, want)
	}
	if len(p.Figures) != 1 || p.Figures[0].Title != "klaxon.svg" || !strings.HasPrefix(p.Figures[0].Image, "data:image/svg+xml;base64,") {
		t.Errorf("other figures %+v: want klaxon.svg as a data: URI", p.Figures)
	}
	var b bytes.Buffer
	if err := p.Render(&b); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	for _, want := range []string{`<section id="study-kl">`, `<section id="study-kl-extra">`, `<section id="study-smoothing">`,
		`<section id="figures">`, `<td>forward</td>`, `<td>build</td><td>xent v (commit`, `<td class="num" data-v="0.5">0.5</td>`} {
		if !strings.Contains(html, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if strings.Contains(html, "<svg xmlns") {
		t.Error("a figure file was inlined as markup rather than embedded as an image")
	}
}

func TestLoadRefuses(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "nothing to report") {
		t.Errorf("an empty directory: %v", err)
	}
	if _, err := Load(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing directory was loaded")
	}
	bad := filepath.Join(dir, StudyFile("x"))
	os.WriteFile(bad, []byte("{"), 0o644)
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("a broken study document: %v; want its path named", err)
	}
	os.Remove(bad)
	os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"model_type": "llama"}`), 0o644)
	os.WriteFile(filepath.Join(dir, "metrics.jsonl"), []byte("{\"step\": 1, \"loss\": 2}\nnot json\n"), 0o644)
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "metrics.jsonl line 2") {
		t.Errorf("a broken metrics line: %v; want its line named", err)
	}
	os.WriteFile(filepath.Join(dir, "metrics.jsonl"), nil, 0o644)
	os.WriteFile(filepath.Join(dir, "eval.json"), []byte(`{"source": {}, "rows": []}`), 0o644)
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "xent eval --json") {
		t.Errorf("an eval.json that is no evaluation: %v", err)
	}
}

// A table of more rows than a glance takes is folded away, its rows all
// there to sort and print.
func TestLongTablesFold(t *testing.T) {
	dir := t.TempDir()
	var rows []string
	for i := range 30 {
		rows = append(rows, `{"i": `+strconv.Itoa(i)+`}`)
	}
	doc := `{"short": [{"i": 1}], "long": [` + strings.Join(rows, ",") + `]}`
	if err := os.WriteFile(filepath.Join(dir, StudyFile("s")), []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := p.Render(&b); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	if strings.Count(html, "<details>") != 1 || !strings.Contains(html, "<h3>long</h3> (30 rows: click to show)") ||
		strings.Count(html, "<tr><td class=\"num\"") != 31 {
		t.Errorf("want the 30-row table folded, the 1-row one not, and all 31 rows in the page:\n%s", html)
	}
}
