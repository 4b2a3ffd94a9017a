package study

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/xent-dev/xent/data"
	"github.com/xent-dev/xent/eval"
	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/modeldir"
	"github.com/xent-dev/xent/train"
)

// SmoothingOptions configure RunSmoothing: one training run for every
// label smoothing ε and seed, identical otherwise.
type SmoothingOptions struct {
	Epsilons []float64 `json:"epsilons"` // ε of the training loss, each in [0, 1), distinct
	Seeds    []uint64  `json:"seeds"`    // each ε is trained once per seed (initial weights and batch order), distinct
	// Start is the run every (ε, seed) repeats: the corpus (prepared once,
	// its tokenizer trained once when it names none), the model's shape and
	// the settings. Settings.LabelSmoothing and Settings.Seed are each run's
	// own; Settings.EvalEvery is ignored (each run is evaluated once, at its
	// end); Resume and InitFrom must be empty: every run is a new model.
	Start train.Start `json:"-"`
	// EvalTokens caps the held-out tokens each run is scored on, the first
	// of the split (0: all of them).
	EvalTokens int `json:"eval_tokens"`

	// Logf, if not nil, is told of each run as it starts and ends; OnStep
	// of every optimizer step of run number run (0-based, in Runs order).
	Logf   func(format string, args ...any)                   `json:"-"`
	OnStep func(run int, s train.StepStats, p train.Progress) `json:"-"`
}

// Validate reports options no study could run with, before any tokenizer
// is trained.
func (o SmoothingOptions) Validate() error {
	if len(o.Epsilons) == 0 {
		return fmt.Errorf("study: smoothing: no ε to train with")
	}
	for i, e := range o.Epsilons {
		if !(e >= 0 && e < 1) {
			return fmt.Errorf("study: smoothing: ε %g is outside [0, 1)", e)
		}
		if slices.Contains(o.Epsilons[:i], e) {
			return fmt.Errorf("study: smoothing: ε %g is given twice", e)
		}
	}
	if len(o.Seeds) == 0 {
		return fmt.Errorf("study: smoothing: no seed to train with")
	}
	for i, s := range o.Seeds {
		if slices.Contains(o.Seeds[:i], s) {
			return fmt.Errorf("study: smoothing: seed %d is given twice", s)
		}
	}
	if o.EvalTokens < 0 {
		return fmt.Errorf("study: smoothing: held-out token cap %d must be ≥ 0 (0: all)", o.EvalTokens)
	}
	if o.Start.Resume != "" || o.Start.InitFrom != "" {
		return fmt.Errorf("study: smoothing: every run trains a new model; it cannot resume or start from %s", o.Start.Resume+o.Start.InitFrom)
	}
	if _, err := model.SmallConfig(o.Start.Arch, 0, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("study: smoothing: %w", err)
	}
	return o.Start.Settings.Validate()
}

// SmoothingRun is one trained model, scored on the held-out split.
type SmoothingRun struct {
	Epsilon   float64 `json:"epsilon"`
	Seed      uint64  `json:"seed"`
	TrainLoss float64 `json:"train_loss"` // the last step's training loss, smoothed targets: nats/token
	Seconds   float64 `json:"seconds"`    // training time, evaluations excluded
	// Held out: the plain NLL (no smoothing), its perplexity, the top-1
	// token's calibration, its accuracy, the mean entropy of the predictive
	// distribution, the mean confidence of the top-1 token, and its gap
	// to the accuracy (> 0: overconfident).
	Loss       float64    `json:"loss"`
	PPL        float64    `json:"ppl"`
	ECE        float64    `json:"ece"`
	MCE        float64    `json:"mce"`
	Top1       float64    `json:"top1_acc"`
	Entropy    float64    `json:"mean_entropy"`
	Confidence float64    `json:"mean_confidence"`
	Gap        float64    `json:"confidence_gap"`
	Bins       []eval.Bin `json:"bins"` // the reliability diagram's
}

