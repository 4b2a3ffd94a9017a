package sample

import (
	"encoding/binary"
)

// ngramKey is the n tokens starting at tokens[i] as a map key.
func ngramKey(tokens []int32, i, n int, buf []byte) string {
	buf = buf[:0]
	for _, t := range tokens[i : i+n] {
		buf = binary.LittleEndian.AppendUint32(buf, uint32(t))
	}
	return string(buf)
}

// SeqRep is seq-rep-n of one sequence, 1 − |unique n-grams| / |n-grams|
// over its len(tokens) − n + 1 n-grams; ok is false when it has fewer than
// n tokens (no n-gram at all).
func SeqRep(tokens []int32, n int) (rep float64, ok bool) {
	total := len(tokens) - n + 1
	if n < 1 || total < 1 {
		return 0, false
	}
	seen := make(map[string]struct{}, total)
	buf := make([]byte, 0, 4*n)
	for i := range total {
		seen[ngramKey(tokens, i, n, buf)] = struct{}{}
	}
	return 1 - float64(len(seen))/float64(total), true
}

// RepeatMask marks the tokens of every n-gram that repeats an earlier
// n-gram of the sequence (the candidates of Welleck et al.'s
// sequence-level unlikelihood loss), the last n-gram included: the
// reference code's loop stops one n-gram short.
func RepeatMask(tokens []int32, n int) []bool {
	mask := make([]bool, len(tokens))
	if n < 1 {
		return mask
	}
	seen := make(map[string]struct{})
	buf := make([]byte, 0, 4*n)
	for i := 0; i+n <= len(tokens); i++ {
		k := ngramKey(tokens, i, n, buf)
		if _, dup := seen[k]; dup {
			for j := i; j < i+n; j++ {
				mask[j] = true
			}
		}
		seen[k] = struct{}{}
	}
	return mask
}

// Distinct is distinct-n (Li et al. 2016) of a set of sequences: the
// number of distinct n-grams over the number of n-grams, pooled over every
// sequence (an n-gram never spans two sequences); ok is false when there
// is no n-gram.
func Distinct(seqs [][]int32, n int) (distinct float64, ok bool) {
	if n < 1 {
		return 0, false
	}
	seen := make(map[string]struct{})
	buf := make([]byte, 0, 4*n)
	total := 0
	for _, s := range seqs {
		for i := 0; i+n <= len(s); i++ {
			seen[ngramKey(s, i, n, buf)] = struct{}{}
			total++
		}
	}
	if total == 0 {
		return 0, false
	}
	return float64(len(seen)) / float64(total), true
}

// NextTokenRepeats counts, over the positions t = start … len(x)−1 of a
// sequence x, the top-1 next-token predictions top[t−start] (the model's
// argmax for x[t] given x[:t]) that occur among the ℓ tokens x[t−ℓ : t]
// before t (rep), and those that also differ from x[t] (wrep): the
// numerators of Welleck et al.'s rep/ℓ and wrep/ℓ, whose denominator is
// len(x) − start.
func NextTokenRepeats(x []int32, start int, top []int32, l int) (rep, wrep int) {
	for t := start; t < len(x); t++ {
		pred := top[t-start]
		for _, prev := range x[max(0, t-l):t] {
			if prev == pred {
				rep++
				if pred != x[t] {
					wrep++
				}
				break
			}
		}
	}
	return rep, wrep
}

// Continuation is a generated text with the context it continues.
type Continuation struct {
	Context []int32 // the prompt
	Tokens  []Token // what was generated
}

// IDs are the generated token ids.
func (c Continuation) IDs() []int32 {
	ids := make([]int32, len(c.Tokens))
	for i, t := range c.Tokens {
		ids[i] = t.ID
	}
	return ids
}

// Degeneration summarises a set of continuations (package doc: the
// definitions). A rate with nothing to measure (no continuation long
// enough) is 0, with Sequences and Tokens saying how much there was.
type Degeneration struct {
	Sequences   int     `json:"sequences"`
	Tokens      int     `json:"tokens"`
	SeqRep1     float64 `json:"seq_rep_1"`
	SeqRep4     float64 `json:"seq_rep_4"`
	Distinct1   float64 `json:"distinct_1"`
	Distinct2   float64 `json:"distinct_2"`
	Uniq        int     `json:"uniq"`
	RepWindow   int     `json:"rep_window"` // ℓ
	Rep         float64 `json:"rep"`        // rep/ℓ
	WRep        float64 `json:"wrep"`       // wrep/ℓ
	MeanLogProb float64 `json:"mean_logprob"`
}

// Measure computes the degeneration metrics of continuations, with rep
// and wrep over the ℓ tokens before each position (the context included).
func Measure(conts []Continuation, l int) Degeneration {
	d := Degeneration{Sequences: len(conts), RepWindow: l}
	var seqs [][]int32
	var seqRep1, seqRep4, rep, wrep float64
	var nRep1, nRep4, nRep int
	var logProb float64
	uniq := map[int32]struct{}{}
	for _, c := range conts {
		ids := c.IDs()
		seqs = append(seqs, ids)
		if r, ok := SeqRep(ids, 1); ok {
			seqRep1 += r
			nRep1++
		}
		if r, ok := SeqRep(ids, 4); ok {
			seqRep4 += r
			nRep4++
		}
		if len(ids) > 0 {
			top := make([]int32, len(ids))
			for i, t := range c.Tokens {
				top[i] = t.Top
				logProb += t.LogProb
				uniq[t.ID] = struct{}{}
			}
			r, w := NextTokenRepeats(append(append([]int32(nil), c.Context...), ids...), len(c.Context), top, l)
			rep += float64(r) / float64(len(ids))
			wrep += float64(w) / float64(len(ids))
			nRep++
		}
		d.Tokens += len(ids)
	}
	mean := func(sum float64, n int) float64 {
		if n == 0 {
			return 0
		}
		return sum / float64(n)
	}
	d.SeqRep1, d.SeqRep4 = mean(seqRep1, nRep1), mean(seqRep4, nRep4)
	d.Rep, d.WRep = mean(rep, nRep), mean(wrep, nRep)
	d.MeanLogProb = mean(logProb, d.Tokens)
	d.Distinct1, _ = Distinct(seqs, 1)
	d.Distinct2, _ = Distinct(seqs, 2)
	d.Uniq = len(uniq)
	return d
}
