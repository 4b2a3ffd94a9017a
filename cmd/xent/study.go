package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/xent-dev/xent/data"
	"github.com/xent-dev/xent/internal/atomicfile"
	"github.com/xent-dev/xent/internal/provenance"
	"github.com/xent-dev/xent/modeldir"
	htmlreport "github.com/xent-dev/xent/report"
	"github.com/xent-dev/xent/study"
)

func newStudyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "study",
		Short: "Measure what the loss shapes: exposure bias, repetition, precision, smoothing, KL, the landscape",
		Long: `Studies on a trained model and held-out text (the last 10% of a corpus, as
"xent train" holds it out): "exposure" compares the model on true context
with the model on its own generated context, "repetition" sweeps the
repetition, frequency and presence penalties and measures degeneration,
"posttrain" fine-tunes it with SFT, DPO, KTO, ORPO and SimPO on negation
pairs and compares them, "precision" measures the error of computing the
loss in bf16 and f16, and "precision-train" trains with the loss in bf16;
"landscape" trains small models of its own and measures the loss around
their weights: the line from initial to trained, a 2-D slice, sharpness;
"smoothing" trains with each label smoothing ε and compares calibration;
"kl" fits with forward and reverse KL, on a toy and in distillation.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newStudyExposureCmd(), newStudyRepetitionCmd(), newStudyPosttrainCmd(), newStudyPrecisionCmd(),
		newStudyPrecisionTrainCmd(), newStudyKLCmd(), newStudyLandscapeCmd(), newStudySmoothingCmd())
	return cmd
}

// studyFlags are the flags every study takes.
type studyFlags struct {
	model string
	src   data.Source
	docs  int
	seed  uint64
	json  bool
	cmd   *cobra.Command // the study's, for studyReport
}

func (f *studyFlags) add(cmd *cobra.Command) {
	f.cmd = cmd
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.StringVar(&f.model, "model", "", "the model: "+modelKinds+" (required)")
	addSourceFlags(cmd, &f.src, "whose held-out 10% gives the documents")
	fl.IntVar(&f.docs, "docs", 32, "held-out documents to use at most")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of the sampled generations")
	fl.BoolVar(&f.json, "json", false, "print the result as JSON")
}

// print writes a study's result under what produced it (the model, the
// held-out text, the study's settings), as a table or, with --json, as
// JSON, through studyReport.
func (f *studyFlags) print(w io.Writer, res interface{ WriteTable(io.Writer) }, settings any) error {
	src := provenance.New()
	src.Model = modelSource(f.model)
	src.Data = f.src.Name() + " (held-out 10%)"
	src.Tokenizer = "the model's (" + f.model + ")"
	src.Settings = settings
	return studyReport(f.cmd, w, src, f.json, res, func(w io.Writer) error { res.WriteTable(w); return nil })
}

// studyReport is how every study prints its result: writeReport to w (a
// table, or JSON with --json) and, when the study was given --plots DIR,
// the JSON document as well, atomically, to DIR/study-NAME.json
// (htmlreport.StudyFile) beside its figures, where xent report finds it. An
// earlier document of the same study there is replaced, as its figures
// are.
func studyReport(cmd *cobra.Command, w io.Writer, src provenance.Source, asJSON bool, res any, table func(io.Writer) error) error {
	if err := writeReport(w, src, asJSON, false, res, table); err != nil {
		return err
	}
	fl := cmd.Flags().Lookup("plots")
	if fl == nil || fl.Value.String() == "" {
		return nil
	}
	dir := fl.Value.String()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--plots: %w", err)
	}
	path := filepath.Join(dir, htmlreport.StudyFile(cmd.Name()))
	if err := atomicfile.Write(path, func(w io.Writer) error { return writeReport(w, src, true, true, res, table) }); err != nil {
		return fmt.Errorf("--plots: %w", err)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "xent study %s: wrote %s\n", cmd.Name(), path)
	return nil
}

// addPlotsDir gives a study that draws no figure the --plots DIR of the
// others, where studyReport writes its JSON document for xent report.
func addPlotsDir(cmd *cobra.Command) {
	cmd.Flags().String("plots", "", "also write the result as JSON into this directory as study-"+cmd.Name()+".json, for xent report")
}

// heldOut loads the model and cuts its held-out documents of length tokens.
func (f *studyFlags) heldOut(length int) (*modeldir.Pretrained, [][]int32, error) {
	if f.model == "" {
		return nil, nil, fmt.Errorf("--model is required")
	}
	if f.docs < 1 {
		return nil, nil, fmt.Errorf("--docs %d: must be ≥ 1", f.docs)
	}
	p, err := modeldir.Load(f.model)
	if err != nil {
		return nil, nil, err
	}
	if length > p.Model.MaxSeqLen() {
		return nil, nil, fmt.Errorf("documents of %d tokens are longer than the model's context of %d; shorten the lengths", length, p.Model.MaxSeqLen())
	}
	corpus, err := data.Prepare(data.PrepareOptions{Source: f.src, Tokenizer: p.Tokenizer, HeldOutOnly: true})
	if err != nil {
		return nil, nil, err
	}
	docs, err := study.Documents(corpus.HeldOutTokens, length, f.docs)
	if err != nil {
		return nil, nil, fmt.Errorf("corpus %s: %w", corpus.Name, err)
	}
	return p, docs, nil
}

func newStudyExposureCmd() *cobra.Command {
	var f studyFlags
	var o study.ExposureOptions
	var plotPath string
	var plots plotFlags
	cmd := &cobra.Command{
		Use:   "exposure --model DIR [flags]",
		Short: "Exposure bias: the model on true context against the model on its own",
		Long: `For each held-out document d and prefix length p:

  teacher-forced   the mean NLL of the true tokens d[p+k : p+k+m] given the
                   true d[:p+k];
  after greedy,    the same tokens at the same positions, but with the k
  after sampled    tokens before them replaced by the model's own greedy (or
                   sampled, --temperature) continuation of d[:p];

