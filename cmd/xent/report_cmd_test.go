package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/xent-dev/xent/internal/browser"
)

// tinyRun trains a seconds-long model on a small corpus and returns the
// checkpoint and the corpus.
func tinyRun(t *testing.T, dir string) (run, corpus string) {
	t.Helper()
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	run, corpus = filepath.Join(dir, "run"), filepath.Join(dir, "corpus.txt")
	text := strings.Repeat("Light is refracted by the prism, and the rays of light are unequally refrangible. ", 120)
	if err := os.WriteFile(corpus, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runXent(t, "train", "--data", corpus, "--vocab-size", "300", "--layers", "1", "--width", "32", "--heads", "2",
		"--context", "16", "--batch", "2", "--warmup", "1", "--eval-every", "2", "--steps", "6", "--out", run); err != nil {
		t.Fatal(err)
	}
	return run, corpus
}

// TestReportInChromium builds the page of a tiny trained checkpoint (its
// evaluation run by the report, as xent eval would) and of a directory of
// three studies' --plots, loads each in headless Chromium with JavaScript
// on, and checks that no script failed, that every section is there, that
// the sorting script found every table, and that the screenshot is not
// blank.
func TestReportInChromium(t *testing.T) {
	chromium := browser.Find(t)
	dir := t.TempDir()
	run, corpus := tinyRun(t, dir)
	if _, stderr, err := runXent(t, "report", run, "--data", corpus); err != nil || !strings.Contains(stderr, "evaluating it on "+corpus) {
		t.Fatalf("report of the checkpoint: %v\n%s", err, stderr)
	}
	plots := filepath.Join(dir, "plots")
	if _, _, err := runXent(t, "study", "precision", "--vocabs", "64,128", "--spreads", "1,3", "--rows", "2", "--plots", plots); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runXent(t, "study", "exposure", "--model", run, "--data", corpus, "--docs", "4", "--prefixes", "4",
		"--own", "2", "--continuation", "4", "--horizon", "6", "--plots", plots); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runXent(t, "study", "repetition", "--model", run, "--data", corpus, "--docs", "2", "--prompt-len", "4",
		"--max-tokens", "6", "--plots", plots); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runXent(t, "report", plots); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		page     string
		sections []string
	}{
		{filepath.Join(run, "report.html"), []string{"summary", "checkpoint", "training", "evaluation"}},
		{filepath.Join(plots, "report.html"), []string{"summary", "study-exposure", "study-precision", "study-repetition"}},
	} {
		t.Run(filepath.Base(filepath.Dir(c.page)), func(t *testing.T) {
			html, err := os.ReadFile(c.page)
			if err != nil {
				t.Fatal(err)
			}
			if loc := regexp.MustCompile(`(?i)(src|href)="(https?:|//)`).Find(html); loc != nil {
				t.Errorf("the page reaches the network: %s", loc)
			}
			dom, console, err := browser.Load(chromium, c.page)
			if err != nil {
				t.Fatal(err)
			}
			if len(console) > 0 {
				t.Errorf("console messages: %q", console)
			}
			if _, after, failed := strings.Cut(dom, `class="js-error"`); failed {
				t.Errorf("a script failed: %.300s", after)
			}
			for _, id := range c.sections {
				if !strings.Contains(dom, `<section id="`+id+`">`) {
					t.Errorf("section %q missing", id)
				}
			}
			m := regexp.MustCompile(`data-sortable="(\d+)"`).FindStringSubmatch(dom)
			tables := strings.Count(string(html), `<table class="sortable">`)
			if m == nil || m[1] != strconv.Itoa(tables) || tables < len(c.sections) {
				t.Errorf("the sorting script saw %v tables of the page's %d", m, tables)
			}
			if n := strings.Count(dom, "<svg") + strings.Count(dom, `<img src="data:image/`); n < 1 {
				t.Error("no figure")
			}
			if strings.HasPrefix(c.page, run) {
				testSorting(t, chromium, c.page)
			}
			img, err := browser.Screenshot(chromium, c.page, 1200, 1600)
			if err != nil {
				t.Fatal(err)
			}
			if v, n := browser.Variance(img), browser.Distinct(img, 64); v < 100 || n < 16 {
				t.Errorf("the screenshot looks blank: luminance variance %.1f, %d distinct colours", v, n)
			}
			if dir := os.Getenv("XENT_REPORT_SCREENSHOTS"); dir != "" { // to look at them
				var b bytes.Buffer
				if err := png.Encode(&b, img); err == nil {
					os.WriteFile(filepath.Join(dir, "report-"+filepath.Base(filepath.Dir(c.page))+".png"), b.Bytes(), 0o644)
				}
			}
		})
	}
}