// Spread is a measure over the seeds of one ε: the mean, the sample
// standard deviation (0 for one seed) and the range.
type Spread struct {
	Mean float64 `json:"mean"`
	SD   float64 `json:"sd"`
	Min  float64 `json:"min"`
	Max  float64 `json:"max"`
}

func spreadOf(xs []float64) Spread {
	s := Spread{Min: math.Inf(1), Max: math.Inf(-1)}
	for _, x := range xs {
		s.Mean += x / float64(len(xs))
		s.Min, s.Max = min(s.Min, x), max(s.Max, x)
	}
	if len(xs) > 1 {
		var ss float64
		for _, x := range xs {
			ss += (x - s.Mean) * (x - s.Mean)
		}
		s.SD = math.Sqrt(ss / float64(len(xs)-1))
	}
	return s
}

// separate reports whether the ranges of a and b do not overlap.
func (a Spread) separate(b Spread) bool { return a.Max < b.Min || b.Max < a.Min }

// ArticleSmoothingRow is a row of the source article's label smoothing
// table: a 1.3B-parameter model's validation perplexity, expected
// calibration error and downstream accuracy at one ε.
type ArticleSmoothingRow struct {
	Epsilon       float64 `json:"epsilon"`
	PPL           float64 `json:"ppl"`
	ECE           float64 `json:"ece"`
	DownstreamAcc float64 `json:"downstream_acc"`
}

// ArticleSmoothing is the article's table, the claims the study tests.
var ArticleSmoothing = []ArticleSmoothingRow{
	{0, 8.21, 0.142, 0.732},
	{0.05, 8.15, 0.068, 0.738},
	{0.1, 8.18, 0.041, 0.741},
	{0.2, 8.35, 0.032, 0.735},
	{0.3, 8.72, 0.028, 0.721},
}

// SmoothingRow is one ε over its seeds, beside the article's row for the
// same ε if it has one.
type SmoothingRow struct {
	Epsilon    float64              `json:"epsilon"`
	Seeds      int                  `json:"seeds"`
	PPL        Spread               `json:"ppl"`
	ECE        Spread               `json:"ece"`
	MCE        Spread               `json:"mce"`
	Top1       Spread               `json:"top1_acc"`
	Entropy    Spread               `json:"mean_entropy"`
	Confidence Spread               `json:"mean_confidence"`
	Gap        Spread               `json:"confidence_gap"`
	Article    *ArticleSmoothingRow `json:"article,omitempty"`
}

// Finding is the verdict on one of the article's claims, computed from
// the rows.
type Finding struct {
	Claim string `json:"claim"`
	// Holds is "yes", "partly", "no" or "not measured" (the ε it needs are
	// not in the study).
	Holds string `json:"holds"`
	// Spread says whether the difference the claim is about is larger than
	// the run-to-run spread: "beyond" when the compared rows' ranges over
	// seeds do not overlap, "within" when they do, "unmeasured" with one
	// seed.
	Spread string `json:"spread"`
	// Paired compares the same two rows seed by seed (a seed's runs share
	// their initial weights and batches, so most of the run-to-run spread
	// cancels): "consistent" when every seed's difference has the sign of
	// the means' difference, "mixed" when not, "unmeasured" with fewer
	// than two seeds run at both.
	Paired   string `json:"paired"`
	Evidence string `json:"evidence"`
}

// Smoothing is the result of RunSmoothing: every run, each ε over its
// seeds, and the verdict on the article's claims.
type Smoothing struct {
	Options SmoothingOptions `json:"options"`
	// Partial: the study stopped early (interrupted); Runs are the ones that
	// finished.
	Partial bool           `json:"partial,omitempty"`
	Tokens  int64          `json:"held_out_tokens"` // scored per run
	Runs    []SmoothingRun `json:"runs"`
	Rows    []SmoothingRow `json:"rows"`
	Verdict []Finding      `json:"verdict"`
}

