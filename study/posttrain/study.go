package posttrain

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xent-dev/xent/data"
	"github.com/xent-dev/xent/eval"
	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/modeldir"
	"github.com/xent-dev/xent/prefs"
	"github.com/xent-dev/xent/train"
	"github.com/xent-dev/xent/tune"
)

// Data is the study's held-out material: negation pairs to train on, pairs
// to score, and plain text to measure perplexity and KL on.
type Data struct {
	TrainPairs, HeldOutPairs []Pair
	// PlainText is the held-out text of the held-out pairs as token ids,
	// scored as xent eval scores a document (eval.Disjoint, the model's
	// context, the first token conditioned on BOS).
	PlainText []int32
	BOS       int32
	Tokens    int // tokens of PlainText
}

// Options configure the study.
type Options struct {
	Corpus       string  // built-in corpus whose held-out split the pairs come from (opticks)
	HeldOutShare float64 // share of the held-out text (its end) kept for held-out pairs and plain text
	Pairs        PairOptions
	Steps, Batch int
	Seed         uint64
	LogEvery     int
	Threads      int
}

// DefaultOptions is the study as the README reports it.
var DefaultOptions = Options{Corpus: "opticks", HeldOutShare: 0.3,
	Pairs: PairOptions{MinChars: 30, MaxChars: 220, MaxPrompt: 100, MaxFlips: 3},
	Steps: 150, Batch: 8, Seed: 1, LogEvery: 25}

// Method is one row of the comparison: a tune method, its loss and its
// learning rate.
type Method struct {
	Name          string
	Method        tune.Method
	Spec          prefs.Spec
	LR            float64
	PrecomputeRef bool
}

// Methods are the study's rows: SFT on the chosen side, DPO (with a
// reference model, and with precomputed reference log-probabilities), KTO,
// ORPO and SimPO, each with TRL's default β.
var Methods = []Method{
	{Name: "SFT (chosen)", Method: tune.SFT, LR: 1e-5},
	{Name: "DPO", Method: tune.DPO, Spec: prefs.Spec{Type: "dpo", Beta: 0.1}, LR: 1e-5},
	{Name: "DPO, precomputed ref", Method: tune.DPO, Spec: prefs.Spec{Type: "dpo", Beta: 0.1}, LR: 1e-5, PrecomputeRef: true},
	{Name: "KTO", Method: tune.KTO, Spec: prefs.Spec{Type: "kto", Beta: 0.1, DesirableWeight: 1, UndesirableWeight: 1}, LR: 1e-5},
	{Name: "ORPO", Method: tune.ORPO, Spec: prefs.Spec{Type: "orpo", Beta: 0.1}, LR: 1e-5},
	{Name: "SimPO", Method: tune.SimPO, Spec: prefs.Spec{Type: "simpo", Beta: 2, Gamma: 0.5}, LR: 1e-5},
}

// Row is one method's measurements.
type Row struct {
	Name        string
	Reference   string  // none, model (a frozen copy in memory) or precomputed
	PeakRSS     float64 // MiB, the process's peak resident set during the run (fine-tuning only)
	BaselineRSS float64 // MiB resident before the run's models were loaded
	// LiveHeap is the Go heap in use (MiB) right after the last step, after
	// a collection, with everything the method holds still held (policy,
	// gradients, AdamW moments, activations, reference model or table) and
	// the base model kept for scoring: unlike RSS it does not depend on
	// when the collector last ran.
	LiveHeap  float64
	StepMS    float64 // wall milliseconds per optimizer step
	StepCPUMS float64 // CPU milliseconds (all threads) per optimizer step
	// StepMinMS, StepMedianMS and StepMaxMS spread the steps' wall times.
	StepMinMS, StepMedianMS, StepMaxMS float64
	PrecomputeS                        float64 // seconds spent precomputing reference log-probabilities
	PairAccuracy                       float64 // held-out pairs whose chosen side the model finds more probable
	// InsertAccuracy and RemovalAccuracy split PairAccuracy by the flip: a
	// "not" inserted into the rejected side, or removed from it.
	InsertAccuracy, RemovalAccuracy float64
	// RewardAccuracy is DPO's implicit-reward accuracy with the base as the
	// reference: held-out pairs whose margin log π(c) − log π(r) grew over
	// the base model's (NaN for the base itself), split by flip like the
	// pair accuracy.
	RewardAccuracy, InsertReward, RemovalReward float64
	KLPolicyBase                                float64 // mean KL(π ‖ base) per token of held-out plain text, nats
	Perplexity                                  float64 // on held-out plain text
	DeltaPPL                                    float64 // relative change of Perplexity against the base
	FinalLoss                                   float64
}

