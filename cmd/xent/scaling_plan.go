package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/xent-dev/xent/scaling"
)

// scalingPlanFlags are the flags of "xent scaling plan".
type scalingPlanFlags struct {
	flops float64
	fit   string
	table bool
	json  bool
}

func newScalingPlanCmd() *cobra.Command {
	var f scalingPlanFlags
	cmd := &cobra.Command{
		Use:   "plan --flops C [--fit NAME|fit.json] | --table",
		Short: "Compute-optimal model size and tokens for a FLOP budget, under a scaling law",
		Long: `Plan a training run: for a budget of C FLOPs (C ≈ 6·N·D), the model size
N_opt and token count D_opt that minimise the fitted L(N, D), in closed form
(N_opt = G·(C/6)^a with G = (αA/(βB))^(1/(α+β)), a = β/(α+β)), and the
loss predicted there.

--fit names a built-in fit (hoffmann2022 or chinchilla, besiroglu2024 or
epoch; kaplan2020 has no joint L(N, D) to plan with) or the JSON that
"xent scaling fit --json" printed. --table prints the seed's table of model
sizes and their Chinchilla-optimal token counts (Hoffmann et al. 2022,
Table 3, 400M/8B … 10T/216.2T, with Llama 3 405B/15T) as each built-in fit
predicts them: the loss at that N and D, and the tokens the fit itself would
give that model size. The seed gives sizes and tokens only, no losses.`,
		Example: `  xent scaling plan --flops 1e24
  xent scaling plan --flops 5.76e23 --fit epoch --json
  xent scaling plan --flops 1e18 --fit fit.json
  xent scaling plan --table`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runScalingPlan(cmd, &f) },
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.Float64Var(&f.flops, "flops", 0, "training compute budget C in FLOPs, e.g. 1e24 (required unless --table)")
	fl.StringVar(&f.fit, "fit", "hoffmann2022", "built-in fit name (hoffmann2022, besiroglu2024; aliases chinchilla, epoch) or a fit's JSON file")
	fl.BoolVar(&f.table, "table", false, "print the seed's table of model sizes and tokens as each built-in fit predicts them")
	fl.BoolVar(&f.json, "json", false, "print JSON")
	return cmd
}

// planFit is a law with the name it was given by.
type planFit struct {
	Name string
	Law  *scaling.Chinchilla
	Pub  *scaling.PublishedFit
}