// RunSmoothing trains one model per ε of o.Epsilons (in ascending order)
// and seed of o.Seeds on o.Start's corpus, each from its seed's initial
// weights and batch order, and scores each on the held-out split through
// package eval, as xent eval scores a document (disjoint windows of the
// training context, the first token conditioned on BOS), with the plain
// NLL. When ctx is cancelled it returns the runs finished so far, marked
// Partial, with the error.
func RunSmoothing(ctx context.Context, o SmoothingOptions) (Smoothing, error) {
	if err := o.Validate(); err != nil {
		return Smoothing{}, err
	}
	o.Epsilons = slices.Sorted(slices.Values(o.Epsilons))
	res := Smoothing{Options: o}
	logf := func(format string, args ...any) {
		if o.Logf != nil {
			o.Logf(format, args...)
		}
	}
	corpus, err := data.Prepare(o.Start.Corpus)
	if err != nil {
		return res, err
	}
	tok := corpus.Tokenizer
	bos, err := modeldir.TokenizerBOS(tok)
	if err != nil {
		return res, err
	}
	held := train.HeldOut{Tokens: corpus.HeldOutTokens, BOS: bos, Tokenizer: tok, MaxTokens: o.EvalTokens}
	runs := len(o.Epsilons) * len(o.Seeds)
	for i, eps := range o.Epsilons {
		for j, seed := range o.Seeds {
			k := i*len(o.Seeds) + j
			s := o.Start
			s.Settings.LabelSmoothing, s.Settings.Seed, s.Settings.EvalEvery = float32(eps), seed, 0
			t, err := s.New(corpus)
			if err != nil {
				return res, err
			}
			logf("run %d of %d: ε %g, seed %d", k+1, runs, eps, seed)
			var last train.StepStats
			r, err := train.Run(ctx, train.RunOptions{Trainer: t, Tokenizer: tok, HeldOut: held,
				OnStep: func(st train.StepStats, p train.Progress) {
					last = st
					if o.OnStep != nil {
						o.OnStep(k, st, p)
					}
				}})
			if err != nil {
				res.Partial = true
				res.Summarise()
				return res, fmt.Errorf("study: smoothing: run ε %g, seed %d: %w", eps, seed, err)
			}
			rep, err := eval.Tokens(ctx, t.Model, tok, bos, corpus.HeldOutTokens, eval.Options{Scheme: eval.Disjoint,
				Ctx: s.Settings.Context, MaxTokens: o.EvalTokens, Threads: s.Settings.Threads, Entropy: true})
			if err != nil {
				res.Partial = true
				res.Summarise()
				return res, fmt.Errorf("study: smoothing: run ε %g, seed %d: %w", eps, seed, err)
			}
			run := SmoothingRun{Epsilon: eps, Seed: seed, TrainLoss: last.Loss, Seconds: r.Elapsed.Seconds(),
				Loss: rep.MeanNLL, PPL: rep.PPL, ECE: rep.Calibration.ECE, MCE: rep.Calibration.MCE, Top1: rep.Top1Acc,
				Entropy: rep.MeanEntropy, Bins: rep.Calibration.Bins}
			var n int64
			for _, b := range run.Bins {
				run.Confidence += float64(b.Count) * b.Confidence
				n += b.Count
			}
			run.Confidence /= float64(n)
			run.Gap = run.Confidence - run.Top1
			res.Tokens = rep.Tokens
			res.Runs = append(res.Runs, run)
			logf("run %d of %d: ε %g, seed %d: held-out perplexity %.3f, ECE %.4f, top-1 %.2f%%, entropy %.3f nats (%.0f s)",
				k+1, runs, eps, seed, run.PPL, run.ECE, 100*run.Top1, run.Entropy, run.Seconds)
		}
	}
	res.Summarise()
	return res, nil
}

