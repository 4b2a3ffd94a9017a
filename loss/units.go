package loss

import (
	"fmt"
	"math"
)

// Totals is a summed negative log-likelihood and the units it was spread
// over. Perplexity is only comparable between models with the same
// tokenizer; bits per byte or per character are tokenizer-free.
type Totals struct {
	Nats   float64 // Σ −log p(token), natural log
	Tokens int     // scored tokens
	Words  int     // words of the scored text
	Bytes  int     // UTF-8 bytes of the scored text
	Chars  int     // Unicode characters of the scored text
}

func per(total float64, count int, unit string) (float64, error) {
	if count <= 0 {
		return 0, fmt.Errorf("loss: no %s to average over (count %d)", unit, count)
	}
	if math.IsNaN(total) {
		return 0, fmt.Errorf("loss: total NLL is NaN")
	}
	return total / float64(count), nil
}

// MeanNLL is Nats / Tokens, the cross-entropy in nats per token.
func (t Totals) MeanNLL() (float64, error) { return per(t.Nats, t.Tokens, "tokens") }

// Perplexity is exp(Nats / Tokens).
func (t Totals) Perplexity() (float64, error) {
	m, err := t.MeanNLL()
	return math.Exp(m), err
}

// WordPerplexity is exp(Nats / Words).
func (t Totals) WordPerplexity() (float64, error) {
	m, err := per(t.Nats, t.Words, "words")
	return math.Exp(m), err
}

// BytePerplexity is exp(Nats / Bytes).
func (t Totals) BytePerplexity() (float64, error) {
	m, err := per(t.Nats, t.Bytes, "bytes")
	return math.Exp(m), err
}

// BitsPerByte is Nats / (Bytes · ln 2).
func (t Totals) BitsPerByte() (float64, error) {
	m, err := per(t.Nats, t.Bytes, "bytes")
	return m / math.Ln2, err
}

// BitsPerCharacter is Nats / (Chars · ln 2).
func (t Totals) BitsPerCharacter() (float64, error) {
	m, err := per(t.Nats, t.Chars, "characters")
	return m / math.Ln2, err
}
