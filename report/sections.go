package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"regexp"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/xent-dev/xent/eval"
	"github.com/xent-dev/xent/internal/plotfile"
	"github.com/xent-dev/xent/internal/version"
	"github.com/xent-dev/xent/train"
)

// Section is one part of the page, with an anchor the contents link to.
type Section struct {
	ID, Title string
	Blocks    []Block
}

// Block is one thing in a section: a paragraph, a table or a figure
// (exactly one of them set).
type Block struct {
	Text   string
	Table  *Table
	Figure *Figure
}

// Sections lays the page out: the checkpoint (its config and training
// settings), its training (the loss curve and every held-out evaluation
// in metrics.jsonl), the held-out evaluation (every table of xent eval,
// with the reliability diagram and the loss by position), each study (its
// document's tables and its figures) and the figures no study claims.
func (p *Page) Sections() ([]Section, error) {
	var out []Section
	if sum := p.summary(); len(sum.Rows) > 0 {
		out = append(out, Section{ID: "summary", Title: "At a glance", Blocks: []Block{{Table: &sum}}})
	}
	if c := p.Checkpoint; c != nil {
		s, err := c.sections()
		if err != nil {
			return nil, err
		}
		out = append(out, s...)
	}
	if p.Eval != nil {
		s, err := p.Eval.section()
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	for _, st := range p.Studies {
		s, err := st.section()
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	if len(p.Figures) > 0 {
		s := Section{ID: "figures", Title: "Other figures"}
		for i := range p.Figures {
			s.Blocks = append(s.Blocks, Block{Figure: &p.Figures[i]})
		}
		out = append(out, s)
	}
	return out, nil
}

// summary is the page's headline numbers: the model's shape, how far it
// trained and where its loss ended, the held-out evaluation's loss,
// perplexity, bits per byte, accuracy and calibration, the studies.
func (p *Page) summary() Table {
	t := Table{Title: "", Columns: []string{"measure", "value", "unit"}}
	add := func(name string, v Cell, unit string) {
		t.Rows = append(t.Rows, []Cell{textCell(name), v, textCell(unit)})
	}
	if c := p.Checkpoint; c != nil {
		var cfg struct {
			ModelType string   `json:"model_type"`
			Layers    *float64 `json:"num_hidden_layers"`
			Width     *float64 `json:"hidden_size"`
			Vocab     *float64 `json:"vocab_size"`
		}
		_ = json.Unmarshal(c.Config, &cfg)
		if cfg.ModelType != "" && cfg.Layers != nil && cfg.Width != nil && cfg.Vocab != nil {
			add("model", textCell(fmt.Sprintf("%s: layers %g, width %g, vocabulary %g", cfg.ModelType, *cfg.Layers, *cfg.Width, *cfg.Vocab)), "")
		}
		var step int
		var loss, valLoss *float64
		for _, m := range c.Metrics {
			var x struct {
				Step    int      `json:"step"`
				Loss    *float64 `json:"loss"`
				ValLoss *float64 `json:"val_loss"`
			}
			if json.Unmarshal(m, &x) != nil {
				continue
			}
			step = max(step, x.Step)
			if x.Loss != nil {
				loss = x.Loss
			}
			if x.ValLoss != nil {
				valLoss = x.ValLoss
			}
		}
		if step > 0 {
			add("steps trained", numCell(float64(step), ""), "")
		}
		if loss != nil {
			add("last training loss", numCell(*loss, "%.4f"), "nats/token, one batch")
		}
		if valLoss != nil {
			add("last held-out loss during training", numCell(*valLoss, "%.4f"), "nats/token")
		}
	}
	if e := p.Eval; e != nil {
		r := e.Report
		add("held-out mean NLL", numCell(r.MeanNLL, "%.4f"), fmt.Sprintf("nats/token over %d tokens (%s, context %d)", r.Tokens, r.Window.Scheme, r.Window.Ctx))
		add("held-out perplexity", numCell(r.PPL, "%.3f"), "per token")
		add("held-out bits per byte", numCell(r.BPB, "%.4f"), "bits")
		add("held-out top-1 accuracy", numCell(100*r.Top1Acc, "%.2f"), "%")
		add("held-out ECE", numCell(r.Calibration.ECE, "%.4f"), "expected calibration error, 15 bins")
	}
	if len(p.Studies) > 0 {
		names := make([]string, len(p.Studies))
		for i, s := range p.Studies {
			names[i] = s.Name
		}
		add("studies", textCell(strings.Join(names, ", ")), "")
	}
	return t
}

func (c *Checkpoint) sections() ([]Section, error) {
	model, err := JSONTables(c.Config, "model (config.json)", "xent")
	if err != nil {
		return nil, fmt.Errorf("report: config.json: %w", err)
	}
	s := Section{ID: "checkpoint", Title: "Checkpoint"}
	var cfg struct {
		Xent json.RawMessage `json:"xent"`
	}
	_ = json.Unmarshal(c.Config, &cfg) // valid JSON: Load checked
	if len(cfg.Xent) > 0 && cfg.Xent[0] == '{' {
		settings, err := JSONTables(cfg.Xent, "training settings (config.json's \"xent\")")
		if err != nil {
			return nil, fmt.Errorf("report: config.json: %w", err)
		}
		model = append(model, settings...)
	}
	for i := range model {
		s.Blocks = append(s.Blocks, Block{Table: &model[i]})
	}
	out := []Section{s}
	if len(c.Metrics) == 0 {
		return out, nil
	}
	tr := Section{ID: "training", Title: "Training"}
	lp, err := train.LossPlot(c.Metrics)
	if err != nil {
		return nil, err
	}
	fig, err := drawn("cross-entropy against step: training batches and held-out evaluations", lp, train.LossPlotWidth, train.LossPlotHeight)
	if err != nil {
		return nil, err
	}
	tr.Blocks = append(tr.Blocks, Block{Figure: &fig})
	var steps, evals []json.RawMessage
	for _, m := range c.Metrics {
		var probe struct {
			Loss    *float64 `json:"loss"`
			ValLoss *float64 `json:"val_loss"`
		}
		_ = json.Unmarshal(m, &probe)
		switch {
		case probe.ValLoss != nil:
			evals = append(evals, m)
		case probe.Loss != nil:
			steps = append(steps, m)
		}
	}
	if len(evals) > 0 {
		t, err := JSONTables(array(evals), "held-out evaluations during training (metrics.jsonl)")
		if err != nil {
			return nil, err
		}
		tr.Blocks = append(tr.Blocks, Block{Table: &t[0]})
	}
	if n := len(steps); n > 0 {
		last := steps[n-1:]
		t, err := JSONTables(last[0], fmt.Sprintf("the last of %d training steps logged", n))
		if err != nil {
			return nil, err
		}
		for i := range t {
			tr.Blocks = append(tr.Blocks, Block{Table: &t[i]})
		}
	}
	return append(out, tr), nil
}

// array joins JSON values into one JSON array.
func array(items []json.RawMessage) []byte {
	b := []byte("[")
	for i, x := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, x...)
	}
	return append(b, ']')
}

