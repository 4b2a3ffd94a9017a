package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/xent-dev/xent/prefs"
)

// prefsFlags are the flags of "xent prefs score".
type prefsFlags struct {
	typ                string
	beta               float64
	lossType           string
	labelSmoothing     float64
	referenceFree      bool
	gamma, alpha       float64
	desirable, undesir float64
	averaged           bool
}

func newPrefsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "prefs",
		Short: "Preference losses (DPO, KTO, ORPO, SimPO/CPO) on logged log-probabilities",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newPrefsScoreCmd())
	return cmd
}

func newPrefsScoreCmd() *cobra.Command {
	var f prefsFlags
	cmd := &cobra.Command{
		Use:   "score --type dpo|kto|orpo|simpo|cpo [flags] [< logged.jsonl | FILE]",
		Short: "Compute preference losses and rewards from logged sequence log-probabilities",
		Long: `Read sequence log-probabilities logged by any framework, one JSON object per
line (stdin, or FILE), and compute the loss and the implicit rewards as TRL
v0.24.0 does. Each line carries

  policy_chosen, policy_rejected     the policy's log π(y|x) of both completions
  ref_chosen, ref_rejected           the reference's (dpo and kto)
  chosen_len, rejected_len           completion tokens (orpo, simpo, dpo --loss-type
                                     ipo, cpo --alpha > 0, and --averaged with a
                                     loss on sums)

For kto a line may instead be one example: policy, ref, label (true for a
desirable completion); any kto line may carry policy_kl and ref_kl, the
log-probabilities of a mismatched completion for the KL reference point.
Log-probabilities are sums over the completion's tokens unless --averaged.

Output on stdout: one JSON object per input line, numbered by its line
({"line", "loss", "chosen_reward", "rejected_reward", "margin", "correct"};
for kto {"line", "desirable", "loss", "reward"}), then one summary object
{"summary": {...}} for the whole input scored as one batch: the loss (with
ORPO's and CPO's NLL term), reward accuracy, mean rewards and margin, mean
log-probabilities, and for kto the KL estimate.

A missing field, a value that is not a number, a log-probability above 0
or an empty completion (a length below 1) stops the run with the line's
number: no line is skipped, so no pair is shifted.

--beta defaults to each loss's TRL default: 0.1 for dpo, kto, orpo (its λ)
and cpo; 2 for simpo (the SimPO paper's).`,
		Example: `  xent prefs score --type dpo --beta 0.1 < logged.jsonl
  xent prefs score --type dpo --loss-type robust --label-smoothing 0.1 run.jsonl
  xent prefs score --type orpo --beta 0.2 < logged.jsonl | tail -1
  xent prefs score --type kto --desirable-weight 1.33 < kto.jsonl`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runPrefsScore(cmd, args, &f) },
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.StringVar(&f.typ, "type", "", "loss: dpo, kto, orpo, simpo or cpo (required)")
	fl.Float64Var(&f.beta, "beta", 0, "β (λ for orpo); 0 takes the loss's default (0.1, or 2 for simpo)")
	fl.StringVar(&f.lossType, "loss-type", "sigmoid", "dpo's loss: sigmoid, robust, hinge or ipo")
	fl.Float64Var(&f.labelSmoothing, "label-smoothing", 0, "ε: cDPO (sigmoid, ≤ 0.5), robust DPO (< 0.5), cpo and simpo")
	fl.BoolVar(&f.referenceFree, "reference-free", false, "dpo against a reference margin of 0 (ref_* not needed)")
	fl.Float64Var(&f.gamma, "gamma", 0.5, "simpo's target margin γ")
	fl.Float64Var(&f.alpha, "alpha", 0, "weight of the chosen NLL term of cpo and simpo (TRL's cpo_alpha; its CPOTrainer default is 1)")
	fl.Float64Var(&f.desirable, "desirable-weight", 1, "kto's weight on desirable examples")
	fl.Float64Var(&f.undesir, "undesirable-weight", 1, "kto's weight on undesirable examples")
	fl.BoolVar(&f.averaged, "averaged", false, "the logged log-probabilities are length averages, not sums")
	return cmd
}

// spec is the loss the flags describe.
func (f *prefsFlags) spec() (prefs.Spec, error) {
	t, err := prefs.ParseDPOType(f.lossType)
	if err != nil {
		return prefs.Spec{}, fmt.Errorf("--loss-type: %w", err)
	}
	return prefs.Spec{Type: f.typ, Beta: f.beta, DPOType: t, LabelSmoothing: f.labelSmoothing, ReferenceFree: f.referenceFree,
		Gamma: f.gamma, Alpha: f.alpha, DesirableWeight: f.desirable, UndesirableWeight: f.undesir}, nil
}