// Summarise computes Rows and Verdict from Runs and Options' ε.
// RunSmoothing calls it; a result read back from its JSON, or with the
// runs of several studies put together, can be summarised again.
func (s *Smoothing) Summarise() {
	s.Rows = nil
	for _, eps := range s.Options.Epsilons {
		var ppl, ece, mce, top1, ent, conf, gap []float64
		for _, r := range s.Runs {
			if r.Epsilon == eps {
				ppl, ece, mce = append(ppl, r.PPL), append(ece, r.ECE), append(mce, r.MCE)
				top1, ent = append(top1, r.Top1), append(ent, r.Entropy)
				conf, gap = append(conf, r.Confidence), append(gap, r.Gap)
			}
		}
		if len(ppl) == 0 {
			continue
		}
		row := SmoothingRow{Epsilon: eps, Seeds: len(ppl), PPL: spreadOf(ppl), ECE: spreadOf(ece), MCE: spreadOf(mce),
			Top1: spreadOf(top1), Entropy: spreadOf(ent), Confidence: spreadOf(conf), Gap: spreadOf(gap)}
		for _, a := range ArticleSmoothing {
			if a.Epsilon == eps {
				row.Article = &a
			}
		}
		s.Rows = append(s.Rows, row)
	}
	s.Verdict = smoothingVerdict(s.Rows, s.Runs)
}