func (e *Eval) section() (Section, error) {
	r := e.Report
	s := Section{ID: "evaluation", Title: "Held-out evaluation"}
	if e.From != "" {
		s.Blocks = append(s.Blocks, Block{Text: "Read from " + e.From + "."})
	} else {
		s.Blocks = append(s.Blocks, Block{Text: "Evaluated for this page, as xent eval would."})
	}
	if len(e.Source) > 0 {
		src, err := sourceTables(e.Source)
		if err != nil {
			return s, fmt.Errorf("report: the evaluation's source: %w", err)
		}
		for i := range src {
			s.Blocks = append(s.Blocks, Block{Table: &src[i]})
		}
	}
	if r.Partial {
		s.Blocks = append(s.Blocks, Block{Text: "PARTIAL: the evaluation was interrupted; these are the tokens scored before the stop."})
	}
	win := fmt.Sprintf("%s, context %d", r.Window.Scheme, r.Window.Ctx)
	if r.Window.Scheme == eval.Strided {
		win += fmt.Sprintf(", stride %d", r.Window.Stride)
	}
	if r.Window.Scheme == eval.LlamaCpp {
		win += map[bool]string{true: ", BOS added", false: ", no BOS"}[r.Window.AddBOS]
	}
	c := r.Calibration
	overall := Table{Title: "overall", Columns: []string{"measure", "value", "unit"}}
	row := func(name string, v Cell, unit string) {
		overall.Rows = append(overall.Rows, []Cell{textCell(name), v, textCell(unit)})
	}
	row("window", textCell(win), "")
	row("documents", numCell(float64(r.Documents), ""), "")
	row("tokens scored", numCell(float64(r.Tokens), ""), fmt.Sprintf("of %d available", r.TokensAvailable))
	row("bytes", numCell(float64(r.Bytes), ""), "")
	row("characters", numCell(float64(r.Characters), ""), "")
	row("words", numCell(float64(r.Words), ""), "")
	row("mean NLL", numCell(r.MeanNLL, "%.4f"), fmt.Sprintf("nats/token (± %.4f standard error)", r.MeanNLLStderr))
	row("perplexity", numCell(r.PPL, "%.3f"), "per token")
	row("word perplexity", numCell(r.WordPPL, "%.3f"), "per word")
	row("byte perplexity", numCell(r.BytePPL, "%.4f"), "per byte")
	row("bits per byte", numCell(r.BPB, "%.4f"), "bits")
	row("bits per character", numCell(r.BPC, "%.4f"), "bits")
	row("top-1 accuracy", numCell(100*r.Top1Acc, "%.2f"), "%")
	row("ECE", numCell(c.ECE, "%.4f"), "expected calibration error, 15 bins")
	row("MCE", numCell(c.MCE, "%.4f"), "maximum calibration error")
	row("RMS calibration error", numCell(c.RMS, "%.4f"), "")
	s.Blocks = append(s.Blocks, Block{Table: &overall})

	rel, err := r.ReliabilityPlot()
	if err != nil {
		return s, err
	}
	fig, err := drawn("reliability diagram: accuracy of the top-1 token against its probability", rel, eval.PlotSize, eval.PlotSize)
	if err != nil {
		return s, err
	}
	bins := Table{Title: "calibration bins", Columns: []string{"confidence from", "to", "tokens", "mean confidence", "accuracy", "gap"}}
	for _, b := range c.Bins {
		bins.Rows = append(bins.Rows, []Cell{numCell(b.Lo, "%.3f"), numCell(b.Hi, "%.3f"), numCell(float64(b.Count), ""),
			numCell(b.Confidence, "%.4f"), numCell(b.Accuracy, "%.4f"), numCell(b.Accuracy-b.Confidence, "%+.4f")})
	}
	s.Blocks = append(s.Blocks, Block{Figure: &fig}, Block{Table: &bins})

	classes := Table{Title: "loss by token class", Columns: []string{"class", "tokens", "share of tokens (%)", "mean NLL (nats)", "share of loss (%)"}}
	for _, x := range r.ByClass {
		classes.Rows = append(classes.Rows, []Cell{textCell(x.Class), numCell(float64(x.Tokens), ""), numCell(100*x.Share, "%.1f"),
			numCell(x.MeanNLL, "%.3f"), numCell(100*x.LossShare, "%.1f")})
	}
	freq := Table{Title: "loss by how often the target occurred in the " + r.ByFrequency.Source,
		Columns: []string{"target seen", "tokens", "distinct ids", "share of tokens (%)", "mean NLL (nats)"}}
	for _, x := range r.ByFrequency.Buckets {
		span := Cell{Text: "never", Num: true}
		if x.Hi > 0 {
			span = Cell{Text: fmt.Sprintf("%d–%d times", x.Lo, x.Hi), Value: float64(x.Lo), Num: true}
		}
		freq.Rows = append(freq.Rows, []Cell{span, numCell(float64(x.Tokens), ""), numCell(float64(x.Distinct), ""),
			numCell(100*x.Share, "%.1f"), numCell(x.MeanNLL, "%.3f")})
	}
	s.Blocks = append(s.Blocks, Block{Table: &classes}, Block{Table: &freq})

	pos, err := r.PositionPlot()
	if err != nil {
		return s, err
	}
	posFig, err := drawn("mean NLL by position in the window", pos, eval.PlotSize, eval.PlotSize*3/4)
	if err != nil {
		return s, err
	}
	positions := Table{Title: "loss by position in the window", Columns: []string{"positions", "tokens", "mean NLL (nats)"}}
	for _, x := range r.ByPosition {
		if x.Tokens > 0 {
			positions.Rows = append(positions.Rows, []Cell{{Text: fmt.Sprintf("%d–%d", x.Lo, x.Hi), Value: float64(x.Lo), Num: true},
				numCell(float64(x.Tokens), ""), numCell(x.MeanNLL, "%.3f")})
		}
	}
	s.Blocks = append(s.Blocks, Block{Figure: &posFig}, Block{Table: &positions})

	if b := r.Base; b != nil {
		k := b.KLBaseModel
		kl := Table{Title: "against the base model", Columns: []string{"measure", "value", "unit"}}
		add := func(name string, x float64, format, unit string) {
			kl.Rows = append(kl.Rows, []Cell{textCell(name), numCell(x, format), textCell(unit)})
		}
		add("KL(base ‖ model), mean", k.Mean, "%.6f", fmt.Sprintf("nats (± %.6f)", k.Stderr))
		for _, q := range []struct {
			name string
			x    float64
		}{{"max", k.Max}, {"99.9%", k.P99_9}, {"99%", k.P99}, {"95%", k.P95}, {"90%", k.P90}, {"median", k.Median},
			{"10%", k.P10}, {"5%", k.P5}, {"1%", k.P1}, {"0.1%", k.P0_1}, {"min", k.Min}} {
			add("KL(base ‖ model), "+q.name, q.x, "%.6f", "nats")
		}
		add("KL(model ‖ base), mean", b.KLModelBase, "%.6f", "nats")
		add("RMS Δp", 100*b.RMSDeltaP, "%.3f", "%")
		add("same top token", 100*b.SameTop, "%.3f", "%")
		add("perplexity", b.PPL, "%.4f", "")
		add("base perplexity", b.BasePPL, "%.4f", "")
		add("perplexity ratio", b.PPLRatio, "%.6f", "")
		add("ln perplexity ratio", b.LnPPLRatio, "%.6f", "")
		s.Blocks = append(s.Blocks, Block{Table: &kl})
	}
	return s, nil
}

