package tune

import (
	"github.com/xent-dev/xent/loss"
	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/prefs"
)

// batch is R sequences padded to T positions for one pass of the model.
type batch struct {
	R, T    int
	tokens  []int32   // [R, T] model inputs; padding is token 0
	targets []int32   // [R, T] the next token on completion positions, the ignore index elsewhere
	mask    []bool    // [R, T] true on completion positions
	logp    []float32 // [R, T] the model's token log-probabilities of the last pass
}

func newBatch(R, T int) *batch {
	return &batch{R: R, T: T, tokens: make([]int32, R*T), targets: make([]int32, R*T), mask: make([]bool, R*T), logp: make([]float32, R*T)}
}

// fill lays out rows (at most R; the rest stay padding) with the prompt's
// targets masked.
func (b *batch) fill(rows []Sequence) {
	clear(b.tokens)
	clear(b.mask)
	for i := range b.targets {
		b.targets[i] = loss.DefaultIgnoreIndex
	}
	for r, s := range rows {
		row := r * b.T
		copy(b.tokens[row:row+s.Inputs()], s.Tokens)
		for t := s.Prompt - 1; t < s.Inputs(); t++ {
			b.targets[row+t] = s.Tokens[t+1]
			b.mask[row+t] = true
		}
	}
}

// sequenceLogProbs runs m over the batch and returns the first n rows'
// sequence log-probabilities (sums, or length averages) and lengths.
func (b *batch) sequenceLogProbs(m *model.Model, n int, average bool) ([]float64, []int, error) {
	if err := m.TokenLogProbs(b.tokens, b.R, b.T, b.targets, loss.DefaultIgnoreIndex, b.logp); err != nil {
		return nil, nil, err
	}
	return prefs.SequenceLogProbs(b.logp[:n*b.T], b.mask[:n*b.T], n, b.T, average)
}

// backward takes the gradient with respect to the first len(dseq) rows'
// sequence log-probabilities back into m's gradient buffer (zeroed first);
// the other rows get none.
func (b *batch) backward(m *model.Model, dseq []float64, average bool) error {
	n := len(dseq)
	dlogp := make([]float32, b.R*b.T)
	if err := prefs.SequenceLogProbsBackward(dseq, b.mask[:n*b.T], n, b.T, average, dlogp[:n*b.T]); err != nil {
		return err
	}
	m.ZeroGrads()
	return m.BackwardTokenLogProbs(dlogp)
}
