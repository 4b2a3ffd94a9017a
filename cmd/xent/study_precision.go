package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/xent-dev/xent/internal/provenance"
	"github.com/xent-dev/xent/modeldir"
	"github.com/xent-dev/xent/study"
	"github.com/xent-dev/xent/train"
)

// precisionSettings are the settings a precision report records.
type precisionSettings struct {
	Synthetic   study.PrecisionOptions `json:"synthetic"`
	Length      int                    `json:"length,omitempty"`
	Docs        int                    `json:"docs,omitempty"`
	FreshStep   bool                   `json:"fresh_step,omitempty"`
	LR          float64                `json:"lr,omitempty"`
	WeightDecay float64                `json:"weight_decay,omitempty"`
}

func newStudyPrecisionCmd() *cobra.Command {
	var f studyFlags
	var o study.PrecisionOptions
	var length int
	var lr, wd float64
	var fresh bool
	var vocabs, spreads string
	var plots plotFlags
	cmd := &cobra.Command{
		Use:   "precision [--model DIR] [flags]",
		Short: "The error of the loss, lse and gradient computed in bf16 and f16",
		Long: `Computes the cross-entropy of rows of logits, its log-sum-exp and its
gradient in bf16 and f16 arithmetic, emulated exactly (every operation
rounded to the format, ties to even, subnormals and overflow included),
and in float32 with xent's loss kernel, and compares each with float64 in
the same order of operations:

  x = R(z)   d = R(x − max x)   e = R(exp d)   s = Σ e (each sum rounded)
  lse = R(max x + R(log s))   loss = R(lse − x_target)
  grad = R(e / s), and R(p_target − 1) at the target

with the exponentials summed left to right (sequential) or in a balanced
tree (pairwise); and with only the logits stored in bf16 or f16 and the
arithmetic in float64, which separates the storage's error from the
arithmetic's. The rows are synthetic, V logits from N(0, σ²) for every
V in --vocabs and σ in --spreads, targets drawn from each row's softmax;
and, with --model, the checkpoint's own logits on --docs held-out
documents of --length tokens. With --model it also measures how much
one optimizer step changes the mean loss on those documents, the size of
the differences training acts on: an xent checkpoint's next training step
(its saved AdamW moments, next batch of --data and scheduled learning
rate), or with --fresh-step or a directory without an optimizer state, a
first AdamW step from zero moments on the documents themselves (--lr,
--weight-decay; by default the checkpoint's, else xent train's).

Prints a table and writes the synthetic errors against V into --plots as
precision.svg (by default, with --model, into MODEL.studies).`,
		Example: `  xent study precision --rows 2 --vocabs 32768,65536 --plots /tmp/prec
  xent study precision --model runs/opticks --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := plots.check(); err != nil {
				return err
			}
			sp, err := parseFloats("--spreads", spreads)
			if err != nil {
				return err
			}
			vs, err := parseFloats("--vocabs", vocabs)
			if err != nil {
				return err
			}
			o.Vocabs, o.Spreads, o.Seed = nil, sp, f.seed
			for _, v := range vs {
				if v != math.Trunc(v) || v > 1<<30 {
					return fmt.Errorf("--vocabs: %g is not a vocabulary size", v)
				}
				o.Vocabs = append(o.Vocabs, int(v))
			}
			if err := o.Validate(); err != nil {
				return err
			}
			if cmd.Flags().Changed("lr") && !(lr > 0 && lr < 1) {
				return fmt.Errorf("--lr %g: must be in (0, 1)", lr)
			}
			if cmd.Flags().Changed("weight-decay") && !(wd >= 0 && wd < 1) {
				return fmt.Errorf("--weight-decay %g: must be in [0, 1)", wd)
			}
			if length < 1 {
				return fmt.Errorf("--length %d: must be ≥ 1", length)
			}
			set := precisionSettings{Synthetic: o}
			var res study.Precision
			var step *study.StepChange
			if f.model != "" {
				p, docs, err := f.heldOut(length + 1)
				if err != nil {
					return err
				}
				set.Length, set.Docs, set.FreshStep = length, len(docs), fresh
				set.LR, set.WeightDecay = checkpointOptim(p.Settings, lr, wd, cmd)
				fmt.Fprintf(cmd.ErrOrStderr(), "xent study precision: %d held-out documents of %d tokens\n", len(docs), length)
				B, T := len(docs), length
				in, targets := make([]int32, 0, B*T), make([]int32, 0, B*T)
				flat := make([]int32, 0, B*(T+1))
				for _, d := range docs {
					in, targets, flat = append(in, d[:T]...), append(targets, d[1:T+1]...), append(flat, d[:T+1]...)
				}
				logits, err := p.Model.Logits(in, B, T)
				if err != nil {
					return err
				}
				if res.Rows, err = study.MeasureRows("checkpoint", logits, targets, B*T, p.Model.VocabSize()); err != nil {
					return err
				}
				var s study.StepChange
				if _, statErr := os.Stat(filepath.Join(f.model, modeldir.OptimizerFile)); statErr == nil && !fresh {
					c, err := train.LoadCheckpoint(f.model, f.src, 0)
					if err != nil {
						return fmt.Errorf("the one-step measurement (--fresh-step takes a step without the run's state): %w", err)
					}
					s, err = study.NextStep(c.Trainer, flat, B, T)
					if err != nil {
						return err
					}
					set.LR, set.WeightDecay = 0, 0 // the run's own
				} else if s, err = study.OneStep(p.Model, flat, B, T, set.LR, set.WeightDecay); err != nil {
					return err
				}
				step = &s
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "xent study precision: synthetic rows, V %v, σ %v, %d rows each\n", o.Vocabs, o.Spreads, o.Rows)
			syn, err := study.SyntheticPrecision(o)
			if err != nil {
				return err
			}
			res.Rows = append(res.Rows, syn...)
			if step != nil {
				res.SetStep(*step)
			}
			// The table first: a plot that cannot be written loses nothing.
			if f.model != "" {
				err = f.print(cmd.OutOrStdout(), res, set)
			} else {
				src := provenance.New()
				src.Data = "synthetic rows"
				src.Settings = set
				err = studyReport(cmd, cmd.OutOrStdout(), src, f.json, res, func(w io.Writer) error { res.WriteTable(w); return nil })
			}
			if err != nil {
				return err
			}
			var path string
			switch {
			case len(syn) == 0:
				return nil
			case plots.dir != "":
				if path, err = plots.path("precision"); err != nil {
					return err
				}
			case f.model != "":
				if path, err = studyOutput(f.model, "precision."+plots.format); err != nil {
					return fmt.Errorf("the plot (give --plots DIR): %w", err)
				}
			default:
				return nil
			}
			if err := res.Plot(path); err != nil {
				return fmt.Errorf("the plot %s: %w", path, err)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "xent study precision: wrote %s\n", path)
			return nil
		},
	}
	f.add(cmd)
	fl := cmd.Flags()
	fl.Lookup("model").Usage = "model directory whose held-out logits to measure too (optional)"
	fl.Lookup("docs").DefValue, f.docs = "16", 16
	fl.Lookup("seed").Usage = "seed of the synthetic rows"
	fl.IntVar(&length, "length", 64, "tokens per held-out document (each scored position is one row)")
	fl.StringVar(&vocabs, "vocabs", "32768,65536,131072,262144", "synthetic vocabulary sizes V, comma-separated (empty: none)")
	fl.StringVar(&spreads, "spreads", "1,3,10", "standard deviations σ of the synthetic logits, comma-separated")
	fl.IntVar(&o.Rows, "rows", 4, "synthetic rows per (V, σ)")
	fl.BoolVar(&fresh, "fresh-step", false, "measure a first AdamW step from zero moments on the held-out documents, not the run's next step")
	fl.Float64Var(&lr, "lr", 0, "learning rate of a fresh step (default: the checkpoint's, else xent train's)")
	fl.Float64Var(&wd, "weight-decay", -1, "weight decay of a fresh step (default: the checkpoint's, else xent train's)")
	plots.add(cmd, "write the errors against V into this directory as precision.FORMAT (default with --model: MODEL.studies)")
	return cmd
}

// checkpointOptim is the learning rate and weight decay of the one-step
// measurement: the flags where given, else the checkpoint's training
// settings, else xent train's defaults.
func checkpointOptim(settings json.RawMessage, lr, wd float64, cmd *cobra.Command) (float64, float64) {
	var s struct {
		LR          *float64 `json:"lr"`
		WeightDecay *float64 `json:"weight_decay"`
	}
	_ = json.Unmarshal(settings, &s) // a directory without xent settings takes the defaults
	if !cmd.Flags().Changed("lr") {
		lr = pretrainOptim.LR
		if s.LR != nil {
			lr = *s.LR
		}
	}
	if !cmd.Flags().Changed("weight-decay") {
		wd = pretrainOptim.WeightDecay
		if s.WeightDecay != nil {
			wd = *s.WeightDecay
		}
	}
	return lr, wd
}
