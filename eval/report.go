package eval

import (
	"fmt"
	"io"
	"math"
	"slices"
	"text/tabwriter"
)

// Report is everything an evaluation measured. Counts are of scored tokens
// and of the bytes, characters and words those tokens cover; a word is a
// maximal run of non-whitespace, counted in the token where it starts.
type Report struct {
	Partial   bool       `json:"partial"` // interrupted: what was scored before the stop
	Documents int        `json:"documents"`
	Window    WindowInfo `json:"window"`

	Tokens          int64 `json:"tokens"`           // scored
	TokensAvailable int64 `json:"tokens_available"` // the text's targets under this scheme; more than Tokens under Options.MaxTokens
	Bytes           int64 `json:"bytes"`
	Words           int64 `json:"words"`
	Characters      int64 `json:"characters"`

	MeanNLL       float64 `json:"mean_nll"`        // nats per token
	MeanNLLStderr float64 `json:"mean_nll_stderr"` // standard error of the mean
	PPL           float64 `json:"ppl"`             // exp(NLL / tokens)
	WordPPL       float64 `json:"word_ppl"`        // exp(NLL / words)
	BytePPL       float64 `json:"byte_ppl"`        // exp(NLL / bytes)
	BPB           float64 `json:"bpb"`             // NLL / bytes / ln 2
	BPC           float64 `json:"bpc"`             // NLL / characters / ln 2
	Top1Acc       float64 `json:"top1_acc"`
	// MeanEntropy is the mean entropy of the model's next-token
	// distribution, nats (Options.Entropy; 0 without it).
	MeanEntropy float64 `json:"mean_entropy,omitempty"`

	Calibration CalibrationReport `json:"calibration"`
	ByClass     []ClassRow        `json:"by_class"`
	ByFrequency FrequencyReport   `json:"by_frequency"`
	ByPosition  []PositionRow     `json:"by_position"`
	Base        *BaseReport       `json:"base,omitempty"` // against a base model (SetBase)
}

// WindowInfo names the windowing the numbers depend on.
type WindowInfo struct {
	Scheme Scheme `json:"scheme"`
	Ctx    int    `json:"ctx"`
	Stride int    `json:"stride"` // strided only
	// AddBOS is llamacpp's BOS rule (Options.AddBOS): BOS before the text
	// and over each chunk's first token.
	AddBOS bool `json:"add_bos,omitempty"`
}

// ClassRow is the loss of the tokens of one class.
type ClassRow struct {
	Class     string  `json:"class"`
	Tokens    int64   `json:"tokens"`
	Share     float64 `json:"share"`      // of scored tokens
	MeanNLL   float64 `json:"mean_nll"`   // nats per token
	LossShare float64 `json:"loss_share"` // of the total NLL
}

// FrequencyReport is the loss by how often the target token occurred in
// the training data (Source "training") or, for a model that does not
// record that, in the evaluated text itself (Source "evaluated text").
type FrequencyReport struct {
	Source  string         `json:"source"`
	Buckets []FrequencyRow `json:"buckets"`
}

// FrequencyRow is one decade of counts: target tokens that occurred
// [Lo, Hi] times.
type FrequencyRow struct {
	Lo       int64   `json:"lo"`
	Hi       int64   `json:"hi"`
	Tokens   int64   `json:"tokens"`
	Distinct int     `json:"distinct"` // token ids
	Share    float64 `json:"share"`
	MeanNLL  float64 `json:"mean_nll"`
}

// PositionRow is the loss at positions [Lo, Hi] of the window (0-based:
// position p was predicted from p+1 tokens of context).
type PositionRow struct {
	Lo      int     `json:"lo"`
	Hi      int     `json:"hi"`
	Tokens  int64   `json:"tokens"`
	MeanNLL float64 `json:"mean_nll"`
}

// BaseReport compares the model Q with a base model P on the same tokens,
// with the statistics of llama.cpp's KL-divergence mode. Δp is the change
// in the probability of the correct token, Q's minus the base's.
type BaseReport struct {
	// KLBaseModel is KL(P_base ‖ Q) per position, llama.cpp's direction.
	KLBaseModel KLStats `json:"kl_base_model"`
	// KLModelBase is the mean of the other direction, KL(Q ‖ P_base): the
	// KL(π ‖ base) that post-training penalises (xent study posttrain).
	KLModelBase float64 `json:"kl_model_base_mean"`
	RMSDeltaP   float64 `json:"rms_delta_p"`
	SameTop     float64 `json:"same_top_p"` // share of positions where both models' top-1 agree
	PPL         float64 `json:"ppl"`        // PPL(Q)
	BasePPL     float64 `json:"base_ppl"`   // PPL(base)
	PPLRatio    float64 `json:"ppl_ratio"`  // PPL(Q)/PPL(base)
	LnPPLRatio  float64 `json:"ln_ppl_ratio"`
}

