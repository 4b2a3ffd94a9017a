package sweep

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/xent-dev/xent/internal/atomicfile"
	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/scaling"
	"github.com/xent-dev/xent/tokenizer"
	"github.com/xent-dev/xent/train"
)

// Shape is a model's depth and width; heads are chosen by the caller's
// model constructor.
type Shape struct {
	Layers int `json:"layers"`
	Width  int `json:"width"`
}

func (s Shape) String() string { return fmt.Sprintf("%dx%d", s.Layers, s.Width) }

// ParseShape reads "LAYERSxWIDTH", e.g. "2x64".
func ParseShape(s string) (Shape, error) {
	var sh Shape
	if _, err := fmt.Sscanf(s, "%dx%d", &sh.Layers, &sh.Width); err != nil || fmt.Sprint(sh) != s || sh.Layers < 1 || sh.Width < 1 {
		return Shape{}, fmt.Errorf("shape %q: want LAYERSxWIDTH with positive integers, e.g. 2x64", s)
	}
	return sh, nil
}

// Config is a sweep.
type Config struct {
	Shapes []Shape
	Grid   Grid
	// Budget is the wall clock for the whole sweep, timing included.
	Budget time.Duration
	// FlopRate, when positive, plans from a cost model instead of timing
	// each shape: training and evaluation are costed at FlopRate FLOP/s,
	// with 6 FLOPs per parameter per training token and 2 per held-out
	// token (every parameter counted, embeddings and head too). The plan
	// then depends only on the shapes, the grid, the settings, the
	// held-out length and the budget: the same plan on every machine,
	// loaded or not. The budget still bounds the wall clock. 0: time each
	// shape ([Config.Run]).
	FlopRate float64
	// Settings is the template of every run's training (batch, context,
	// learning rate, ...); Steps and Warmup are set per run, Warmup to at
	// most a tenth of the steps.
	Settings train.Settings
	// NewModel builds a freshly initialised model of a shape.
	NewModel func(Shape) (*model.Model, error)
	// Train and HeldOut are the token streams.
	Train, HeldOut []int32
	// HeldOutBOS starts the held-out document, as xent eval starts it
	// (modeldir.TokenizerBOS); Tokenizer, if not nil, counts its bytes for
	// bits per byte.
	HeldOutBOS int32
	Tokenizer  *tokenizer.Tokenizer
	// CSV is the file every finished run is written to; it must not exist.
	CSV string
	// Logf reports progress (nil: quiet).
	Logf func(format string, args ...any)
	// OnStep, if not nil, is told after every optimizer step of every run.
	OnStep func(Progress)
}

// Cost is a shape's measured cost.
type Cost struct {
	Shape       Shape
	NonEmbed    int     // non-embedding parameters
	Total       int     // all parameters
	SecPerToken float64 // training, per token
	EvalSec     float64 // one held-out evaluation
}

// Planned is one run of the grid.
type Planned struct {
	Cost
	Level int
	Steps int
	Est   float64 // estimated seconds, evaluation included
}

// Result is a finished run.
type Result struct {
	Shape    Shape
	Level    int
	NonEmbed int
	Total    int
	Steps    int
	Tokens   int
	Flops    float64 // 6·NonEmbed·Tokens
	Loss     float64 // held-out, nats/token
	BPB      float64 // held-out bits per byte
	Seconds  float64 // wall clock of training and evaluation
}

// Run is the result as package scaling reads it.
func (r Result) Run() scaling.Run {
	return scaling.Run{N: float64(r.NonEmbed), D: float64(r.Tokens), C: r.Flops, Loss: r.Loss}
}

// planMargin is the share of the remaining budget the plan may fill; the
// rest absorbs timing noise on a shared machine.
const planMargin = 0.8

// Grid is the shape of the planned grid.
type Grid struct {
	Levels int     // compute budgets K (IsoFLOP groups)
	Ratio  float64 // factor r between consecutive budgets
	// MinSteps is the fewest optimizer steps a run may have.
	MinSteps int
	// MinTPP and MaxTPP bound a run's tokens per parameter D/N: at each
	// budget only the shapes within the band train, the band around the
	// compute-optimal ratio where an IsoFLOP curve has its minimum.
	MinTPP, MaxTPP float64
}