// Result is the whole study.
type Result struct {
	TrainPairs, HeldOutPairs int
	HeldOutRemovals          int // held-out pairs whose flip removed a negation
	TextTokens               int
	Base                     Row
	Rows                     []Row
}

// PrepareData builds the negation pairs from the held-out split of the
// corpus: the first 1 − HeldOutShare of it gives the training pairs, the
// rest the held-out pairs and the plain text, so no method ever trains on
// a sentence it is scored on.
func PrepareData(o Options, pre *modeldir.Pretrained) (Data, error) {
	text, err := data.Builtin(o.Corpus)
	if err != nil {
		return Data{}, err
	}
	_, held := data.Split(text)
	cut := int(float64(len(held)) * (1 - o.HeldOutShare))
	if sp := strings.IndexByte(string(held[cut:]), ' '); sp >= 0 {
		cut += sp // a byte boundary inside the text, never inside a UTF-8 character
	}
	d := Data{TrainPairs: fitting(BuildPairs(string(held[:cut]), o.Pairs), pre), HeldOutPairs: fitting(BuildPairs(string(held[cut:]), o.Pairs), pre)}
	if len(d.TrainPairs) == 0 || len(d.HeldOutPairs) == 0 {
		return Data{}, fmt.Errorf("posttrain: corpus %s gives %d training and %d held-out pairs", o.Corpus, len(d.TrainPairs), len(d.HeldOutPairs))
	}
	if d.BOS, err = pre.BOS(); err != nil {
		return Data{}, err
	}
	d.PlainText = pre.Tokenizer.Encode(held[cut:])
	d.Tokens = len(d.PlainText)
	return d, nil
}

// fitting keeps the pairs whose longer side fits the model's context after
// BOS and the prompt.
func fitting(pairs []Pair, pre *modeldir.Pretrained) []Pair {
	var out []Pair
	for _, p := range pairs {
		n := 1 + len(pre.Tokenizer.Encode([]byte(p.Prompt))) + max(len(pre.Tokenizer.Encode([]byte(p.Chosen))), len(pre.Tokenizer.Encode([]byte(p.Rejected))))
		if n-1 <= pre.Model.MaxSeqLen() {
			out = append(out, p)
		}
	}
	return out
}

// examples turns pairs into the records of a method's data format. KTO
// gets every chosen side (desirable) and then every rejected side, so that
// each example's mismatched completion (the previous example's) belongs to
// another pair.
func examples(pairs []Pair, f tune.Format) []tune.Example {
	var ex []tune.Example
	for i, p := range pairs {
		switch f {
		case tune.PairFormat:
			ex = append(ex, tune.Example{Line: i + 1, Prompt: p.Prompt, Chosen: p.Chosen, Rejected: p.Rejected})
		default:
			ex = append(ex, tune.Example{Line: i + 1, Prompt: p.Prompt, Chosen: p.Chosen, Desirable: true})
		}
	}
	if f == tune.UnpairedFormat {
		for i, p := range pairs {
			ex = append(ex, tune.Example{Line: len(pairs) + i + 1, Prompt: p.Prompt, Chosen: p.Rejected})
		}
	}
	return ex
}

// Items tokenizes pairs for a method.
func Items(pairs []Pair, f tune.Format, pre *modeldir.Pretrained) ([]tune.Item, error) {
	bos, err := pre.BOS()
	if err != nil {
		return nil, err
	}
	return tune.Tokenize(examples(pairs, f), f, pre.Tokenizer, bos, pre.Model.MaxSeqLen())
}