// loadPlanFit reads --fit: a built-in name, or a JSON file holding a fit
// report ({"fit": {"chinchilla": {...}}}), {"chinchilla": {...}} or the
// bare law {"E": ..., "A": ..., "B": ..., "alpha": ..., "beta": ...}.
func loadPlanFit(spec string) (planFit, error) {
	if pub, err := scaling.LookupPublished(spec); err == nil {
		return planFit{Name: pub.Name, Law: pub.Law, Pub: &pub}, nil
	} else if !strings.HasSuffix(strings.ToLower(spec), ".json") {
		return planFit{}, fmt.Errorf("--fit: %w, or a .json file", err)
	}
	b, err := os.ReadFile(spec)
	if err != nil {
		return planFit{}, fmt.Errorf("--fit: %w", err)
	}
	var doc struct {
		Fit *struct {
			Law *scaling.Chinchilla `json:"chinchilla"`
		} `json:"fit"`
		Law   *scaling.Chinchilla `json:"chinchilla"`
		E     *float64            `json:"E"`
		Alpha *float64            `json:"alpha"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return planFit{}, fmt.Errorf("--fit %s: %w", spec, err)
	}
	var law scaling.Chinchilla
	switch {
	case doc.Fit != nil && doc.Fit.Law != nil:
		law = *doc.Fit.Law
	case doc.Law != nil:
		law = *doc.Law
	case doc.E != nil && doc.Alpha != nil:
		if err := json.Unmarshal(b, &law); err != nil {
			return planFit{}, fmt.Errorf("--fit %s: %w", spec, err)
		}
	default:
		return planFit{}, fmt.Errorf("--fit %s: no Chinchilla law in it: want the JSON of \"xent scaling fit --json\" (form chinchilla) or {\"E\":…,\"A\":…,\"B\":…,\"alpha\":…,\"beta\":…}", spec)
	}
	if _, err := law.Allocation(); err != nil {
		return planFit{}, fmt.Errorf("--fit %s: %w", spec, err)
	}
	return planFit{Name: spec, Law: &law}, nil
}

// planResult is one budget's plan.
type planResult struct {
	Fit            string             `json:"fit"`
	Law            scaling.Chinchilla `json:"chinchilla"`
	Allocation     scaling.Allocation `json:"allocation"`
	Flops          float64            `json:"flops"`
	Params         float64            `json:"params"`
	Tokens         float64            `json:"tokens"`
	TokensPerParam float64            `json:"tokens_per_param"`
	PredictedLoss  float64            `json:"loss"`
}

func runScalingPlan(cmd *cobra.Command, f *scalingPlanFlags) error {
	w := cmd.OutOrStdout()
	if f.table {
		return printPlanTable(w, f)
	}
	if !cmd.Flags().Changed("flops") {
		return errors.New("--flops is required (a training budget in FLOPs, e.g. 1e24), or --table")
	}
	pf, err := loadPlanFit(f.fit)
	if err != nil {
		return err
	}
	if pf.Law == nil {
		return fmt.Errorf("--fit %s: Kaplan's laws are one variable at a time, with no joint L(N, D) to allocate compute with; use hoffmann2022 or besiroglu2024", pf.Name)
	}
	n, d, err := pf.Law.Optimal(f.flops)
	if err != nil {
		return fmt.Errorf("--flops: %w", err)
	}
	al, _ := pf.Law.Allocation()
	res := planResult{Fit: pf.Name, Law: *pf.Law, Allocation: al, Flops: f.flops, Params: n, Tokens: d, TokensPerParam: d / n, PredictedLoss: pf.Law.Loss(n, d)}
	if f.json {
		return json.NewEncoder(w).Encode(res)
	}
	fmt.Fprintf(w, "%s: L(N, D) = %.4g + %.4g/N^%.4g + %.4g/D^%.4g\n", res.Fit, res.Law.E, res.Law.A, res.Law.Alpha, res.Law.B, res.Law.Beta)
	fmt.Fprintf(w, "compute budget   C = %.4g FLOPs (C = 6·N·D)\n", res.Flops)
	fmt.Fprintf(w, "model size       N_opt = %.4g (%s parameters)\n", res.Params, formatCount(res.Params))
	fmt.Fprintf(w, "training tokens  D_opt = %.4g (%s tokens, %.1f per parameter)\n", res.Tokens, formatCount(res.Tokens), res.TokensPerParam)
	fmt.Fprintf(w, "predicted loss   L = %.4f nats/token\n", res.PredictedLoss)
	fmt.Fprintf(w, "allocation       N_opt = %.4g·(C/6)^%.4f, D_opt ∝ C^%.4f\n", al.G, al.A, al.B)
	return nil
}

// tableRow is one row of --table with each fit's predictions.
type tableRow struct {
	scaling.TableRow
	Flops float64              `json:"flops"`
	Fits  map[string]tableCell `json:"fits"`
}

type tableCell struct {
	Loss          *float64 `json:"loss,omitempty"`           // Chinchilla fits: L(N, D)
	OptimalTokens *float64 `json:"optimal_tokens,omitempty"` // the fit's D_opt for this N
	LossN         *float64 `json:"loss_n,omitempty"`         // Kaplan: L(N)
	LossD         *float64 `json:"loss_d,omitempty"`         // Kaplan: L(D)
}

func printPlanTable(w io.Writer, f *scalingPlanFlags) error {
	var rows []tableRow
	for _, tr := range scaling.ReferenceTable {
		row := tableRow{TableRow: tr, Flops: 6 * tr.N * tr.D, Fits: map[string]tableCell{}}
		for _, pub := range scaling.Published {
			var cell tableCell
			if pub.Law != nil {
				l := pub.Law.Loss(tr.N, tr.D)
				d, err := pub.Law.OptimalTokens(tr.N)
				if err != nil {
					return err
				}
				cell.Loss, cell.OptimalTokens = &l, &d
			}
			if pub.KaplanN != nil && pub.KaplanD != nil {
				ln, ld := pub.KaplanN.Loss(tr.N), pub.KaplanD.Loss(tr.D)
				cell.LossN, cell.LossD = &ln, &ld
			}
			row.Fits[pub.Name] = cell
		}
		rows = append(rows, row)
	}
	if f.json {
		return json.NewEncoder(w).Encode(rows)
	}
	fmt.Fprintln(w, "The seed's table (Hoffmann et al. 2022 Table 3, Llama 3 405B added): model size and tokens, as each built-in fit")
	fmt.Fprintln(w, "predicts them. L = predicted loss at that N and D (nats/token on each paper's own data); D_opt = the tokens the")
	fmt.Fprintln(w, "fit's own compute-optimal allocation gives that N. Kaplan's L(N), L(D) are each the other resource unlimited,")
	fmt.Fprintln(w, "with N non-embedding. The seed gives no loss figures, so none are compared.")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%-6s %-8s %-9s | %-17s | %-17s | %s\n", "", "seed", "", "hoffmann2022", "besiroglu2024", "kaplan2020")
	fmt.Fprintf(w, "%-6s %-8s %-9s | %-6s %-10s | %-6s %-10s | %-6s %s\n", "N", "D", "C", "L", "D_opt", "L", "D_opt", "L(N)", "L(D)")
	for _, r := range rows {
		h, e, k := r.Fits["hoffmann2022"], r.Fits["besiroglu2024"], r.Fits["kaplan2020"]
		fmt.Fprintf(w, "%-6s %-8s %-9.3g | %-6.3f %-10s | %-6.3f %-10s | %-6.3f %.3f\n", r.Label, formatCount(r.D), r.Flops,
			*h.Loss, formatCount(*h.OptimalTokens), *e.Loss, formatCount(*e.OptimalTokens), *k.LossN, *k.LossD)
	}
	return nil
}