func (g Grid) validate() error {
	if g.Levels < 1 || !(g.Ratio > 1) || g.MinSteps < 1 || !(g.MinTPP > 0) || !(g.MaxTPP > g.MinTPP) {
		return fmt.Errorf("sweep grid: want levels ≥ 1, ratio > 1, min steps ≥ 1 and 0 < min tokens/param < max (got %d, %g, %d, %g, %g)",
			g.Levels, g.Ratio, g.MinSteps, g.MinTPP, g.MaxTPP)
	}
	return nil
}

// minPlannedRuns is the fewest runs a plan may have: the Chinchilla form
// has five parameters.
const minPlannedRuns = 6

// Plan lays out the grid for the given costs: budgets C_k = C₀·r^k, and at
// each every shape whose D = C_k/(6N), in whole steps of tokensPerStep, has
// at least MinSteps steps and a tokens-per-parameter ratio within the band.
// C₀ is the largest (to 1%) whose grid has at least six runs and whose
// runs' estimated time fits in seconds. Runs are in
// increasing budget, then in the order of costs.
func Plan(costs []Cost, g Grid, tokensPerStep int, seconds float64) ([]Planned, error) {
	if err := g.validate(); err != nil {
		return nil, err
	}
	if len(costs) == 0 || tokensPerStep < 1 {
		return nil, fmt.Errorf("sweep plan: no shapes, or %d tokens per step", tokensPerStep)
	}
	grid := func(c0 float64) ([]Planned, float64) {
		var runs []Planned
		var total float64
		for k := range g.Levels {
			c := c0 * math.Pow(g.Ratio, float64(k))
			for _, cost := range costs {
				n := float64(cost.NonEmbed)
				steps := int(math.Round(c / (6 * n) / float64(tokensPerStep)))
				tpp := float64(steps*tokensPerStep) / n
				if steps < g.MinSteps || tpp < g.MinTPP || tpp > g.MaxTPP {
					continue
				}
				est := float64(steps*tokensPerStep)*cost.SecPerToken + cost.EvalSec
				runs = append(runs, Planned{Cost: cost, Level: k, Steps: steps, Est: est})
				total += est
			}
		}
		return runs, total
	}
	// From a C₀ too small for any run, step up by 1% until the grid no
	// longer fits, keeping the largest C₀ with enough runs. (The time is
	// not quite monotone in C₀, as shapes enter and leave the band.)
	minN := math.Inf(1)
	for _, c := range costs {
		minN = min(minN, float64(c.NonEmbed))
	}
	best := 0.0
	for c0 := 6 * minN * float64(g.MinSteps*tokensPerStep) / 4; ; c0 *= 1.01 {
		runs, total := grid(c0)
		if total > seconds {
			break
		}
		if len(runs) >= minPlannedRuns {
			best = c0
		}
	}
	runs, _ := grid(best)
	if best == 0 || len(runs) < minPlannedRuns {
		return nil, fmt.Errorf("sweep plan: %.0f s affords %d runs of these shapes, and a fit needs at least %d: give a larger budget or smaller shapes", seconds, len(runs), minPlannedRuns)
	}
	return runs, nil
}

// NonEmbeddingParams counts a model's parameters other than the token and
// position embeddings and an untied output head.
func NonEmbeddingParams(m *model.Model) int {
	n := 0
	for _, p := range m.Params() {
		switch p.Name {
		case "wte.weight", "wpe.weight", "model.embed_tokens.weight", "lm_head.weight":
			continue
		}
		n += len(p.Data)
	}
	return n
}

// timingSteps is how many optimizer steps measure a shape's cost.
const timingSteps = 5

// cost is a shape's cost: modelled at c.FlopRate when that is set, else
// measured.
func (c *Config) cost(sh Shape) (Cost, error) {
	if c.FlopRate == 0 {
		return c.measure(sh)
	}
	m, err := c.NewModel(sh)
	if err != nil {
		return Cost{}, fmt.Errorf("shape %s: %w", sh, err)
	}
	total := len(m.ParamBuffer())
	return Cost{Shape: sh, NonEmbed: NonEmbeddingParams(m), Total: total,
		SecPerToken: 6 * float64(total) / c.FlopRate,
		EvalSec:     2 * float64(total) * float64(len(c.HeldOut)) / c.FlopRate}, nil
}