func (st *Study) section() (Section, error) {
	s := Section{ID: "study-" + anchor(st.Name), Title: "Study: " + st.Name}
	s.Blocks = append(s.Blocks, Block{Text: "Read from " + st.Path + "."})
	tables, err := JSONTables(st.Doc, "", "source")
	if err != nil {
		return s, fmt.Errorf("report: %s: %w", st.Path, err)
	}
	var doc struct {
		Source json.RawMessage `json:"source"`
	}
	_ = json.Unmarshal(st.Doc, &doc) // an array has no source
	if len(doc.Source) > 0 {
		src, err := sourceTables(doc.Source)
		if err != nil {
			return s, fmt.Errorf("report: %s: %w", st.Path, err)
		}
		tables = append(src, tables...)
	}
	for i := range tables {
		if tables[i].Title == "" {
			tables[i].Title = "results"
		}
		s.Blocks = append(s.Blocks, Block{Table: &tables[i]})
	}
	for i := range st.Figures {
		s.Blocks = append(s.Blocks, Block{Figure: &st.Figures[i]})
	}
	return s, nil
}

// sourceTables lays out a report's "source" (provenance.Source) as
// JSONTables does, but with the xent build on one row, as the commands
// print it.
func sourceTables(raw json.RawMessage) ([]Table, error) {
	t, err := JSONTables(raw, "source", "xent")
	if err != nil {
		return nil, err
	}
	var src struct {
		Xent *version.Info `json:"xent"`
	}
	if json.Unmarshal(raw, &src) == nil && src.Xent != nil {
		build := []Cell{textCell("build"), textCell(src.Xent.String())}
		if len(t) > 0 && t[0].Title == "source" {
			t[0].Rows = append(t[0].Rows, build)
		} else {
			t = append([]Table{{Title: "source", Columns: []string{"field", "value"}, Rows: [][]Cell{build}}}, t...)
		}
	}
	return t, nil
}

var notAnchor = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// anchor is name made safe for an HTML id.
func anchor(name string) string { return notAnchor.ReplaceAllString(name, "_") }

var svgSize = regexp.MustCompile(`^<svg width="[^"]*" height="[^"]*"`)

// drawn is p drawn as an inline SVG figure of size w × h, scaled to the
// page's width: the XML prologue is dropped and the fixed size replaced by
// the view box alone.
func drawn(title string, p *plot.Plot, w, h vg.Length) (Figure, error) {
	b, err := plotfile.SVG(p, w, h)
	if err != nil {
		return Figure{}, err
	}
	i := bytes.Index(b, []byte("<svg"))
	if i < 0 {
		return Figure{}, fmt.Errorf("report: the SVG writer wrote no <svg> element")
	}
	b = b[i:]
	b = svgSize.ReplaceAll(b, []byte(`<svg class="fig" role="img" aria-label="`+html.EscapeString(title)+`"`))
	return Figure{Title: title, SVG: b}, nil
}
