package report

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/xent-dev/xent/eval"
	"github.com/xent-dev/xent/modeldir"
)

// StudyPrefix and StudySuffix frame a study's JSON document in a
// directory of figures: every xent study given --plots DIR writes the
// document its --json prints as DIR/study-NAME.json, beside its figures
// NAME.svg, NAME-2.svg, NAME-….svg.
const StudyPrefix, StudySuffix = "study-", ".json"

// StudyFile is the name of study name's JSON document in a --plots
// directory.
func StudyFile(name string) string { return StudyPrefix + name + StudySuffix }

// maxFigureBytes bounds a figure file embedded in a page.
const maxFigureBytes = 16 << 20

// Page is what a report shows: what Load found in a directory, and an
// evaluation the caller may add.
type Page struct {
	Dir        string
	Checkpoint *Checkpoint // nil: Dir is not a model directory
	Eval       *Eval       // nil: no evaluation
	Studies    []Study     // by name
	Figures    []Figure    // figure files no study claims
	Notes      []string    // what the page leaves out, and why
}

// Checkpoint is a model directory's config.json and, for a run of xent
// train, its metrics.jsonl lines.
type Checkpoint struct {
	Config  json.RawMessage
	Metrics []json.RawMessage
}

// Eval is a held-out evaluation: the document xent eval --json prints
// (its "source" and the eval.Report beside it).
type Eval struct {
	From   string          // the file it was read from; "" when evaluated for the page
	Source json.RawMessage // provenance.Source, as JSON; may be empty
	Report eval.Report
}

// Study is one study's --json document and its figures.
type Study struct {
	Name    string
	Path    string
	Doc     json.RawMessage
	Figures []Figure
}

// Figure is a figure on the page: drawn for it (SVG, inline) or read from
// a file (Image, a data: URI, so that the file's content cannot run
// script in the page).
type Figure struct {
	Title string
	File  string // the file it was read from, "" when drawn
	SVG   []byte
	Image string
}

// Load reads what a report of dir shows: dir as a model directory
// (config.json, metrics.jsonl), its evaluation (eval.json, as xent eval
// --json prints it), the study documents (study-NAME.json) and figures
// (.svg, .png) in dir and in the directory of the model's studies,
// dir.studies, beside it. A directory holding none of these is an error.
func Load(dir string) (*Page, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("report: %s is not a directory (give a checkpoint or a --plots directory)", dir)
	}
	p := &Page{Dir: dir}
	config, err := os.ReadFile(filepath.Join(dir, modeldir.ConfigFile))
	switch {
	case err == nil:
		if !json.Valid(config) {
			return nil, fmt.Errorf("report: %s: not JSON", filepath.Join(dir, modeldir.ConfigFile))
		}
		p.Checkpoint = &Checkpoint{Config: config}
		if p.Checkpoint.Metrics, err = readMetrics(filepath.Join(dir, modeldir.MetricsFile)); err != nil {
			return nil, err
		}
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("report: %w", err)
	}
	evalPath := filepath.Join(dir, modeldir.EvalFile)
	if _, err := os.Stat(evalPath); err == nil {
		if p.Eval, err = ReadEval(evalPath); err != nil {
			return nil, err
		}
	}
	dirs := []string{dir}
	if st, err := os.Stat(filepath.Clean(dir) + ".studies"); err == nil && st.IsDir() && p.Checkpoint != nil {
		dirs = append(dirs, filepath.Clean(dir)+".studies")
	}
	for _, d := range dirs {
		if err := p.readStudies(d, d == dir); err != nil {
			return nil, err
		}
	}
	if p.Checkpoint == nil && p.Eval == nil && len(p.Studies) == 0 && len(p.Figures) == 0 {
		return nil, fmt.Errorf("report: %s holds no model (config.json), evaluation (%s), study document (%s) or figure: nothing to report",
			dir, modeldir.EvalFile, StudyFile("NAME"))
	}
	return p, nil
}