// Run fine-tunes a fresh copy of the base model (load gives one) with
// every method and measures each against base. Progress goes to logw.
func Run(o Options, methods []Method, base *modeldir.Pretrained, load func() (*modeldir.Pretrained, error), logw io.Writer) (Result, error) {
	d, err := PrepareData(o, base)
	if err != nil {
		return Result{}, err
	}
	res := Result{TrainPairs: len(d.TrainPairs), HeldOutPairs: len(d.HeldOutPairs), TextTokens: d.Tokens}
	for _, p := range d.HeldOutPairs {
		if p.Removal {
			res.HeldOutRemovals++
		}
	}
	heldOut, err := Items(d.HeldOutPairs, tune.PairFormat, base)
	if err != nil {
		return Result{}, err
	}
	fmt.Fprintf(logw, "posttrain: %d training pairs, %d held-out pairs, %d tokens of held-out plain text\n", res.TrainPairs, res.HeldOutPairs, res.TextTokens)
	var baseMargins []float64
	if res.Base, baseMargins, err = measure("base", base.Model, base.Model, heldOut, nil, d, o.Batch); err != nil {
		return Result{}, err
	}
	for _, m := range methods {
		row, err := runMethod(o, m, base, load, d, heldOut, baseMargins, logw)
		if err != nil {
			return Result{}, fmt.Errorf("posttrain: %s: %w", m.Name, err)
		}
		row.DeltaPPL = row.Perplexity/res.Base.Perplexity - 1
		fmt.Fprintf(logw, "posttrain: %s: held-out pair accuracy %.1f%%, KL(π ‖ base) %.4f, perplexity %+.2f%%, step wall ms mean %.0f (min %.0f, median %.0f, max %.0f), CPU ms %.0f, live heap %.1f MiB, peak RSS %.0f MiB\n",
			m.Name, 100*row.PairAccuracy, row.KLPolicyBase, 100*row.DeltaPPL, row.StepMS, row.StepMinMS, row.StepMedianMS, row.StepMaxMS, row.StepCPUMS, row.LiveHeap, row.PeakRSS)
		res.Rows = append(res.Rows, row)
	}
	return res, nil
}

func runMethod(o Options, m Method, base *modeldir.Pretrained, load func() (*modeldir.Pretrained, error), d Data, heldOut []tune.Item, baseMargins []float64, logw io.Writer) (Row, error) {
	items, err := Items(d.TrainPairs, m.Method.Format(), base)
	if err != nil {
		return Row{}, err
	}
	cfg := tune.Config{Method: m.Method, KTO: m.Spec.KTO(), Batch: o.Batch, Steps: o.Steps,
		Optim: train.Optim{LR: m.LR, Warmup: o.Steps / 10, Schedule: "cosine", MinLRRatio: 0.1, Beta2: 0.99, ClipNorm: 1}, Seed: o.Seed, PrecomputeRef: m.PrecomputeRef}
	if m.Method != tune.SFT && m.Method != tune.KTO {
		if cfg.Pair, err = m.Spec.PairLoss(); err != nil {
			return Row{}, err
		}
	}
	row := Row{Name: m.Name, Reference: "none"}
	runtime.GC()
	debug.FreeOSMemory()
	row.BaselineRSS = resetPeakRSS()
	policy, err := load()
	if err != nil {
		return Row{}, err
	}
	policy.Model.Threads = o.Threads
	var ref *model.Model
	if cfg.NeedsReference() {
		row.Reference = "precomputed"
		if !m.PrecomputeRef {
			row.Reference = "model"
			r, err := load()
			if err != nil {
				return Row{}, err
			}
			ref = r.Model
			ref.Threads = o.Threads
		}
	}
	start := time.Now()
	t, err := tune.New(policy.Model, ref, items, cfg)
	if err != nil {
		return Row{}, err
	}
	if m.PrecomputeRef {
		row.PrecomputeS = time.Since(start).Seconds()
	}
	start, cpu := time.Now(), cpuSeconds()
	err = t.Run(context.Background(), o.LogEvery, func(st tune.Stats, kl float64) {
		row.FinalLoss = st.Loss
		line := fmt.Sprintf("posttrain: %s step %d/%d loss %.4f", m.Name, st.Step, o.Steps, st.Loss)
		if !math.IsNaN(st.RewardAccuracy) { // SFT has no rewards
			line += fmt.Sprintf(" reward acc %.3g margin %.3g", st.RewardAccuracy, st.Margin)
		}
		fmt.Fprintf(logw, "%s KL(π ‖ start) %.4g\n", line, kl)
	})
	if err != nil {
		return Row{}, err
	}
	row.StepMS = 1000 * time.Since(start).Seconds() / float64(o.Steps)
	row.StepCPUMS = 1000 * (cpuSeconds() - cpu) / float64(o.Steps)
	ms := make([]float64, len(t.StepTimes))
	for i, d := range t.StepTimes {
		ms[i] = float64(d.Microseconds()) / 1000
	}
	slices.Sort(ms)
	row.StepMinMS, row.StepMedianMS, row.StepMaxMS = ms[0], ms[len(ms)/2], ms[len(ms)-1]
	row.PeakRSS = peakRSS()
	row.LiveHeap = liveHeap()
	runtime.KeepAlive(t)
	runtime.KeepAlive(ref)
	ref = nil
	measured, _, err := measure(m.Name, policy.Model, base.Model, heldOut, baseMargins, d, o.Batch)
	if err != nil {
		return Row{}, err
	}
	row.PairAccuracy, row.InsertAccuracy, row.RemovalAccuracy = measured.PairAccuracy, measured.InsertAccuracy, measured.RemovalAccuracy
	row.RewardAccuracy, row.InsertReward, row.RemovalReward = measured.RewardAccuracy, measured.InsertReward, measured.RemovalReward
	row.KLPolicyBase, row.Perplexity = measured.KLPolicyBase, measured.Perplexity
	return row, nil
}