// measure times a shape: training per token (the median of timingSteps
// steps, after one that sizes the buffers), and one evaluation, scaled up
// from an evaluation of one batch's worth of held-out tokens.
func (c *Config) measure(sh Shape) (Cost, error) {
	m, err := c.NewModel(sh)
	if err != nil {
		return Cost{}, fmt.Errorf("shape %s: %w", sh, err)
	}
	s := c.Settings
	s.Steps, s.Warmup, s.EvalEvery = timingSteps+1, 0, 0
	t, err := train.NewTrainer(m, c.Train, s)
	if err != nil {
		return Cost{}, fmt.Errorf("shape %s: %w", sh, err)
	}
	if _, err := t.Next(); err != nil {
		return Cost{}, err
	}
	// The median step: on a shared machine a mean is at the mercy of one
	// descheduled step.
	steps := make([]float64, timingSteps)
	for i := range steps {
		start := time.Now()
		if _, err := t.Next(); err != nil {
			return Cost{}, err
		}
		steps[i] = time.Since(start).Seconds()
	}
	slices.Sort(steps)
	perToken := steps[len(steps)/2] / float64(s.Batch*s.Context*s.GradAccum)
	n := min(len(c.HeldOut), s.Batch*s.Context)
	start := time.Now()
	if _, err := t.Evaluate(context.Background(), train.HeldOut{Tokens: c.HeldOut[:n], BOS: c.HeldOutBOS}); err != nil {
		return Cost{}, err
	}
	evalSec := time.Since(start).Seconds() * float64(len(c.HeldOut)) / float64(n)
	return Cost{Shape: sh, NonEmbed: NonEmbeddingParams(m), Total: len(m.ParamBuffer()), SecPerToken: perToken, EvalSec: evalSec}, nil
}

// Run measures the shapes (or models their cost, see Config.FlopRate),
// plans the grid within the budget and trains it ([Config.Execute]): every
// finished run is in the CSV, whether the sweep ends, runs out of time or
// is cancelled.
func Run(ctx context.Context, c Config) ([]Result, error) {
	logf := c.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if c.NewModel == nil || c.CSV == "" {
		return nil, errors.New("sweep: a model constructor and a CSV path are required")
	}
	probe := c.Settings
	probe.Steps = 1 // set per run
	if err := probe.Validate(); err != nil {
		return nil, err
	}
	if c.FlopRate < 0 || math.IsNaN(c.FlopRate) || math.IsInf(c.FlopRate, 0) {
		return nil, fmt.Errorf("sweep: FLOP rate %v: want a finite positive number, or 0 to time each shape", c.FlopRate)
	}
	if _, err := os.Stat(c.CSV); err == nil {
		return nil, fmt.Errorf("sweep: %s exists; a sweep writes a new file (move it, or give another output)", c.CSV)
	}
	begin := time.Now()
	how := "measured"
	if c.FlopRate > 0 {
		how = fmt.Sprintf("modelled at %.3g FLOP/s", c.FlopRate)
	}
	var costs []Cost
	for _, sh := range c.Shapes {
		cost, err := c.cost(sh)
		if err != nil {
			return nil, err
		}
		logf("shape %s: N = %d non-embedding (%d in all), %.1f µs/token, evaluation %.1f s (%s)", sh, cost.NonEmbed, cost.Total, 1e6*cost.SecPerToken, cost.EvalSec, how)
		costs = append(costs, cost)
	}
	tokensPerStep := c.Settings.Batch * c.Settings.Context * c.Settings.GradAccum
	// A modelled plan takes the whole budget, so that it does not depend
	// on how long building the models took.
	left := c.Budget.Seconds()
	if c.FlopRate == 0 {
		left -= time.Since(begin).Seconds()
	}
	plan, err := Plan(costs, c.Grid, tokensPerStep, planMargin*left)
	if err != nil {
		return nil, err
	}
	var est float64
	for _, p := range plan {
		est += p.Est
	}
	logf("plan: %d runs over %d compute budgets, estimated %.0f s of the %.0f s left", len(plan), c.Grid.Levels, est, left)

	return c.Execute(ctx, plan, begin.Add(c.Budget))
}