func runPrefsScore(cmd *cobra.Command, args []string, f *prefsFlags) error {
	in := cmd.InOrStdin()
	name := "stdin"
	if len(args) == 1 {
		file, err := os.Open(args[0])
		if err != nil {
			return err
		}
		defer file.Close()
		in, name = file, args[0]
	}
	spec, err := f.spec()
	if err != nil {
		return err
	}
	out := json.NewEncoder(cmd.OutOrStdout())
	if f.typ == "kto" {
		return scoreKTO(cmd, in, name, out, spec.KTO())
	}
	l, err := spec.PairLoss()
	if err != nil {
		return fmt.Errorf("--type %q: want dpo, kto, orpo, simpo or cpo", f.typ)
	}
	logged, err := prefs.ReadLoggedPairs(in, prefs.LogFieldsFor(l, f.averaged))
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	scores, sum, err := prefs.ScorePairs(l, logged, f.averaged)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	for _, s := range scores {
		if err := out.Encode(pairLine{Line: s.Line, Loss: jsonFloat(s.Loss), ChosenReward: jsonFloat(s.ChosenReward),
			RejectedReward: jsonFloat(s.RejectedReward), Margin: jsonFloat(s.ChosenReward - s.RejectedReward),
			Correct: s.ChosenReward > s.RejectedReward}); err != nil {
			return err
		}
	}
	chosen, rejected := sum.MeanRewards()
	summary := pairSummary{Type: f.typ, Pairs: len(scores), Loss: jsonFloat(sum.Loss),
		PreferenceLoss: jsonFloat(sum.PreferenceLoss()), NLL: jsonFloat(sum.NLL),
		RewardAccuracy: jsonFloat(sum.Accuracy()), Margin: jsonFloat(sum.Margin()),
		ChosenReward: jsonFloat(chosen), RejectedReward: jsonFloat(rejected),
		LogpsChosen: jsonFloat(sum.LogpChosen), LogpsRejected: jsonFloat(sum.LogpRejected)}
	if f.typ == "orpo" {
		lr, lc := jsonFloat(sum.LogOddsRatio), jsonFloat(sum.LogOddsChosen)
		summary.LogOddsRatio, summary.LogOddsChosen = &lr, &lc
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "xent prefs score: %d pairs from %s, %s loss %.6g, reward accuracy %.4f, margin %.6g\n",
		len(scores), name, f.typ, sum.Loss, sum.Accuracy(), sum.Margin())
	return out.Encode(struct {
		Summary pairSummary `json:"summary"`
	}{summary})
}

// pairLine is one scored line of a pair log.
type pairLine struct {
	Line           int       `json:"line"`
	Loss           jsonFloat `json:"loss"`
	ChosenReward   jsonFloat `json:"chosen_reward"`
	RejectedReward jsonFloat `json:"rejected_reward"`
	Margin         jsonFloat `json:"margin"`
	Correct        bool      `json:"correct"`
}

// pairSummary is a pair log scored as one batch.
type pairSummary struct {
	Type           string     `json:"type"`
	Pairs          int        `json:"pairs"`
	Loss           jsonFloat  `json:"loss"`
	PreferenceLoss jsonFloat  `json:"preference_loss"`
	NLL            jsonFloat  `json:"nll"`
	RewardAccuracy jsonFloat  `json:"reward_accuracy"`
	Margin         jsonFloat  `json:"margin"`
	ChosenReward   jsonFloat  `json:"chosen_reward"`
	RejectedReward jsonFloat  `json:"rejected_reward"`
	LogpsChosen    jsonFloat  `json:"logps_chosen"`
	LogpsRejected  jsonFloat  `json:"logps_rejected"`
	LogOddsRatio   *jsonFloat `json:"log_odds_ratio,omitempty"`
	LogOddsChosen  *jsonFloat `json:"log_odds_chosen,omitempty"`
}

// ktoLine is one scored KTO example.
type ktoLine struct {
	Line      int       `json:"line"`
	Desirable bool      `json:"desirable"`
	Loss      jsonFloat `json:"loss"`
	Reward    jsonFloat `json:"reward"`
}

// ktoSummary is a KTO log scored as one batch.
type ktoSummary struct {
	Type           string    `json:"type"`
	Examples       int       `json:"examples"`
	Loss           jsonFloat `json:"loss"`
	KL             jsonFloat `json:"kl"` // KL(π ‖ ref), KTO's detached reference point, clamped at 0
	ChosenReward   jsonFloat `json:"chosen_reward"`
	RejectedReward jsonFloat `json:"rejected_reward"`
}

func scoreKTO(cmd *cobra.Command, in io.Reader, name string, out *json.Encoder, k prefs.KTO) error {
	logged, err := prefs.ReadLoggedKTO(in)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	scores, r, err := prefs.ScoreKTO(k, logged)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	desirable := make([]bool, len(scores))
	for i, s := range scores {
		desirable[i] = s.Desirable
		if err := out.Encode(ktoLine{Line: s.Line, Desirable: s.Desirable, Loss: jsonFloat(s.Loss), Reward: jsonFloat(s.Reward)}); err != nil {
			return err
		}
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "xent prefs score: %d kto examples from %s, loss %.6g, KL(π ‖ ref) %.6g (the reference point, from the mismatched completions)\n", len(scores), name, r.Loss, r.KL)
	return out.Encode(struct {
		Summary ktoSummary `json:"summary"`
	}{ktoSummary{Type: "kto", Examples: len(scores), Loss: jsonFloat(r.Loss), KL: jsonFloat(r.KL),
		ChosenReward: jsonFloat(prefs.MeanWhere(r.Rewards, desirable, true)), RejectedReward: jsonFloat(prefs.MeanWhere(r.Rewards, desirable, false))}})
}