// KLStats summarise a KL divergence over positions, in nats: mean with its
// standard error, and percentiles interpolated linearly between order
// statistics.
type KLStats struct {
	Mean   float64 `json:"mean"`
	Stderr float64 `json:"stderr"`
	Max    float64 `json:"max"`
	P99_9  float64 `json:"p99_9"`
	P99    float64 `json:"p99"`
	P95    float64 `json:"p95"`
	P90    float64 `json:"p90"`
	Median float64 `json:"median"`
	P10    float64 `json:"p10"`
	P5     float64 `json:"p5"`
	P1     float64 `json:"p1"`
	P0_1   float64 `json:"p0_1"`
	Min    float64 `json:"min"`
}

// Report summarises what was scored so far.
func (e *Evaluator) Report() Report {
	e.Wait() // a remote evaluator's windows in flight
	a := &e.acc
	r := Report{Documents: a.documents, Window: WindowInfo{e.opt.Scheme, e.opt.Ctx, e.opt.Stride, e.opt.AddBOS},
		Tokens: a.tokens, TokensAvailable: a.available, Bytes: a.bytes, Words: a.words, Characters: a.chars}
	r.MeanNLL = mean(a.nll, a.tokens)
	r.MeanNLLStderr = stderr(a.nll, a.nllSq, a.tokens)
	r.PPL = math.Exp(r.MeanNLL)
	r.WordPPL = math.Exp(mean(a.nll, a.words))
	r.BytePPL = math.Exp(mean(a.nll, a.bytes))
	r.BPB = mean(a.nll, a.bytes) / math.Ln2
	r.BPC = mean(a.nll, a.chars) / math.Ln2
	r.Top1Acc = mean(float64(a.correct), a.tokens)
	if e.opt.Entropy {
		r.MeanEntropy = mean(a.entropy, a.tokens)
	}
	r.Calibration = a.calibration.Report()
	var classed int64
	for _, n := range a.classCount {
		classed += n
	}
	for c := range numClasses {
		if n := a.classCount[c]; n > 0 {
			r.ByClass = append(r.ByClass, ClassRow{Class: c.String(), Tokens: n, Share: float64(n) / float64(classed),
				MeanNLL: a.classNLL[c] / float64(n), LossShare: ratio(a.classNLL[c], a.nll)})
		}
	}
	r.ByFrequency = e.frequencyReport()
	for b, n := range a.posCount {
		lo, hi := 0, 0
		if b > 0 {
			lo, hi = 1<<(b-1), 1<<b-1
		}
		r.ByPosition = append(r.ByPosition, PositionRow{Lo: lo, Hi: min(hi, e.opt.Ctx-1), Tokens: n, MeanNLL: mean(a.posNLL[b], n)})
	}
	if e.base != nil {
		r.Base = a.baseReport()
	}
	return r
}

// frequencyReport buckets the target ids by their count in decades: 0,
// 1–9, 10–99, ...
func (e *Evaluator) frequencyReport() FrequencyReport {
	a := &e.acc
	counts, source := e.counts, "training"
	if counts == nil {
		counts, source = a.idCount, "evaluated text"
	}
	var rows []FrequencyRow
	var nll []float64 // [bucket] Σ NLL of its targets
	bucket := func(c int64) int {
		if c == 0 {
			return 0
		}
		return int(math.Floor(math.Log10(float64(c)))) + 1
	}
	for id, n := range a.idCount {
		if n == 0 {
			continue
		}
		b := bucket(counts[id])
		for len(rows) <= b {
			k := len(rows)
			lo, hi := int64(0), int64(0)
			if k > 0 {
				lo, hi = int64(math.Pow10(k-1)), int64(math.Pow10(k))-1
			}
			rows = append(rows, FrequencyRow{Lo: lo, Hi: hi})
			nll = append(nll, 0)
		}
		rows[b].Tokens += n
		rows[b].Distinct++
		nll[b] += a.idNLL[id]
	}
	out := FrequencyReport{Source: source}
	for b, row := range rows {
		if row.Tokens == 0 {
			continue
		}
		row.Share = float64(row.Tokens) / float64(a.tokens)
		row.MeanNLL = nll[b] / float64(row.Tokens)
		out.Buckets = append(out.Buckets, row)
	}
	return out
}