// smoothingVerdict tests the article's claims on rows (ascending ε):
//
//   - ECE falls as ε grows: yes if the mean ECE falls at every step,
//     partly if it ends lower than it starts, no otherwise;
//   - ε ≈ 0.1 (the ε > 0 nearest 0.1, within [0.05, 0.15]) calibrates much
//     better than ε = 0: yes if its mean ECE is at most half of ε = 0's,
//     partly if lower, no otherwise;
//   - without smoothing the model is overconfident: yes if ε = 0's mean
//     confidence exceeds its accuracy;
//   - up to ε ≈ 0.1 perplexity barely moves: yes if the means differ by at
//     most 1%, or if the ranges overlap and the seeds do not agree on the
//     direction;
//   - past ε ≈ 0.1 perplexity rises: yes if the mean rises at every step
//     from ε ≈ 0.1 on, partly if it ends higher, no otherwise.
//
// Each finding's Spread and Paired compare the two rows its difference is
// between (for the overconfidence, the gap at ε = 0 with zero).
func smoothingVerdict(rows []SmoothingRow, runs []SmoothingRun) []Finding {
	var zero, tenth *SmoothingRow
	tenthAt := -1
	for i := range rows {
		r := &rows[i]
		if r.Epsilon == 0 {
			zero = r
		} else if r.Epsilon >= 0.05 && r.Epsilon <= 0.15 && (tenth == nil || math.Abs(r.Epsilon-0.1) < math.Abs(tenth.Epsilon-0.1)) {
			tenth, tenthAt = r, i
		}
	}
	seeds := math.MaxInt
	for _, r := range rows {
		seeds = min(seeds, r.Seeds)
	}
	spread := func(a, b Spread) string {
		switch {
		case seeds < 2:
			return "unmeasured"
		case a.separate(b):
			return "beyond"
		}
		return "within"
	}
	// paired compares f at ε a and b seed by seed.
	paired := func(a, b float64, f func(SmoothingRun) float64) string {
		at := map[uint64]float64{}
		for _, r := range runs {
			if r.Epsilon == a {
				at[r.Seed] = f(r)
			}
		}
		var diffs []float64
		var mean float64
		for _, r := range runs {
			if x, ok := at[r.Seed]; ok && r.Epsilon == b {
				diffs = append(diffs, f(r)-x)
				mean += f(r) - x
			}
		}
		if len(diffs) < 2 {
			return "unmeasured"
		}
		for _, d := range diffs {
			if d*mean <= 0 {
				return "mixed"
			}
		}
		return "consistent"
	}
	notMeasured := func(claim, needs string) Finding {
		return Finding{Claim: claim, Holds: "not measured", Spread: "unmeasured", Paired: "unmeasured", Evidence: "needs " + needs}
	}
	means := func(rows []SmoothingRow, f func(SmoothingRow) Spread, format string) string {
		var b strings.Builder
		for i, r := range rows {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "ε %g: "+format, r.Epsilon, f(r).Mean)
		}
		return b.String()
	}
	ece := func(r SmoothingRow) Spread { return r.ECE }
	ppl := func(r SmoothingRow) Spread { return r.PPL }
	runECE := func(r SmoothingRun) float64 { return r.ECE }
	runPPL := func(r SmoothingRun) float64 { return r.PPL }
	// trend is yes if f's mean moves in direction sign (−1 falls, +1 rises)
	// at every step of rs, partly if only from the first to the last.
	trend := func(rs []SmoothingRow, f func(SmoothingRow) Spread, sign float64) string {
		every := true
		for i := 1; i < len(rs); i++ {
			every = every && sign*(f(rs[i]).Mean-f(rs[i-1]).Mean) > 0
		}
		switch {
		case every:
			return "yes"
		case sign*(f(rs[len(rs)-1]).Mean-f(rs[0]).Mean) > 0:
			return "partly"
		}
		return "no"
	}
	var out []Finding

	const falls = "ECE falls as ε grows (article: 0.142 at ε 0 down to 0.028 at ε 0.3)"
	if len(rows) < 2 {
		out = append(out, notMeasured(falls, "two ε or more"))
	} else {
		first, last := rows[0], rows[len(rows)-1]
		best := rows[0]
		for _, r := range rows {
			if r.ECE.Mean < best.ECE.Mean {
				best = r
			}
		}
		out = append(out, Finding{Claim: falls, Holds: trend(rows, ece, -1), Spread: spread(first.ECE, last.ECE),
			Paired:   paired(first.Epsilon, last.Epsilon, runECE),
			Evidence: fmt.Sprintf("mean ECE %s; lowest at ε %g", means(rows, ece, "%.4f"), best.Epsilon)})
	}

	const better = "ε ≈ 0.1 calibrates much better than ε = 0 (article: ECE 0.142 → 0.041)"
	if zero == nil || tenth == nil {
		out = append(out, notMeasured(better, "ε 0 and an ε in [0.05, 0.15]"))
	} else {
		holds, ratio := "no", tenth.ECE.Mean/zero.ECE.Mean
		switch {
		case ratio <= 0.5:
			holds = "yes"
		case ratio < 1:
			holds = "partly"
		}
		out = append(out, Finding{Claim: better, Holds: holds, Spread: spread(zero.ECE, tenth.ECE), Paired: paired(0, tenth.Epsilon, runECE),
			Evidence: fmt.Sprintf("mean ECE %.4f at ε 0, %.4f at ε %g (×%.2f)", zero.ECE.Mean, tenth.ECE.Mean, tenth.Epsilon, ratio)})
	}

	const over = "without smoothing the model is overconfident (article: \"overconfident\" at ε 0)"
	if zero == nil {
		out = append(out, notMeasured(over, "ε 0"))
	} else {
		g := zero.Gap
		holds, sp, pa := "no", "within", "mixed"
		if g.Mean > 0 {
			holds = "yes"
		}
		switch {
		case zero.Seeds < 2:
			sp, pa = "unmeasured", "unmeasured"
		case g.Min > 0 || g.Max < 0: // every seed on the same side of calibrated
			sp, pa = "beyond", "consistent"
		}
		out = append(out, Finding{Claim: over, Holds: holds, Spread: sp, Paired: pa,
			Evidence: fmt.Sprintf("at ε 0 the top-1 token's mean confidence %.4f against accuracy %.4f (gap %+.4f, seeds %+.4f to %+.4f)",
				zero.Confidence.Mean, zero.Top1.Mean, g.Mean, g.Min, g.Max)})
	}

	const flat = "up to ε ≈ 0.1 perplexity barely moves (article: 8.21 → 8.18)"
	if zero == nil || tenth == nil {
		out = append(out, notMeasured(flat, "ε 0 and an ε in [0.05, 0.15]"))
	} else {
		rel := tenth.PPL.Mean/zero.PPL.Mean - 1
		holds, sp, pa := "no", spread(zero.PPL, tenth.PPL), paired(0, tenth.Epsilon, runPPL)
		if math.Abs(rel) <= 0.01 || sp == "within" && pa != "consistent" {
			holds = "yes"
		}
		out = append(out, Finding{Claim: flat, Holds: holds, Spread: sp, Paired: pa,
			Evidence: fmt.Sprintf("mean perplexity %.3f at ε 0, %.3f at ε %g (%+.2f%%)", zero.PPL.Mean, tenth.PPL.Mean, tenth.Epsilon, 100*rel)})
	}

	const rises = "past ε ≈ 0.1 perplexity rises (article: 8.18 → 8.35 → 8.72 at ε 0.1, 0.2, 0.3)"
	if tenth == nil || tenthAt == len(rows)-1 {
		out = append(out, notMeasured(rises, "an ε in [0.05, 0.15] and a larger one"))
	} else {
		past := rows[tenthAt:]
		out = append(out, Finding{Claim: rises, Holds: trend(past, ppl, +1), Spread: spread(tenth.PPL, past[len(past)-1].PPL),
			Paired:   paired(tenth.Epsilon, past[len(past)-1].Epsilon, runPPL),
			Evidence: "mean perplexity " + means(past, ppl, "%.3f")})
	}
	return out
}

