package tune

import (
	"fmt"
	"math"

	"github.com/xent-dev/xent/loss"
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

// TextEval is a model on held-out plain text, beside a base model.
type TextEval struct {
	Tokens     int     // positions scored
	NLL        float64 // mean nats per token
	Perplexity float64
	KL         float64 // mean over positions of KL(π ‖ base), exact over the vocabulary
}

// EvaluateText scores every window (T+1 tokens, data.Windows) with m: the
// mean NLL of each next token and, against base, the mean KL(π ‖ base) of
// the next-token distributions.
func EvaluateText(m, base *model.Model, windows [][]int32) (TextEval, error) {
	var ev TextEval
	nats, kl := 0.0, 0.0
	V := m.VocabSize()
	for _, w := range windows {
		n := len(w) - 1
		if n < 1 {
			continue
		}
		p, err := m.Logits(w[:n], 1, n)
		if err != nil {
			return TextEval{}, err
		}
		q, err := base.Logits(w[:n], 1, n)
		if err != nil {
			return TextEval{}, err
		}
		ce, err := loss.CrossEntropy(loss.F32(p, n, V), loss.Targets{Index: w[1:]}, loss.Options{Reduction: loss.Sum})
		if err != nil {
			return TextEval{}, err
		}
		d, err := loss.Compare(loss.FromLogits(p, n, V), loss.FromLogits(q, n, V), 0)
		if err != nil {
			return TextEval{}, err
		}
		nats += ce.Loss
		for _, x := range d.KL {
			kl += x
		}
		ev.Tokens += n
	}
	if ev.Tokens == 0 {
		return TextEval{}, fmt.Errorf("tune: no held-out tokens to score")
	}
	ev.NLL, ev.KL = nats/float64(ev.Tokens), kl/float64(ev.Tokens)
	ev.Perplexity = math.Exp(ev.NLL)
	return ev, nil
}
