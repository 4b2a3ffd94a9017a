package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/xent-dev/xent/internal/atomicfile"
	"github.com/xent-dev/xent/modeldir"
	htmlreport "github.com/xent-dev/xent/report"
)

type reportFlags struct {
	out, evalFile  string
	force, noEval  bool
	corpus, data   string
	window         string
	ctx, stride    int
	threads        int
	corpusExplicit bool
}

func newReportCmd() *cobra.Command {
	var f reportFlags
	cmd := &cobra.Command{
		Use:   "report DIR",
		Short: "One self-contained HTML page of a checkpoint or a studies directory",
		Long: `report writes one HTML page about DIR that needs nothing but itself (styles,
script and figures inline; no network), sortable tables and figures with
titles, axes and units, readable on screen and on paper:

  a checkpoint of xent train   its config and training settings, the loss
                               curves (training and held-out, against the
                               step) and every held-out evaluation during
                               training; and its held-out evaluation: every
                               table of xent eval (overall, calibration with
                               the reliability diagram, loss by class, by
                               frequency and by position)
  a --plots directory          each study's tables (from the study-NAME.json
                               document every "xent study" given --plots DIR
                               writes there) and its figures

The evaluation is DIR/eval.json when it is there (the document xent eval
--json prints: xent eval --model DIR --corpus opticks --json > DIR/eval.json),
or --eval FILE; otherwise report evaluates the checkpoint itself, as xent eval
does, on the held-out 10% of --corpus (opticks unless given) or on --data.
A checkpoint's studies in DIR.studies, beside it, are shown too.

The page goes to DIR/report.html, or --out; an existing file is replaced
only with --force. (A later save of the checkpoint, xent train --resume or
--force, drops DIR/report.html and DIR/eval.json with the weights they
describe.)`,
		Example: `  xent report runs/opticks
  xent eval --model runs/opticks --corpus opticks --json > runs/opticks/eval.json && xent report runs/opticks --force
  xent study exposure --model runs/opticks --plots runs/plots && xent report runs/plots`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f.corpusExplicit = cmd.Flags().Changed("corpus")
			return runReport(cmd, args[0], &f)
		},
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.StringVar(&f.out, "out", "", "write the page to this file (default: DIR/report.html)")
	fl.BoolVar(&f.force, "force", false, "replace the output file if it exists")
	fl.StringVar(&f.evalFile, "eval", "", "show this evaluation (an xent eval --json document) instead of DIR/eval.json")
	fl.BoolVar(&f.noEval, "no-eval", false, "do not evaluate a checkpoint that has no eval.json")
	fl.StringVar(&f.corpus, "corpus", "opticks", "built-in corpus whose held-out 10% the evaluation scores: opticks or gosrc")
	fl.StringVar(&f.data, "data", "", "score this file, directory or glob instead (as xent eval --data)")
	fl.StringVar(&f.window, "window", "disjoint", "the evaluation's windowing scheme: disjoint, strided or llamacpp")
	fl.IntVar(&f.ctx, "context", 0, "the evaluation's tokens per window (0: the model's context)")
	fl.IntVar(&f.stride, "stride", 0, "strided: tokens between window starts (0: context/2)")
	fl.IntVar(&f.threads, "threads", 0, "goroutines of the evaluation (0: GOMAXPROCS)")
	return cmd
}

func runReport(cmd *cobra.Command, dir string, f *reportFlags) error {
	if f.data != "" && f.corpusExplicit {
		return errors.New("report: give at most one of --data and --corpus")
	}
	out := f.out
	if out == "" {
		out = filepath.Join(dir, modeldir.ReportFile)
	}
	// Before any work: an output that is there already.
	if fi, err := os.Lstat(out); err == nil {
		switch {
		case !fi.Mode().IsRegular():
			return fmt.Errorf("report: %s exists and is not a file; give --out FILE", out)
		case !f.force:
			return fmt.Errorf("report: %s exists; --force to replace it, or --out FILE", out)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("report: %w", err)
	}
	page, err := htmlreport.Load(dir)
	if err != nil {
		return err
	}
	logw := cmd.ErrOrStderr()
	switch {
	case f.evalFile != "":
		if page.Eval, err = htmlreport.ReadEval(f.evalFile); err != nil {
			return fmt.Errorf("--eval: %w", err)
		}
	case page.Eval != nil, page.Checkpoint == nil:
	case f.noEval:
		page.Notes = append(page.Notes, fmt.Sprintf("No held-out evaluation: %s has no %s and the page was made with --no-eval.", dir, modeldir.EvalFile))
	default:
		ef := evalFlags{model: dir, corpus: f.corpus, data: f.data, window: f.window, classes: "auto",
			ctx: f.ctx, stride: f.stride, threads: f.threads, plots: plotFlags{format: "svg"}}
		if f.data != "" {
			ef.corpus = ""
		}
		fmt.Fprintf(logw, "xent report: %s has no %s; evaluating it on %s\n", dir, modeldir.EvalFile, reportEvalText(ef))
		r, src, err := evaluate(cmd, &ef)
		if err != nil {
			return err
		}
		srcJSON, err := json.Marshal(src)
		if err != nil {
			return err
		}
		page.Eval = &htmlreport.Eval{Source: srcJSON, Report: r}
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := atomicfile.Write(out, func(w io.Writer) error { return page.Render(w) }); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	fmt.Fprintf(logw, "xent report: wrote %s\n", out)
	return nil
}

// reportEvalText names the text an evaluation scores.
func reportEvalText(f evalFlags) string {
	if f.data != "" {
		return f.data
	}
	return "the held-out 10% of corpus " + f.corpus
}
