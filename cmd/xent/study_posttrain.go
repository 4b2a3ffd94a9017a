package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/xent-dev/xent/internal/provenance"

	"github.com/spf13/cobra"

	"github.com/xent-dev/xent/modeldir"
	"github.com/xent-dev/xent/study/posttrain"
)

// posttrainFlags are the flags of "xent study posttrain".
type posttrainFlags struct {
	modelDir, methods, writePairs string
	lr                            float64
	o                             posttrain.Options
	json                          bool
}

func newStudyPosttrainCmd() *cobra.Command {
	f := posttrainFlags{o: posttrain.DefaultOptions}
	cmd := &cobra.Command{
		Use:   "posttrain [--model DIR] [flags]",
		Short: "Fine-tune one model with SFT, DPO, KTO, ORPO and SimPO on negation pairs and compare them",
		Long: `Negation is a weakness of token-level cross-entropy: "not" is one token that
flips a sentence and costs no more than any other. This study builds
preference pairs from the held-out split of the corpus (the text --model
was not trained on, if it was trained on the same corpus): the chosen side
is an original sentence or clause, the rejected side the same with its
polarity flipped (a "not" inserted after an auxiliary or removed, "cannot"
↔ "can", "don't" → "do"; up to --max-flips pairs per sentence). The first
part of the held-out text gives the training pairs, its last
--held-out-share the held-out pairs and the plain text.

Each method fine-tunes a fresh copy of --model for --steps steps of
--batch examples: SFT on the chosen side, DPO (with a frozen reference
copy, and with precomputed reference log-probabilities), KTO (chosen
desirable, rejected undesirable), ORPO and SimPO, with TRL's default β.
The table on stdout gives, per method: whether it needs a reference model,
its memory (the Go heap in use after the last step, after a collection,
and the process's peak resident set while fine-tuning; both include the
base model kept for scoring), wall and CPU time per step (CPU time is steadier
on a shared machine), held-out pair accuracy (the model gives the chosen
sentence the higher probability), held-out reward accuracy against the
base (the chosen − rejected margin grew: DPO's implicit reward with the
base as reference), both split by flip kind, the mean KL(π ‖ base) of the
model π from the base on held-out plain text (the direction post-training
penalises; xent eval --base prints KL(base ‖ model) beside it), and the
change of held-out perplexity. The plain text is scored as xent eval
scores a document: disjoint windows of the model's context, BOS first.

--model defaults to runs/opticks, what "xent train" writes.`,
		Example: `  xent train && xent study posttrain
  xent study posttrain --model runs/opticks --steps 300 --methods dpo,orpo
  xent study posttrain --write-pairs pairs/   # also write the pairs for "xent tune"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runStudyPosttrain(cmd, &f) },
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.StringVar(&f.modelDir, "model", "runs/opticks", "base model directory")
	fl.StringVar(&f.methods, "methods", "sft,dpo,dpo-precomputed,kto,orpo,simpo", "methods to run, comma-separated")
	fl.IntVar(&f.o.Steps, "steps", f.o.Steps, "optimizer steps per method")
	fl.IntVar(&f.o.Batch, "batch", f.o.Batch, "pairs (examples for sft and kto) per step")
	fl.Float64Var(&f.lr, "lr", 0, "peak learning rate of every method (0: each method's default, 1e-5)")
	fl.Float64Var(&f.o.HeldOutShare, "held-out-share", f.o.HeldOutShare, "share of the held-out text kept for held-out pairs and plain text")
	fl.IntVar(&f.o.Pairs.MaxFlips, "max-flips", f.o.Pairs.MaxFlips, "pairs per sentence at most")
	fl.Uint64Var(&f.o.Seed, "seed", f.o.Seed, "seed of the example order")
	fl.IntVar(&f.o.LogEvery, "log-every", f.o.LogEvery, "steps between progress lines on stderr")
	fl.IntVar(&f.o.Threads, "threads", 0, "goroutines (0: GOMAXPROCS)")
	fl.StringVar(&f.writePairs, "write-pairs", "", "also write the pairs, for xent tune, to train.jsonl and heldout.jsonl in this directory (never replacing them)")
	fl.BoolVar(&f.json, "json", false, "print the results as JSON instead of a table")
	addPlotsDir(cmd)
	return cmd
}

// studyMethodNames are the --methods names of posttrain.Methods, in order.
var studyMethodNames = []string{"sft", "dpo", "dpo-precomputed", "kto", "orpo", "simpo"}

func runStudyPosttrain(cmd *cobra.Command, f *posttrainFlags) error {
	var methods []posttrain.Method
	for _, name := range strings.Split(f.methods, ",") {
		i := slices.Index(studyMethodNames, strings.TrimSpace(name))
		if i < 0 {
			return fmt.Errorf("--methods: %q is not one of %s", name, strings.Join(studyMethodNames, ", "))
		}
		m := posttrain.Methods[i]
		if f.lr != 0 {
			m.LR = f.lr
		}
		methods = append(methods, m)
	}
	if f.o.Steps < 1 || f.o.Batch < 2 || !(f.o.HeldOutShare > 0 && f.o.HeldOutShare < 1) || f.o.Pairs.MaxFlips < 1 {
		return fmt.Errorf("--steps %d, --batch %d, --held-out-share %g, --max-flips %d: want steps ≥ 1, batch ≥ 2, 0 < share < 1, flips ≥ 1",
			f.o.Steps, f.o.Batch, f.o.HeldOutShare, f.o.Pairs.MaxFlips)
	}
	// The pair files are the user's once written: a second run does not
	// replace them (checked before the study's minutes, not after).
	if f.writePairs != "" {
		for _, name := range []string{posttrain.TrainPairsFile, posttrain.HeldOutPairsFile} {
			path := filepath.Join(f.writePairs, name)
			if _, err := os.Lstat(path); err == nil {
				return fmt.Errorf("--write-pairs %s: %s exists; give a new directory, or move it", f.writePairs, path)
			}
		}
	}
	if _, err := os.Stat(f.modelDir); err != nil {
		return fmt.Errorf("--model %s: %w (train a base model first: xent train --out %s)", f.modelDir, err, f.modelDir)
	}
	load := func() (*modeldir.Pretrained, error) { return modeldir.Load(f.modelDir) }
	base, err := load()
	if err != nil {
		return err
	}
	base.Model.Threads = f.o.Threads
	if f.writePairs != "" {
		d, err := posttrain.PrepareData(f.o, base)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(f.writePairs, 0o755); err != nil {
			return fmt.Errorf("--write-pairs: %w", err)
		}
		if err := posttrain.WritePairs(f.writePairs, d); err != nil {
			return fmt.Errorf("--write-pairs: %w", err)
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "xent study posttrain: wrote %d training pairs to %s and %d held-out pairs to %s\n",
			len(d.TrainPairs), filepath.Join(f.writePairs, posttrain.TrainPairsFile), len(d.HeldOutPairs), filepath.Join(f.writePairs, posttrain.HeldOutPairsFile))
	}
	res, err := posttrain.Run(f.o, methods, base, load, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	src := provenance.New()
	src.Model = modelSource(f.modelDir)
	src.Data = "negation pairs and plain text from the held-out 10% of corpus " + f.o.Corpus
	src.Tokenizer = "the model's (" + f.modelDir + ")"
	src.Settings = f.o
	return studyReport(cmd, cmd.OutOrStdout(), src, f.json, posttrainJSON(res), func(w io.Writer) error { return posttrain.WriteTable(w, res) })
}

// posttrainRow is a posttrain.Row for JSON (NaN written as "nan").
type posttrainRow struct {
	Name            string    `json:"name"`
	Reference       string    `json:"reference"`
	PeakRSSMiB      jsonFloat `json:"peak_rss_mib"`
	LiveHeapMiB     jsonFloat `json:"live_heap_mib"`
	StepMS          jsonFloat `json:"step_ms"`
	StepCPUMS       jsonFloat `json:"step_cpu_ms"`
	StepMinMS       jsonFloat `json:"step_min_ms"`
	StepMedianMS    jsonFloat `json:"step_median_ms"`
	StepMaxMS       jsonFloat `json:"step_max_ms"`
	PrecomputeS     jsonFloat `json:"precompute_s"`
	PairAccuracy    jsonFloat `json:"pair_accuracy"`
	InsertAccuracy  jsonFloat `json:"insert_accuracy"`
	RemovalAccuracy jsonFloat `json:"removal_accuracy"`
	RewardAccuracy  jsonFloat `json:"reward_accuracy_vs_base"`
	InsertReward    jsonFloat `json:"insert_reward_accuracy"`
	RemovalReward   jsonFloat `json:"removal_reward_accuracy"`
	KLPolicyBase    jsonFloat `json:"kl_policy_base"` // mean KL(π ‖ base)
	Perplexity      jsonFloat `json:"perplexity"`
	DeltaPPL        jsonFloat `json:"delta_perplexity"`
	FinalLoss       jsonFloat `json:"final_loss"`
}

func posttrainJSON(r posttrain.Result) map[string]any {
	row := func(x posttrain.Row) posttrainRow {
		return posttrainRow{Name: x.Name, Reference: x.Reference, PeakRSSMiB: jsonFloat(x.PeakRSS), LiveHeapMiB: jsonFloat(x.LiveHeap), StepMS: jsonFloat(x.StepMS), StepCPUMS: jsonFloat(x.StepCPUMS),
			StepMinMS: jsonFloat(x.StepMinMS), StepMedianMS: jsonFloat(x.StepMedianMS), StepMaxMS: jsonFloat(x.StepMaxMS),
			PrecomputeS: jsonFloat(x.PrecomputeS), PairAccuracy: jsonFloat(x.PairAccuracy), InsertAccuracy: jsonFloat(x.InsertAccuracy),
			RemovalAccuracy: jsonFloat(x.RemovalAccuracy), RewardAccuracy: jsonFloat(x.RewardAccuracy),
			InsertReward: jsonFloat(x.InsertReward), RemovalReward: jsonFloat(x.RemovalReward), KLPolicyBase: jsonFloat(x.KLPolicyBase),
			Perplexity: jsonFloat(x.Perplexity), DeltaPPL: jsonFloat(x.DeltaPPL), FinalLoss: jsonFloat(x.FinalLoss)}
	}
	rows := make([]posttrainRow, len(r.Rows))
	for i, x := range r.Rows {
		rows[i] = row(x)
	}
	return map[string]any{"train_pairs": r.TrainPairs, "held_out_pairs": r.HeldOutPairs, "held_out_removals": r.HeldOutRemovals,
		"text_tokens": r.TextTokens, "base": row(r.Base), "methods": rows}
}