and the error-compounding curve: generating freely from d[:p] (greedy, and
sampled), at each distance j = 1 … --horizon the NLL of the true token
d[p+j−1] given the model's own j−1 tokens, beside its teacher-forced NLL, and
how often the model's top-1 token there differs from its top-1 under the
true context. Prints a table and writes the curve into --plots as
exposure.svg (--plot-format); by default into the directory of the model's
studies, MODEL.studies beside MODEL (exposure-2.svg and on when earlier plots
are there).`,
		Example: `  xent study exposure --model runs/opticks
  xent study exposure --model runs/opticks --prefixes 8,32 --own 8 --continuation 16 --plots runs/plots --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := plots.check(); err != nil {
				return err
			}
			o.Seed = f.seed
			p, docs, err := f.heldOut(o.DocLength())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "xent study exposure: %d held-out documents of %d tokens\n", len(docs), o.DocLength())
			res, err := study.RunExposure(p.Model, docs, o)
			if err != nil {
				return err
			}
			// The table first: a plot that cannot be written loses nothing.
			if err := f.print(cmd.OutOrStdout(), res, o); err != nil {
				return err
			}
			var path string
			switch {
			case cmd.Flags().Changed("plot"): // the older spelling: a file, or '' for none
				if path = plotPath; path == "" {
					return nil
				}
			case plots.dir != "":
				if path, err = plots.path("exposure"); err != nil {
					return err
				}
			default:
				if path, err = studyOutput(f.model, "exposure."+plots.format); err != nil {
					return fmt.Errorf("the plot (give --plots DIR): %w", err)
				}
			}
			if err := res.Plot(path); err != nil {
				return fmt.Errorf("the plot %s: %w", path, err)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "xent study exposure: wrote %s\n", path)
			return nil
		},
	}
	f.add(cmd)
	fl := cmd.Flags()
	fl.IntSliceVar(&o.Prefixes, "prefixes", []int{16, 32, 64}, "prefix lengths p, comma-separated")
	fl.IntVar(&o.Own, "own", 16, "k: the model's own tokens inserted before the scored ones")
	fl.IntVar(&o.Continuation, "continuation", 32, "m: true tokens scored after them")
	fl.IntVar(&o.Horizon, "horizon", 64, "free-running tokens of the error-compounding curve")
	fl.Float64Var(&o.Temperature, "temperature", 1, "temperature of the sampled runs")
	plots.add(cmd, "write the curve into this directory as exposure.FORMAT (default: MODEL.studies beside --model, never replacing an earlier plot)")
	fl.StringVar(&plotPath, "plot", "", "write the curve to this file ('': no plot)")
	fl.MarkHidden("plot") // the older spelling; --plots is the vocabulary's
	return cmd
}