// Progress is where a sweep stands after a step.
type Progress struct {
	Run, Runs   int   // the run (1-based) of the planned runs
	Shape       Shape // the run's
	Step, Steps int   // the run's optimizer steps done, of its planned ones
	Loss        float64
	// Done and Total are the optimizer steps of the whole plan.
	Done, Total int
}

// Execute trains the planned runs in order, writing the CSV after every
// run. It starts no run that would likely end after the deadline (half
// its estimate left) and abandons one still running there. When ctx is
// cancelled it abandons the run in progress and returns the finished runs
// with ctx's error; at the deadline it returns them with none.
func (c *Config) Execute(ctx context.Context, plan []Planned, deadline time.Time) ([]Result, error) {
	logf := c.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	var results []Result
	at := Progress{Runs: len(plan)}
	for _, p := range plan {
		at.Total += p.Steps
	}
	for i, p := range plan {
		at.Run, at.Shape, at.Steps = i+1, p.Shape, p.Steps
		if err := ctx.Err(); err != nil {
			return results, err
		}
		if time.Now().Add(time.Duration(p.Est * float64(time.Second) / 2)).After(deadline) {
			logf("stopping: %d of %d runs done, the budget is nearly spent", i, len(plan))
			break
		}
		r, err := c.train(ctx, p, deadline, at)
		at.Done += p.Steps
		if err != nil {
			return results, err
		}
		if r == nil {
			logf("stopping: the budget ran out during run %d of %d; %d runs done", i+1, len(plan), len(results))
			break
		}
		results = append(results, *r)
		if err := WriteCSV(c.CSV, results); err != nil {
			return results, err
		}
		logf("run %d/%d: %s at C = %.3g: D = %d tokens, held-out loss %.4f (%.0f s, planned %.0f s)",
			i+1, len(plan), p.Shape, r.Flops, r.Tokens, r.Loss, r.Seconds, p.Est)
	}
	return results, nil
}

// train runs one planned run; it returns nil and no error when the
// deadline passes first.
func (c *Config) train(ctx context.Context, p Planned, deadline time.Time, at Progress) (*Result, error) {
	start := time.Now()
	m, err := c.NewModel(p.Shape)
	if err != nil {
		return nil, err
	}
	s := c.Settings
	s.Steps, s.EvalEvery = p.Steps, 0
	s.Warmup = min(s.Warmup, p.Steps/10)
	t, err := train.NewTrainer(m, c.Train, s)
	if err != nil {
		return nil, err
	}
	for t.Step < s.Steps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if time.Now().After(deadline) {
			return nil, nil
		}
		st, err := t.Next()
		if err != nil {
			return nil, fmt.Errorf("shape %s, step %d: %w", p.Shape, t.Step+1, err)
		}
		if c.OnStep != nil {
			at.Step, at.Loss = t.Step, st.Loss
			at.Done++
			c.OnStep(at)
		}
	}
	ev, err := t.Evaluate(ctx, train.HeldOut{Tokens: c.HeldOut, BOS: c.HeldOutBOS, Tokenizer: c.Tokenizer})
	if err != nil {
		return nil, err
	}
	tokens := p.Steps * s.Batch * s.Context * s.GradAccum
	return &Result{Shape: p.Shape, Level: p.Level, NonEmbed: p.NonEmbed, Total: p.Total, Steps: p.Steps, Tokens: tokens,
		Flops: 6 * float64(p.NonEmbed) * float64(tokens), Loss: ev.Loss, BPB: ev.BPB, Seconds: time.Since(start).Seconds()}, nil
}

// csvHeader names the CSV's columns; params, tokens, flops and loss are
// the names scaling.ReadCSV detects.
var csvHeader = []string{"layers", "width", "level", "params", "total_params", "steps", "tokens", "flops", "loss", "bpb", "seconds"}

// WriteCSV writes the results atomically, one row per run.
func WriteCSV(path string, results []Result) error {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(csvHeader)
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	for _, r := range results {
		w.Write([]string{strconv.Itoa(r.Shape.Layers), strconv.Itoa(r.Shape.Width), strconv.Itoa(r.Level),
			strconv.Itoa(r.NonEmbed), strconv.Itoa(r.Total), strconv.Itoa(r.Steps), strconv.Itoa(r.Tokens),
			f(r.Flops), f(r.Loss), f(r.BPB), strconv.FormatFloat(r.Seconds, 'f', 2, 64)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, buf.Bytes())
}