// testSorting clicks the head of the mean-NLL column of the page's loss by
// position twice, in Chromium, and checks that the rows come out in
// ascending, then descending order of the loss.
func testSorting(t *testing.T, chromium, page string) {
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	const click = `<script>
(function () {
  var t = Array.prototype.find.call(document.querySelectorAll("table.sortable"),
    function (t) { return t.tHead.rows[0].cells[0].textContent === "positions"; });
  var th = t.tHead.rows[0].cells[2];
  function column() { return Array.prototype.map.call(t.tBodies[0].rows, function (r) { return r.cells[2].getAttribute("data-v"); }).join(" "); }
  th.click(); document.body.setAttribute("data-asc", column());
  th.click(); document.body.setAttribute("data-desc", column());
})();
</script>
</body>`
	clicked := filepath.Join(t.TempDir(), "clicked.html")
	if err := os.WriteFile(clicked, bytes.Replace(html, []byte("</body>"), []byte(click), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	dom, console, err := browser.Load(chromium, clicked)
	if err != nil {
		t.Fatal(err)
	}
	asc := regexp.MustCompile(`data-asc="([^"]*)"`).FindStringSubmatch(dom)
	desc := regexp.MustCompile(`data-desc="([^"]*)"`).FindStringSubmatch(dom)
	if len(console) > 0 || asc == nil || desc == nil {
		t.Fatalf("sorting: console %q, ascending %v, descending %v", console, asc, desc)
	}
	var up []float64
	for _, f := range strings.Fields(asc[1]) {
		x, err := strconv.ParseFloat(f, 64)
		if err != nil {
			t.Fatal(err)
		}
		up = append(up, x)
	}
	down := strings.Fields(desc[1])
	if len(up) < 2 || len(down) != len(up) {
		t.Fatalf("sorted columns %q and %q", asc[1], desc[1])
	}
	for i := range up {
		if i > 0 && up[i] < up[i-1] {
			t.Errorf("one click: %q, not ascending", asc[1])
		}
		if down[i] != strings.Fields(asc[1])[len(up)-1-i] {
			t.Errorf("two clicks: %q, not the reverse of %q", desc[1], asc[1])
			break
		}
	}
}

// An existing page is replaced only with --force; --out writes elsewhere;
// the same directory gives the same page; eval.json is read, not
// recomputed; and a checkpoint holding its report and evaluation still
// resumes.
func TestReportOutputAndEvalFile(t *testing.T) {
	dir := t.TempDir()
	run, corpus := tinyRun(t, dir)
	stdout, _, err := runXent(t, "eval", "--model", run, "--data", corpus, "--json")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(run, "eval.json"), []byte(stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, err := runXent(t, "report", run)
	if err != nil || strings.Contains(stderr, "evaluating") {
		t.Fatalf("report with eval.json: %v\n%s", err, stderr)
	}
	page := filepath.Join(run, "report.html")
	first, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(first, []byte("Read from "+filepath.Join(run, "eval.json"))) || !bytes.Contains(first, []byte(`id="evaluation"`)) {
		t.Error("the page does not show eval.json")
	}
	if _, _, err := runXent(t, "report", run); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("a second report replaced the first without --force: %v", err)
	}
	other := filepath.Join(dir, "other.html")
	if _, _, err := runXent(t, "report", run, "--out", other); err != nil {
		t.Fatal(err)
	}
	if second, _ := os.ReadFile(other); !bytes.Equal(first, second) {
		t.Error("two reports of one directory differ")
	}
	os.WriteFile(page, []byte("old"), 0o644)
	if _, _, err := runXent(t, "report", run, "--force"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(page); !bytes.Equal(b, first) {
		t.Error("--force did not replace the page")
	}
	if _, _, err := runXent(t, "train", "--data", corpus, "--resume", run, "--steps", "7"); err != nil {
		t.Errorf("a checkpoint with its report no longer resumes: %v", err)
	}
	if _, _, err := runXent(t, "report", filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing directory was reported")
	}
	empty := t.TempDir()
	if _, _, err := runXent(t, "report", empty); err == nil || !strings.Contains(err.Error(), "nothing to report") {
		t.Errorf("an empty directory: %v", err)
	}
	if _, _, err := runXent(t, "report", run, "--out", other, "--force", "--eval", corpus); err == nil || !strings.Contains(err.Error(), "--eval") {
		t.Errorf("--eval of a text file: %v", err)
	}
}

// Every study prints through studyReport, so that --plots DIR gets its
// study-NAME.json for xent report: no study file calls writeReport itself.
func TestStudiesPrintThroughStudyReport(t *testing.T) {
	files, err := filepath.Glob("study*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no study files: %v", err)
	}
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		n := strings.Count(string(src), "writeReport(")
		if file == "study.go" {
			n -= 2 // studyReport's own: the output and the file
		}
		if n != 0 {
			t.Errorf("%s calls writeReport %d times: print a study's result with studyReport (or studyFlags.print)", file, n)
		}
		if file != "study.go" && !strings.Contains(string(src), "studyReport(") && !strings.Contains(string(src), ".print(") {
			t.Errorf("%s prints no result through studyReport or studyFlags.print", file)
		}
	}
}