func newStudyRepetitionCmd() *cobra.Command {
	var f studyFlags
	var o study.RepetitionOptions
	var repList, freqList, presList string
	cmd := &cobra.Command{
		Use:   "repetition --model DIR [flags]",
		Short: "Sweep repetition, frequency and presence penalties; measure degeneration",
		Long: `Continue the first --prompt-len tokens of each held-out document with
--max-tokens tokens under each setting of the sweep: every repetition
penalty in --repetition-penalties (Hugging Face's), then every frequency
penalty and every presence penalty (OpenAI's) alone. For each setting it
reports seq-rep-4, distinct-2, the mean NLL of the generated tokens under
the unpenalised model, rep/128, wrep/128 and uniq (Welleck et al. 2019);
the first row is the held-out text itself. Decoding is greedy unless
--temperature > 0; every setting sees the same prompts and random streams.`,
		Example: `  xent study repetition --model runs/opticks
  xent study repetition --model runs/opticks --temperature 1 --top-p 0.9 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Decoding.Seed = f.seed
			if err := o.Decoding.Validate(); err != nil {
				return err
			}
			rep, err := parseFloats("--repetition-penalties", repList)
			if err != nil {
				return err
			}
			freq, err := parseFloats("--frequency-penalties", freqList)
			if err != nil {
				return err
			}
			pres, err := parseFloats("--presence-penalties", presList)
			if err != nil {
				return err
			}
			o.Sweep = nil
			for _, r := range rep {
				o.Sweep = append(o.Sweep, study.Penalty{Repetition: r})
			}
			for _, x := range freq {
				o.Sweep = append(o.Sweep, study.Penalty{Repetition: 1, Frequency: x})
			}
			for _, x := range pres {
				o.Sweep = append(o.Sweep, study.Penalty{Repetition: 1, Presence: x})
			}
			for _, p := range o.Sweep {
				if !(p.Repetition > 0) {
					return fmt.Errorf("--repetition-penalties: %g must be > 0", p.Repetition)
				}
			}
			if len(o.Sweep) == 0 {
				return fmt.Errorf("the sweep is empty: give --repetition-penalties, --frequency-penalties or --presence-penalties")
			}
			p, docs, err := f.heldOut(o.Prompt + o.NewTokens)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "xent study repetition: %d held-out prompts, %d settings\n", len(docs), len(o.Sweep))
			res, err := study.RunRepetition(p.Model, docs, o)
			if err != nil {
				return err
			}
			return f.print(cmd.OutOrStdout(), res, o)
		},
	}
	f.add(cmd)
	fl := cmd.Flags()
	fl.IntVar(&o.Prompt, "prompt-len", 32, "tokens of each held-out prompt")
	fl.IntVar(&o.NewTokens, "max-tokens", 64, "tokens generated per prompt")
	fl.StringVar(&repList, "repetition-penalties", "1,1.1,1.2,1.5,2", "repetition penalties to sweep, comma-separated (1: off; empty: none)")
	fl.StringVar(&freqList, "frequency-penalties", "0.5,1", "frequency penalties to sweep, each alone (empty: none)")
	fl.StringVar(&presList, "presence-penalties", "0.5,1", "presence penalties to sweep, each alone (empty: none)")
	fl.Float64Var(&o.Decoding.Temperature, "temperature", 0, "temperature (0: greedy)")
	fl.IntVar(&o.Decoding.TopK, "top-k", 0, "top-k cut (0: off)")
	fl.Float64Var(&o.Decoding.TopP, "top-p", 1, "top-p cut (1: off)")
	fl.IntVar(&o.Decoding.PenaltyWindow, "penalty-window", 0, "tokens of context the penalties look at (0: all)")
	fl.IntVar(&o.RepWindow, "rep-window", 128, "ℓ of rep/ℓ and wrep/ℓ")
	addPlotsDir(cmd)
	return cmd
}

// studyOutput is where a study of model writes name when the user did
// not say: in the model's studies directory MODEL.studies, beside the
// model directory (inside it, the next save of the model would refuse to
// replace the directory, or drop the file), created if need be. When name
// is there already, from an earlier run, it is the first of NAME-2.EXT,
// NAME-3.EXT, … that is not: a default output never replaces another.
func studyOutput(model, name string) (string, error) {
	dir := filepath.Clean(model)
	if b := filepath.Base(dir); b == "." || b == ".." || b == string(filepath.Separator) {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return "", err
		}
		dir = abs
	}
	dir += ".studies"
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	ext := filepath.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	for i := 1; ; i++ {
		path := filepath.Join(dir, name)
		if i > 1 {
			path = filepath.Join(dir, fmt.Sprintf("%s-%d%s", stem, i, ext))
		}
		if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
			return path, nil
		} else if err != nil {
			return "", err
		}
	}
}

// parseFloats reads a comma-separated list of numbers; empty is none.
func parseFloats(flag, list string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(list, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		x, err := strconv.ParseFloat(f, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("%s: %q is not a number", flag, f)
		}
		out = append(out, x)
	}
	return out, nil
}
