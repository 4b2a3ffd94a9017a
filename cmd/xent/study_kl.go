package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/xent-dev/xent/data"
	"github.com/xent-dev/xent/internal/provenance"
	"github.com/xent-dev/xent/modeldir"
	"github.com/xent-dev/xent/study"
	"github.com/xent-dev/xent/train"
)

// klSettings are the settings a kl report records.
type klSettings struct {
	Parts   []string              `json:"parts"`
	Toy     *study.ToyOptions     `json:"toy,omitempty"`
	Distill *study.DistillOptions `json:"distill,omitempty"`
	Teacher *study.TeacherOptions `json:"teacher,omitempty"` // the teacher the study trained (no --teacher)
}

// klResult is the kl report's body.
type klResult struct {
	Toy     *study.Toy          `json:"toy,omitempty"`
	Distill *study.Distillation `json:"distillation,omitempty"`
}

func newStudyKLCmd() *cobra.Command {
	var (
		parts, modes, widths, weights string
		toy                           = study.DefaultToy
		teacherDir                    string
		src                           data.Source
		teach                         = study.TeacherOptions{Arch: "llama", Width: 128, Layers: 4, Heads: 4, VocabSize: 2048}
		teacherSteps                  int
		o                             = study.DistillOptions{Arch: "llama"}
		asJSON                        bool
		plots                         plotFlags
	)
	cmd := &cobra.Command{
		Use:   "kl [flags]",
		Short: "Forward against reverse KL: mode covering and mode seeking, on a toy and in distillation",
		Long: `Fits a distribution q that cannot represent its target p, once minimising
the forward KL(p ‖ q) and once the reverse KL(q ‖ p), in two settings.

toy: p is a mixture of two Gaussians (--modes, --widths, --weights) on a
fine grid (--grid points), q a single Gaussian. The forward fit, by
natural-gradient descent from the heavier mode, must arrive at p's mean
and standard deviation (moment matching, the closed form, printed beside
it as the check); the reverse fit, the best of descents from the moment
match and from each mode, settles on one mode. For each: μ, σ, entropy,
the mass of p within μ ± 2σ, q's mass at each mode, both KLs.

distill: a teacher (--teacher DIR, an xent checkpoint or Hugging Face
directory; by default one the study trains on --corpus with the
--teacher-* shape for --teacher-steps) distilled into two students of the
--arch/--width/--layers/--heads shape, same initial weights and batches,
one with KL(teacher ‖ student) and one with KL(student ‖ teacher), both
at --temperature. Each student on the held-out 10%: perplexity, KL from
and to the teacher and top-1 agreement (xent eval's scoring, the teacher
as base), and over the same windows the mean entropy of its next-token
distribution against the teacher's, the share of the teacher's top-k
tokens it gives ≥ --min-prob, and the share of the teacher's top-k mass
inside its own top-k.

Prints a table (or --json) and writes kl-toy and kl-distill figures into
--plots (by default, with --teacher, into TEACHER.studies; else none).`,
		Example: `  xent study kl
  xent study kl --parts toy --weights 0.5,0.5 --plots /tmp/kl
  xent study kl --teacher runs/opticks --width 128 --layers 2 --temperature 2 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := plots.check(); err != nil {
				return err
			}
			want := map[string]bool{}
			for _, p := range strings.Split(parts, ",") {
				p = strings.TrimSpace(p)
				if p != "toy" && p != "distill" {
					return fmt.Errorf("--parts: %q is not toy or distill", p)
				}
				want[p] = true
			}
			set := klSettings{}
			for _, p := range []string{"toy", "distill"} {
				if want[p] {
					set.Parts = append(set.Parts, p)
				}
			}
			var res klResult
			if want["toy"] {
				for _, f := range []struct {
					flag, list string
					dst        *[2]float64
				}{{"--modes", modes, &toy.Means}, {"--widths", widths, &toy.Widths}, {"--weights", weights, &toy.Weights}} {
					xs, err := parseFloats(f.flag, f.list)
					if err != nil {
						return err
					}
					if len(xs) != 2 {
						return fmt.Errorf("%s %s: want two numbers, one per mode", f.flag, f.list)
					}
					*f.dst = [2]float64{xs[0], xs[1]}
				}
				if err := toy.Validate(); err != nil {
					return fmt.Errorf("the toy: %w", err)
				}
			}
			if want["distill"] {
				o.Settings.Threads = teach.Settings.Threads
				if err := o.Validate(); err != nil {
					return fmt.Errorf("the distillation: %w", err)
				}
			}
			if want["toy"] {
				t, err := study.RunToy(toy)
				if err != nil {
					return err
				}
				res.Toy, set.Toy = &t, &toy
			}
			logw := cmd.ErrOrStderr()
			logf := func(format string, args ...any) { fmt.Fprintf(logw, "xent study kl: "+format+"\n", args...) }
			if want["distill"] {
				ctx, stop := interruptible(cmd.Context(), logw, "xent study kl", "stopping")
				defer stop()
				var d study.DistillData
				if teacherDir != "" {
					p, err := modeldir.Load(teacherDir)
					if err != nil {
						return err
					}
					corpus, err := data.Prepare(data.PrepareOptions{Source: src, Tokenizer: p.Tokenizer})
					if err != nil {
						return err
					}
					bos, err := p.BOS()
					if err != nil {
						return err
					}
					d = study.DistillData{Teacher: p.Model, Tokenizer: p.Tokenizer, BOS: bos, Train: corpus.TrainTokens, HeldOut: corpus.HeldOutTokens}
				} else {
					teach.Settings.Steps, teach.Settings.Seed = teacherSteps, o.Settings.Seed
					teach.Settings.Batch, teach.Settings.Context, teach.Settings.GradAccum = o.Settings.Batch, o.Settings.Context, 1
					teach.Settings.Optim = o.Settings.Optim
					if err := teach.Settings.Validate(); err != nil {
						return fmt.Errorf("the teacher: %w", err)
					}
					logf("training the teacher (%s width %d, %d layers, %d heads) for %d steps", teach.Arch, teach.Width, teach.Layers, teach.Heads, teach.Settings.Steps)
					var err error
					if d, err = study.TrainTeacher(ctx, src, teach, logf); err != nil {
						return err
					}
					set.Teacher = &teach
				}
				r, err := study.RunDistill(ctx, d, o, logf)
				if err != nil {
					return err
				}
				res.Distill, set.Distill = &r, &o
			}
			// The table first: a figure that cannot be written loses nothing.
			source := provenance.New()
			if teacherDir != "" && want["distill"] {
				source.Model = modelSource(teacherDir)
			}
			if want["distill"] {
				source.Data = src.Name() + " (training split for distillation, held-out 10% for the measures)"
			} else {
				source.Data = "a two-Gaussian mixture on a grid"
			}
			source.Settings = set
			err := studyReport(cmd, cmd.OutOrStdout(), source, asJSON, res, func(w io.Writer) error {
				if res.Toy != nil {
					fmt.Fprintln(w, "Toy: one Gaussian fitted to a two-Gaussian mixture")
					res.Toy.WriteTable(w)
				}
				if res.Distill != nil {
					if res.Toy != nil {
						fmt.Fprintln(w)
					}
					fmt.Fprintln(w, "Distillation: forward against reverse KL")
					res.Distill.WriteTable(w)
				}
				return nil
			})
			if err != nil {
				return err
			}
			for _, fig := range []struct {
				name string
				on   bool
				plot func(string) error
			}{
				{"kl-toy", res.Toy != nil, func(p string) error { return res.Toy.Plot(p) }},
				{"kl-distill", res.Distill != nil, func(p string) error { return res.Distill.Plot(p) }},
			} {
				if !fig.on {
					continue
				}
				var path string
				switch {
				case plots.dir != "":
					if path, err = plots.path(fig.name); err != nil {
						return err
					}
				case teacherDir != "":
					if path, err = studyOutput(teacherDir, fig.name+"."+plots.format); err != nil {
						return fmt.Errorf("the figure (give --plots DIR): %w", err)
					}
				default:
					continue
				}
				if err := fig.plot(path); err != nil {
					return fmt.Errorf("the figure %s: %w", path, err)
				}
				fmt.Fprintf(logw, "xent study kl: wrote %s\n", path)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.StringVar(&parts, "parts", "toy,distill", "what to run: toy, distill or both, comma-separated")
	fl.StringVar(&modes, "modes", fmtPair(toy.Means), "toy: the two modes' centres")
	fl.StringVar(&widths, "widths", fmtPair(toy.Widths), "toy: the two modes' standard deviations")
	fl.StringVar(&weights, "weights", fmtPair(toy.Weights), "toy: the two modes' weights (normalised)")
	fl.IntVar(&toy.Points, "grid", toy.Points, "toy: grid points")
	fl.StringVar(&teacherDir, "teacher", "", "distill: the teacher's model directory (default: train one, shaped by the --teacher-* flags)")
	addSourceFlags(cmd, &src, "whose training split the students (and a trained teacher) learn from, and whose held-out 10% measures them")
	fl.IntVar(&teach.Width, "teacher-width", teach.Width, "distill, trained teacher: width")
	fl.IntVar(&teach.Layers, "teacher-layers", teach.Layers, "distill, trained teacher: layers")
	fl.IntVar(&teach.Heads, "teacher-heads", teach.Heads, "distill, trained teacher: attention heads")
	fl.IntVar(&teacherSteps, "teacher-steps", 400, "distill, trained teacher: training steps (batch, context and optimizer as the students')")
	fl.IntVar(&teach.VocabSize, "vocab-size", teach.VocabSize, "distill, trained teacher: the BPE vocabulary trained for it")
	fl.StringVar(&o.Arch, "arch", o.Arch, "distill: the students' architecture, llama or gpt2")
	fl.IntVar(&o.Width, "width", 64, "distill: the students' width")
	fl.IntVar(&o.Layers, "layers", 2, "distill: the students' layers")
	fl.IntVar(&o.Heads, "heads", 2, "distill: the students' attention heads")
	fl.IntVar(&o.Settings.Steps, "steps", 300, "distill: optimizer steps per student")
	fl.IntVar(&o.Settings.Batch, "batch", 16, "distill: sequences per step")
	fl.IntVar(&o.Settings.Context, "context", 64, "distill: tokens per sequence (and per held-out window)")
	o.Settings.GradAccum = 1
	addOptimFlags(cmd, &o.Settings.Optim, train.Optim{LR: 3e-3, Warmup: 20, Schedule: "cosine", MinLRRatio: 0.1, WeightDecay: 0.1, Beta2: 0.99, ClipNorm: 1})
	fl.Float64Var(&o.Temperature, "temperature", 1, "distill: temperature T of the distillation loss (both directions)")
	fl.IntVar(&o.TopK, "top-k", 5, "distill: k of the coverage of the teacher's top-k tokens")
	fl.Float64Var(&o.MinProb, "min-prob", 0.01, "distill: the probability a student must give a teacher's top-k token to cover it")
	fl.IntVar(&o.EvalTokens, "eval-tokens", 16384, "distill: held-out tokens scored (0: all)")
	fl.Uint64Var(&o.Settings.Seed, "seed", 1, "distill: seed of the weights and batch order (teacher and students)")
	fl.IntVar(&teach.Settings.Threads, "threads", 0, "goroutines (0: GOMAXPROCS); results are identical for the same count")
	fl.BoolVar(&asJSON, "json", false, "print the result as JSON")
	plots.add(cmd, "write the figures into this directory as kl-toy.FORMAT and kl-distill.FORMAT (default with --teacher: TEACHER.studies)")
	return cmd
}

// fmtPair writes two numbers as a flag's comma-separated default.
func fmtPair(x [2]float64) string { return fmt.Sprintf("%g,%g", x[0], x[1]) }
