package eval

import (
	"bytes"
	"fmt"
	"math"
	"math/bits"

	"github.com/xent-dev/xent/loss"
	"github.com/xent-dev/xent/tokenizer"
)

// accumulator sums every metric over the scored positions, in the order
// they are scored (so the same input gives the same bits).
type accumulator struct {
	documents                   int
	windows, available          int64 // windows scored; targets the text held, scored or not
	reachedBytes                int64 // bytes of the documents' tokens up to their last scored window's end
	tokens, bytes, chars, words int64
	nll, nllSq                  float64
	entropy                     float64 // Σ H(p), with Options.Entropy
	correct                     int64
	calibration                 Calibration
	classNLL                    [numClasses]float64
	classCount                  [numClasses]int64
	idNLL                       []float64 // [V]
	idCount                     []int64   // [V]
	posNLL                      []float64 // [buckets]: positions 0, 1, 2–3, 4–7, ...
	posCount                    []int64
	// against the base: Σ KL(base ‖ model) and its square, Σ KL(model ‖ base)
	kl, klSq, klModelBase float64
	baseNLL, deltaPSq     float64
	sameTop               int64
	klds                  []float32 // every position's KL(base ‖ model), for the percentiles
}

func (a *accumulator) init(V, ctx int) {
	a.idNLL, a.idCount = make([]float64, V), make([]int64, V)
	nb := positionBucket(ctx-1) + 1
	a.posNLL, a.posCount = make([]float64, nb), make([]int64, nb)
}

// positionBucket is ⌊log₂(p)⌋+1 for p ≥ 1 and 0 for p = 0: buckets 0, 1,
// 2–3, 4–7, ...
func positionBucket(p int) int { return bits.Len(uint(p)) }

func (a *accumulator) add(r loss.Row, target int32, info tokenInfo, pos int, withBase bool) {
	a.tokens++
	a.bytes += int64(info.bytes)
	a.chars += int64(info.chars)
	a.words += int64(info.words)
	a.nll += r.NLL
	a.nllSq += r.NLL * r.NLL
	a.entropy += r.Entropy
	correct := r.Top == target
	if correct {
		a.correct++
	}
	a.calibration.Add(r.TopProb, correct)
	if info.classified {
		a.classNLL[info.class] += r.NLL
		a.classCount[info.class]++
	}
	a.idNLL[target] += r.NLL
	a.idCount[target]++
	b := positionBucket(pos)
	a.posNLL[b] += r.NLL
	a.posCount[b]++
	if withBase {
		kl := r.KLBaseModel
		a.kl += kl
		a.klSq += kl * kl
		a.klModelBase += r.KLModelBase
		a.baseNLL += r.BaseNLL
		a.deltaPSq += r.DeltaP * r.DeltaP
		if r.SameTop() {
			a.sameTop++
		}
		a.klds = append(a.klds, float32(kl))
	}
}

// sameTokenizer checks that two tokenizers are the same: vocabulary,
// merges, special tokens and pre-tokenizer, compared through their Hugging
// Face serialisations.
func sameTokenizer(a, b *tokenizer.Tokenizer) error {
	var x, y bytes.Buffer
	if err := a.SaveHF(&x); err != nil {
		return err
	}
	if err := b.SaveHF(&y); err != nil {
		return err
	}
	if !bytes.Equal(x.Bytes(), y.Bytes()) {
		return fmt.Errorf("eval: the base model's tokenizer (%d tokens) differs from the model's (%d tokens); KL needs both to share one", b.VocabSize(), a.VocabSize())
	}
	return nil
}

// mean is sum/n, or 0 when n is 0.
func mean(sum float64, n int64) float64 {
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

// stderr is the standard error of the mean of n values with these sums.
func stderr(sum, sumSq float64, n int64) float64 {
	if n < 2 {
		return 0
	}
	m := sum / float64(n)
	v := (sumSq - float64(n)*m*m) / float64(n-1)
	return math.Sqrt(max(v, 0) / float64(n))
}

// ratio is x/y, or 0 when y is 0.
func ratio(x, y float64) float64 {
	if y == 0 {
		return 0
	}
	return x / y
}