// WriteTable prints each ε's means over its seeds, ± half their range,
// beside the article's numbers; then every run; then the verdict.
func (s Smoothing) WriteTable(w io.Writer) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	p := func(format string, args ...any) { fmt.Fprintf(tw, format, args...) }
	if s.Partial {
		p("PARTIAL: interrupted; these are the runs that finished\n\n")
	}
	pm := func(x Spread, format string, scale float64) string {
		return fmt.Sprintf(format+" ±"+strings.Replace(format, "+", "", 1), scale*x.Mean, scale*(x.Max-x.Min)/2)
	}
	p("ε\tseeds\tperplexity\tECE\tMCE\ttop-1 %%\tentropy (nats)\tconfidence − accuracy\t│ article: PPL\tECE\tdownstream acc %%\n")
	for _, r := range s.Rows {
		p("%g\t%d\t%s\t%s\t%s\t%s\t%s\t%s", r.Epsilon, r.Seeds, pm(r.PPL, "%.2f", 1), pm(r.ECE, "%.4f", 1), pm(r.MCE, "%.3f", 1),
			pm(r.Top1, "%.2f", 100), pm(r.Entropy, "%.3f", 1), pm(r.Gap, "%+.4f", 1))
		if a := r.Article; a != nil {
			p("\t│ %.2f\t%.3f\t%.1f\n", a.PPL, a.ECE, 100*a.DownstreamAcc)
		} else {
			p("\t│ –\t–\t–\n")
		}
	}
	p("\n± is half the range over seeds. Held out: %d tokens per run, the plain NLL; the article's model has 1.3B parameters and\n", s.Tokens)
	p("its accuracy is on downstream tasks, ours is the next token's top-1.\n\n")
	p("ε\tseed\ttrain loss\tperplexity\tECE\tMCE\ttop-1 %%\tentropy\tconfidence\ttraining s\n")
	for _, r := range s.Runs {
		p("%g\t%d\t%.4f\t%.3f\t%.4f\t%.4f\t%.2f\t%.4f\t%.4f\t%.0f\n", r.Epsilon, r.Seed, r.TrainLoss, r.PPL, r.ECE, r.MCE, 100*r.Top1, r.Entropy, r.Confidence, r.Seconds)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nverdict on the article's claims (the difference against the seeds' min–max ranges, and seed by seed):")
	spread := map[string]string{"beyond": "beyond the seed spread", "within": "within the seed spread", "unmeasured": "one seed: no spread"}
	for _, f := range s.Verdict {
		sp := " (" + spread[f.Spread]
		if f.Paired != "unmeasured" {
			sp += "; seed by seed " + f.Paired
		}
		sp += ")"
		if f.Holds == "not measured" {
			sp = ""
		}
		fmt.Fprintf(w, "  %s: %s%s\n    %s\n", f.Claim, f.Holds, sp, f.Evidence)
	}
}