// readMetrics reads a run's metrics.jsonl; a missing file is no metrics.
func readMetrics(path string) ([]json.RawMessage, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	var lines []json.RawMessage
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, len(b)+1)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if !json.Valid(line) {
			return nil, fmt.Errorf("report: %s line %d: not JSON", path, n)
		}
		lines = append(lines, json.RawMessage(slices.Clone(line)))
	}
	return lines, nil
}

// ReadEval reads an evaluation document, as xent eval --json prints it.
func ReadEval(path string) (*Eval, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	var doc struct {
		Source json.RawMessage `json:"source"`
		eval.Report
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("report: %s: %w (want the JSON that xent eval --json prints)", path, err)
	}
	if doc.Tokens == 0 || doc.Window.Scheme == "" {
		return nil, fmt.Errorf("report: %s is not an evaluation (no tokens or window): want the JSON that xent eval --json prints", path)
	}
	return &Eval{From: path, Source: doc.Source, Report: doc.Report}, nil
}

// readStudies adds the study documents and figures in dir; in a model
// directory (inModel), its own loss.svg is left out: the page draws the
// loss from the metrics.
func (p *Page) readStudies(dir string, inModel bool) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	first := len(p.Studies)
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || !strings.HasPrefix(name, StudyPrefix) || !strings.HasSuffix(name, StudySuffix) {
			continue
		}
		path := filepath.Join(dir, name)
		doc, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
		if !json.Valid(doc) {
			return fmt.Errorf("report: %s: not JSON (a study's --json document)", path)
		}
		p.Studies = append(p.Studies, Study{Name: strings.TrimSuffix(strings.TrimPrefix(name, StudyPrefix), StudySuffix), Path: path, Doc: doc})
	}
	slices.SortFunc(p.Studies[first:], func(a, b Study) int { return strings.Compare(a.Name, b.Name) })
	for _, e := range entries {
		name := e.Name()
		ext := strings.ToLower(filepath.Ext(name))
		if !e.Type().IsRegular() || (ext != ".svg" && ext != ".png") || (inModel && p.Checkpoint != nil && name == modeldir.PlotFile) {
			continue
		}
		path := filepath.Join(dir, name)
		f, err := readFigure(path)
		if err != nil {
			p.Notes = append(p.Notes, err.Error())
			continue
		}
		i := -1 // the study of the longest name that owns it: kl-extra.svg is kl-extra's, not kl's
		for j, s := range p.Studies[first:] {
			if owns(s.Name, name) && (i < 0 || len(s.Name) > len(p.Studies[first+i].Name)) {
				i = j
			}
		}
		if i < 0 {
			p.Figures = append(p.Figures, f)
			continue
		}
		p.Studies[first+i].Figures = append(p.Studies[first+i].Figures, f)
	}
	return nil
}

// owns reports whether the figure file name is study's: NAME.EXT or
// NAME-ANYTHING.EXT.
func owns(study, name string) bool {
	stem := strings.TrimSuffix(name, filepath.Ext(name))
	return stem == study || strings.HasPrefix(stem, study+"-")
}

// readFigure reads a figure file into a data: URI.
func readFigure(path string) (Figure, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Figure{}, fmt.Errorf("report: %w", err)
	}
	if fi.Size() > maxFigureBytes {
		return Figure{}, fmt.Errorf("%s is left out: %d MiB, more than a page should embed (%d MiB)", path, fi.Size()>>20, maxFigureBytes>>20)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return Figure{}, fmt.Errorf("report: %w", err)
	}
	mime := "image/png"
	if strings.EqualFold(filepath.Ext(path), ".svg") {
		mime = "image/svg+xml"
	}
	return Figure{Title: filepath.Base(path), File: path, Image: "data:" + mime + ";base64," + base64.StdEncoding.EncodeToString(b)}, nil
}
