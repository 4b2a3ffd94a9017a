package tune

import (
	"fmt"

	"github.com/xent-dev/xent/model"
)

// PairMargins returns for each pair log π(chosen) − log π(rejected), the
// summed log-probabilities of the whole completions: positive where the
// model prefers the chosen one. It scores B pairs per pass.
func PairMargins(m *model.Model, items []Item, B int) ([]float64, error) {
	if len(items) == 0 || B < 1 {
		return nil, fmt.Errorf("tune: no pairs to score")
	}
	b := newBatch(2*B, MaxInputs(items))
	margins := make([]float64, len(items))
	for lo := 0; lo < len(items); lo += B {
		chunk := items[lo:min(lo+B, len(items))]
		rows := make([]Sequence, 0, 2*len(chunk))
		for _, it := range chunk {
			rows = append(rows, it.Chosen)
		}
		for _, it := range chunk {
			rows = append(rows, it.Rejected)
		}
		b.fill(rows)
		seq, _, err := b.sequenceLogProbs(m, len(rows), false)
		if err != nil {
			return nil, err
		}
		for k := range chunk {
			margins[lo+k] = seq[k] - seq[len(chunk)+k]
		}
	}
	return margins, nil
}