// measure scores a model on the held-out pairs and plain text; baseMargins
// are the base model's pair margins (nil when measuring the base).
func measure(name string, m, base *model.Model, heldOut []tune.Item, baseMargins []float64, d Data, batch int) (Row, []float64, error) {
	margins, err := tune.PairMargins(m, heldOut, batch)
	if err != nil {
		return Row{}, nil, err
	}
	e, err := eval.New(m, nil, d.BOS, eval.Options{})
	if err != nil {
		return Row{}, nil, err
	}
	if err := e.SetBase(base, nil); err != nil {
		return Row{}, nil, err
	}
	if err := e.EvaluateTokens(context.Background(), d.PlainText); err != nil {
		return Row{}, nil, err
	}
	ev := e.Report()
	r := Row{Name: name, KLPolicyBase: ev.Base.KLModelBase, Perplexity: ev.PPL, RewardAccuracy: math.NaN(), InsertReward: math.NaN(), RemovalReward: math.NaN()}
	var all, ins, rem, reward, insReward, remReward [2]int // [wins, pairs]
	count := func(c *[2]int, win bool) {
		c[1]++
		if win {
			c[0]++
		}
	}
	for i, margin := range margins {
		kind, kindReward := &ins, &insReward
		if d.HeldOutPairs[i].Removal {
			kind, kindReward = &rem, &remReward
		}
		count(&all, margin > 0)
		count(kind, margin > 0)
		if baseMargins != nil {
			count(&reward, margin > baseMargins[i])
			count(kindReward, margin > baseMargins[i])
		}
	}
	frac := func(c [2]int) float64 { return float64(c[0]) / float64(c[1]) }
	r.PairAccuracy, r.InsertAccuracy, r.RemovalAccuracy = frac(all), frac(ins), frac(rem)
	if baseMargins != nil {
		r.RewardAccuracy, r.InsertReward, r.RemovalReward = frac(reward), frac(insReward), frac(remReward)
	}
	return r, margins, nil
}

// liveHeap collects garbage and returns the heap in use, MiB.
func liveHeap() float64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapAlloc) / (1 << 20)
}

// resetPeakRSS resets the kernel's peak resident-set mark of this process
// (Linux: "5" into /proc/self/clear_refs) and returns the current resident
// set in MiB (0 where /proc is missing).
func resetPeakRSS() float64 {
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	return procStatus("VmRSS")
}

// peakRSS is the peak resident set in MiB since the last reset.
func peakRSS() float64 { return procStatus("VmHWM") }

// procStatus reads a kB field of /proc/self/status as MiB.
func procStatus(field string) float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}
