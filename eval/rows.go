package eval

import (
	"fmt"

	"github.com/xent-dev/xent/internal/par"
	"github.com/xent-dev/xent/loss"
	"github.com/xent-dev/xent/model"
)

// rowScorer holds what scoring positions needs between forward passes:
// the head's logits a chunk of rows at a time (chunkBytes of them, or
// headRows rows if that is more), and a loss.RowScorer per worker.
type rowScorer struct {
	logits, blog []float32 // [rows, V] the model's and the base model's logits
	results      []loss.Row
	scorers      []loss.RowScorer // per worker
	errs         []error          // per worker
}

func newRowScorer(V, maxRows, threads int) rowScorer {
	rows := max(1, min(maxRows, max(headRows, chunkBytes/(4*V))))
	return rowScorer{logits: make([]float32, rows*V), results: make([]loss.Row, rows),
		scorers: make([]loss.RowScorer, threads), errs: make([]error, threads)}
}

// score runs B sequences of T inputs [B·T] through m (and base, if not
// nil) in one forward pass and scores positions from[b] to n[b]−1 of each
// sequence b against target(b, p), calling emit with each row and its
// logits [V] in order, sequence by sequence. Position p of a sequence
// reads its inputs 0 to p only (the model is causal), so what follows
// n[b] is padding that changes nothing. The pass is the lean forward
// (model.HiddenLean), which keeps no activations. It is the one computation behind
// every scored position: xent eval's windows (B = 1) and xent serve's
// batches.
func (s *rowScorer) score(m, base *model.Model, inputs []int32, B, T int, from, n []int, target func(b, p int) int32, threads int,
	emit func(b, p int, r loss.Row, logits []float32)) error {
	V := m.VocabSize()
	h, err := m.HiddenLean(inputs, B, T)
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	var hb []float32
	if base != nil {
		if hb, err = base.HiddenLean(inputs, B, T); err != nil {
			return fmt.Errorf("eval: base model: %w", err)
		}
	}
	C, Cb := m.Width(), 0
	if base != nil {
		Cb = base.Width()
	}
	rows := len(s.results)
	threads = min(threads, len(s.scorers))
	for b := range B {
		for p0 := from[b]; p0 < n[b]; p0 += rows {
			k := min(rows, n[b]-p0)
			m.HeadLogits(h[(b*T+p0)*C:], k, s.logits)
			if base != nil {
				base.HeadLogits(hb[(b*T+p0)*Cb:], k, s.blog)
			}
			par.Split(k, threads, func(worker, lo, hi int) {
				for i := lo; i < hi; i++ {
					var bl []float32
					if base != nil {
						bl = s.blog[i*V : (i+1)*V]
					}
					r, err := s.scorers[worker].Score(s.logits[i*V:(i+1)*V], bl, target(b, p0+i))
					if err != nil && s.errs[worker] == nil {
						s.errs[worker] = &positionError{b, p0 + i, err}
					}
					s.results[i] = r
				}
			})
			for _, err := range s.errs {
				if err != nil {
					clear(s.errs)
					return err
				}
			}
			for i := range k {
				emit(b, p0+i, s.results[i], s.logits[i*V:(i+1)*V])
			}
		}
	}
	return nil
}

// positionError is a position that could not be scored: sequence b's
// position p.
type positionError struct {
	b, p int
	err  error
}

func (e *positionError) Error() string {
	return fmt.Sprintf("eval: sequence %d, position %d: %v", e.b, e.p, e.err)
}

func (e *positionError) Unwrap() error { return e.err }

// Batcher scores sequences with a model in batches, by the computation
// xent eval scores its windows with, so a position scored here gives the
// same bits as there. It is not safe for concurrent use.
type Batcher struct {
	m       *model.Model
	rows    rowScorer
	threads int
}

// NewBatcher returns a batcher of m with threads goroutines per chunk of
// rows (0: GOMAXPROCS) that ranks each target (loss.Row.Rank) when rank.
func NewBatcher(m *model.Model, threads int, rank bool) *Batcher {
	opt, _ := checkOptions(Options{Ctx: 2, Threads: threads}, m.VocabSize(), max(2, m.MaxSeqLen()), 0)
	b := &Batcher{m: m, rows: newRowScorer(m.VocabSize(), m.MaxSeqLen(), opt.Threads), threads: opt.Threads}
	for i := range b.rows.scorers {
		b.rows.scorers[i].Rank = rank
	}
	return b
}

// Score runs B sequences of T inputs each [B·T] in one forward pass and
// scores positions 0 to n[b]−1 of sequence b against target(b, p), calling
// emit with each position's row and logits [V] (valid only during the
// call), in order. Inputs past n[b] are padding.
func (b *Batcher) Score(inputs []int32, B, T int, n []int, target func(b, p int) int32, emit func(b, p int, r loss.Row, logits []float32)) error {
	if len(inputs) != B*T || len(n) != B {
		return fmt.Errorf("eval: %d inputs and %d lengths for %d sequences of %d", len(inputs), len(n), B, T)
	}
	for i, k := range n {
		if k < 0 || k > T {
			return fmt.Errorf("eval: sequence %d scores %d positions of %d", i, k, T)
		}
	}
	return b.rows.score(b.m, nil, inputs, B, T, make([]int, B), n, target, b.threads, emit)
}
