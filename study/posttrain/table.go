package posttrain

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/xent-dev/xent/internal/atomicfile"
)

// referenceText says whether a row needs a reference model, and how it has
// it.
func referenceText(r Row) string {
	switch r.Reference {
	case "model":
		return "yes (frozen copy)"
	case "precomputed":
		return fmt.Sprintf("yes (precomputed, %.0f s)", r.PrecomputeS)
	}
	return "no"
}

// split is an accuracy with its split by flip kind.
func split(all, inserted, removed float64) string {
	return fmt.Sprintf("**%.1f%%** (%.1f%% / %.1f%%)", 100*all, 100*inserted, 100*removed)
}

// WriteTable writes the study's table in Markdown.
func WriteTable(w io.Writer, r Result) error {
	var b strings.Builder
	fmt.Fprintf(&b, "| method | needs a reference? | live heap / peak RSS (MiB) | time per step: wall / CPU (ms) | held-out pair accuracy (\"not\" inserted / removed) | held-out reward accuracy vs base (inserted / removed) | KL(π ‖ base) (nats/token) | Δ held-out perplexity |\n")
	fmt.Fprintf(&b, "|---|---|---|---|---|---|---|---|\n")
	fmt.Fprintf(&b, "| base model | – | – | – | %s | – | 0 | 0 (perplexity %.2f) |\n", split(r.Base.PairAccuracy, r.Base.InsertAccuracy, r.Base.RemovalAccuracy), r.Base.Perplexity)
	for _, row := range r.Rows {
		fmt.Fprintf(&b, "| %s | %s | %.1f / %.0f | %.0f / %.0f | %s | %s | %.4f | %+.2f%% |\n", row.Name, referenceText(row), row.LiveHeap, row.PeakRSS,
			row.StepMS, row.StepCPUMS, split(row.PairAccuracy, row.InsertAccuracy, row.RemovalAccuracy),
			split(row.RewardAccuracy, row.InsertReward, row.RemovalReward), row.KLPolicyBase, 100*row.DeltaPPL)
	}
	fmt.Fprintf(&b, "\n%d training pairs; %d held-out pairs (%d with a \"not\" removed); %d tokens of held-out plain text.\n",
		r.TrainPairs, r.HeldOutPairs, r.HeldOutRemovals, r.TextTokens)
	_, err := io.WriteString(w, b.String())
	return err
}

// The files WritePairs writes.
const (
	TrainPairsFile   = "train.jsonl"
	HeldOutPairsFile = "heldout.jsonl"
)

// WritePairs writes the training and held-out pairs as the JSON Lines
// "xent tune" reads ({"prompt", "chosen", "rejected"}): TrainPairsFile and
// HeldOutPairsFile in dir, each written atomically.
func WritePairs(dir string, d Data) error {
	for name, pairs := range map[string][]Pair{TrainPairsFile: d.TrainPairs, HeldOutPairsFile: d.HeldOutPairs} {
		err := atomicfile.Write(filepath.Join(dir, name), func(w io.Writer) error {
			enc := json.NewEncoder(w)
			for _, p := range pairs {
				if err := enc.Encode(map[string]string{"prompt": p.Prompt, "chosen": p.Chosen, "rejected": p.Rejected}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