func (a *accumulator) baseReport() *BaseReport {
	n := int64(len(a.klds))
	if n == 0 {
		return &BaseReport{}
	}
	s := slices.Clone(a.klds)
	slices.Sort(s)
	q := func(p float64) float64 {
		x := p * float64(len(s)-1)
		i := int(x)
		if i+1 >= len(s) {
			return float64(s[len(s)-1])
		}
		return float64(s[i]) + (x-float64(i))*float64(s[i+1]-s[i])
	}
	r := &BaseReport{KLBaseModel: KLStats{Mean: a.kl / float64(n), Stderr: stderr(a.kl, a.klSq, n),
		Max: float64(s[len(s)-1]), P99_9: q(0.999), P99: q(0.99), P95: q(0.95), P90: q(0.90), Median: q(0.5),
		P10: q(0.10), P5: q(0.05), P1: q(0.01), P0_1: q(0.001), Min: float64(s[0])},
		KLModelBase: a.klModelBase / float64(n),
		RMSDeltaP:   math.Sqrt(a.deltaPSq / float64(n)), SameTop: float64(a.sameTop) / float64(n)}
	r.PPL = math.Exp(a.nll / float64(a.tokens))
	r.BasePPL = math.Exp(a.baseNLL / float64(a.tokens))
	r.LnPPLRatio = (a.nll - a.baseNLL) / float64(a.tokens)
	r.PPLRatio = math.Exp(r.LnPPLRatio)
	return r
}

// WriteTable prints the report as readable tables.
func (r Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	p := func(format string, args ...any) { fmt.Fprintf(tw, format, args...) }
	if r.Partial {
		p("PARTIAL: interrupted; these are the tokens scored before the stop\n")
	}
	win := fmt.Sprintf("%s, ctx %d", r.Window.Scheme, r.Window.Ctx)
	if r.Window.Scheme == Strided {
		win += fmt.Sprintf(", stride %d", r.Window.Stride)
	}
	if r.Window.Scheme == LlamaCpp {
		win += map[bool]string{true: ", BOS added", false: ", no BOS"}[r.Window.AddBOS]
	}
	p("window\t%s\n", win)
	p("documents\t%d\n", r.Documents)
	if r.TokensAvailable > r.Tokens && !r.Partial {
		p("tokens scored\t%d of %d (capped)\n", r.Tokens, r.TokensAvailable)
	} else {
		p("tokens scored\t%d\n", r.Tokens)
	}
	p("bytes / characters / words\t%d / %d / %d\n", r.Bytes, r.Characters, r.Words)
	p("mean NLL\t%.4f ± %.4f nats/token\n", r.MeanNLL, r.MeanNLLStderr)
	p("perplexity\t%.3f\n", r.PPL)
	p("word / byte perplexity\t%.3f / %.4f\n", r.WordPPL, r.BytePPL)
	p("bits per byte / character\t%.4f / %.4f\n", r.BPB, r.BPC)
	p("top-1 accuracy\t%.2f%%\n", 100*r.Top1Acc)
	if r.MeanEntropy > 0 {
		p("mean entropy\t%.4f nats\n", r.MeanEntropy)
	}
	c := r.Calibration
	p("calibration (15 bins)\tECE %.4f  MCE %.4f  RMS %.4f\n", c.ECE, c.MCE, c.RMS)
	p("\nclass\ttokens\tshare\tmean NLL\tshare of loss\n")
	for _, row := range r.ByClass {
		p("%s\t%d\t%.1f%%\t%.3f\t%.1f%%\n", row.Class, row.Tokens, 100*row.Share, row.MeanNLL, 100*row.LossShare)
	}
	p("\ntarget seen in %s\ttokens\tdistinct\tshare\tmean NLL\n", r.ByFrequency.Source)
	for _, row := range r.ByFrequency.Buckets {
		span := "never"
		if row.Hi > 0 {
			span = fmt.Sprintf("%d–%d times", row.Lo, row.Hi)
		}
		p("%s\t%d\t%d\t%.1f%%\t%.3f\n", span, row.Tokens, row.Distinct, 100*row.Share, row.MeanNLL)
	}
	p("\nposition in window\ttokens\tmean NLL\n")
	for _, row := range r.ByPosition {
		if row.Tokens > 0 {
			p("%d–%d\t%d\t%.3f\n", row.Lo, row.Hi, row.Tokens, row.MeanNLL)
		}
	}
	if b := r.Base; b != nil {
		k := b.KLBaseModel
		p("\nKL(base ‖ model)\t%.6f ± %.6f nats\n", k.Mean, k.Stderr)
		p("max / 99.9%% / 99%% / 95%% / 90%%\t%.6f / %.6f / %.6f / %.6f / %.6f\n", k.Max, k.P99_9, k.P99, k.P95, k.P90)
		p("median / 10%% / 5%% / 1%% / 0.1%% / min\t%.6f / %.6f / %.6f / %.6f / %.6f / %.6f\n", k.Median, k.P10, k.P5, k.P1, k.P0_1, k.Min)
		p("KL(model ‖ base)\t%.6f nats (mean)\n", b.KLModelBase)
		p("RMS Δp\t%.3f%%\n", 100*b.RMSDeltaP)
		p("same top p\t%.3f%%\n", 100*b.SameTop)
		p("PPL(Q) / PPL(base)\t%.4f / %.4f\n", b.PPL, b.BasePPL)
		p("PPL ratio / ln ratio\t%.6f / %.6f\n", b.PPLRatio, b.LnPPLRatio)
	}
	return tw.Flush()
}
