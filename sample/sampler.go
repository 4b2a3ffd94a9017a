package sample

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// Stage names one step of the processing chain.
type Stage string

const (
	StagePenalties   Stage = "penalties" // repetition, then frequency and presence
	StageTemperature Stage = "temperature"
	StageTopK        Stage = "top-k"
	StageTopP        Stage = "top-p"
	StageMinP        Stage = "min-p"
)

// DefaultOrder is Hugging Face's order: penalties, then the warpers
// temperature, top-k, top-p and min-p.
var DefaultOrder = []Stage{StagePenalties, StageTemperature, StageTopK, StageTopP, StageMinP}

// ParseOrder reads a comma-separated order such as
// "penalties,top-k,top-p,min-p,temperature": every stage exactly once.
func ParseOrder(s string) ([]Stage, error) {
	var order []Stage
	for _, name := range strings.Split(s, ",") {
		st := Stage(strings.TrimSpace(name))
		if !slices.Contains(DefaultOrder, st) {
			return nil, fmt.Errorf("sample: order %q: unknown stage %q (stages: penalties, temperature, top-k, top-p, min-p)", s, st)
		}
		if slices.Contains(order, st) {
			return nil, fmt.Errorf("sample: order %q names %s twice", s, st)
		}
		order = append(order, st)
	}
	if len(order) != len(DefaultOrder) {
		return nil, fmt.Errorf("sample: order %q must name all five stages (penalties, temperature, top-k, top-p, min-p) once each", s)
	}
	return order, nil
}

// Settings configure a Sampler. The zero value is greedy decoding with no
// penalty and no cut.
type Settings struct {
	Temperature       float64 // 0: greedy
	TopK              int     // 0: off
	TopP              float64 // in (0, 1]; 0 or 1: off
	MinP              float64 // in [0, 1]; 0: off
	RepetitionPenalty float64 // > 0; 0 or 1: off
	FrequencyPenalty  float64 // 0: off
	PresencePenalty   float64 // 0: off
	PenaltyWindow     int     // tokens of context the penalties look at; 0: all of it
	Order             []Stage // nil: DefaultOrder
	Seed              uint64
}

// Validate reports settings no sampler could use, naming the field.
func (s Settings) Validate() error {
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	switch {
	case !finite(s.Temperature) || s.Temperature < 0:
		return fmt.Errorf("sample: temperature %g must be ≥ 0 (0 is greedy)", s.Temperature)
	case s.TopK < 0:
		return fmt.Errorf("sample: top-k %d must be ≥ 0 (0 is off)", s.TopK)
	case !(s.TopP >= 0 && s.TopP <= 1):
		return fmt.Errorf("sample: top-p %g must be in (0, 1] (1 is off)", s.TopP)
	case !(s.MinP >= 0 && s.MinP <= 1):
		return fmt.Errorf("sample: min-p %g must be in [0, 1] (0 is off)", s.MinP)
	case !finite(s.RepetitionPenalty) || s.RepetitionPenalty < 0:
		return fmt.Errorf("sample: repetition penalty %g must be > 0 (1 is off)", s.RepetitionPenalty)
	case !finite(s.FrequencyPenalty) || !finite(s.PresencePenalty):
		return fmt.Errorf("sample: frequency penalty %g and presence penalty %g must be finite", s.FrequencyPenalty, s.PresencePenalty)
	case s.PenaltyWindow < 0:
		return fmt.Errorf("sample: penalty window %d must be ≥ 0 (0 is the whole context)", s.PenaltyWindow)
	}
	if s.Order != nil {
		names := make([]string, len(s.Order))
		for i, st := range s.Order {
			names[i] = string(st)
		}
		if _, err := ParseOrder(strings.Join(names, ",")); err != nil {
			return err
		}
	}
	return nil
}

// Sampler applies the processors of its Settings to a logits row and picks
// a token. It keeps scratch buffers and a random generator, so it is not
// safe for concurrent use.
type Sampler struct {
	s     Settings
	order []Stage
	rng   *rand.Rand

	counts   []int32   // [V] occurrences in the penalty window (zero between calls)
	distinct []int32   // tokens of the window, each once
	ranked   []int32   // surviving tokens by falling logit
	probs    []float64 // their probabilities
}

// NewSampler returns a sampler whose draws come from PCG(Seed, stream):
// different streams give independent draws for the same seed (the
// samples of one prompt use streams 0, 1, 2, ...).
func NewSampler(s Settings, stream uint64) (*Sampler, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	order := s.Order
	if order == nil {
		order = DefaultOrder
	}
	return &Sampler{s: s, order: order, rng: rand.New(rand.NewPCG(s.Seed, stream))}, nil
}

// Settings returns the sampler's settings.
func (sp *Sampler) Settings() Settings { return sp.s }

// Choose processes logits [V] in place and returns the chosen token: the
// highest processed logit at temperature 0, else a draw from the softmax
// of the processed logits. context is every token before the one being
// chosen (prompt and generated so far), for the penalties.
func (sp *Sampler) Choose(logits []float32, context []int32) (int32, error) {
	if err := sp.Process(logits, context); err != nil {
		return 0, err
	}
	if sp.s.Temperature == 0 {
		return argmax(logits), nil
	}
	return Draw(logits, sp.rng.Float64())
}

// Process applies the chain in order to logits [V] in place; a removed
// token's logit becomes −Inf. At temperature 0 the temperature stage is
// skipped (the cuts then act on the untempered distribution; none of them
// can remove its top token).
func (sp *Sampler) Process(logits []float32, context []int32) error {
	for i, l := range logits {
		if math.IsNaN(float64(l)) || math.IsInf(float64(l), 1) {
			return fmt.Errorf("sample: the logit of token %d is %g", i, l)
		}
	}
	for _, st := range sp.order {
		switch st {
		case StagePenalties:
			if err := sp.penalize(logits, context); err != nil {
				return err
			}
		case StageTemperature:
			if t := sp.s.Temperature; t != 0 && t != 1 {
				for i := range logits {
					logits[i] /= float32(t)
				}
			}
		case StageTopK:
			if sp.s.TopK > 0 {
				sp.topK(logits, sp.s.TopK)
			}
		case StageTopP:
			if p := sp.s.TopP; p > 0 && p < 1 {
				sp.topP(logits, p)
			}
		case StageMinP:
			if sp.s.MinP > 0 {
				minP(logits, sp.s.MinP)
			}
		}
	}
	return nil
}

// penalize applies the repetition penalty to every distinct token of the
// window, then subtracts count·f + [count > 0]·p.
func (sp *Sampler) penalize(logits []float32, context []int32) error {
	r, f, p := sp.s.RepetitionPenalty, sp.s.FrequencyPenalty, sp.s.PresencePenalty
	if (r == 0 || r == 1) && f == 0 && p == 0 {
		return nil
	}
	window := context
	if w := sp.s.PenaltyWindow; w > 0 && len(window) > w {
		window = window[len(window)-w:]
	}
	if len(sp.counts) != len(logits) {
		sp.counts = make([]int32, len(logits))
	}
	sp.distinct = sp.distinct[:0]
	defer func() {
		for _, tok := range sp.distinct {
			sp.counts[tok] = 0
		}
	}()
	for i, tok := range window {
		if tok < 0 || int(tok) >= len(logits) {
			return fmt.Errorf("sample: context token %d at window position %d is outside the vocabulary [0, %d)", tok, i, len(logits))
		}
		if sp.counts[tok] == 0 {
			sp.distinct = append(sp.distinct, tok)
		}
		sp.counts[tok]++
	}
	for _, tok := range sp.distinct {
		l := float64(logits[tok])
		if r != 0 && r != 1 {
			if l > 0 {
				l /= r
			} else {
				l *= r
			}
		}
		l -= float64(sp.counts[tok])*f + p
		logits[tok] = float32(l)
	}
	return nil
}

// rank fills sp.ranked with the tokens of finite logit, highest logit
// first (the lower id first among ties).
func (sp *Sampler) rank(logits []float32) {
	sp.ranked = sp.ranked[:0]
	for i, l := range logits {
		if !math.IsInf(float64(l), -1) {
			sp.ranked = append(sp.ranked, int32(i))
		}
	}
	slices.SortFunc(sp.ranked, func(a, b int32) int {
		if c := cmp.Compare(logits[b], logits[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
}

// topK removes every token whose logit is below the k-th highest.
func (sp *Sampler) topK(logits []float32, k int) {
	sp.rank(logits)
	if k >= len(sp.ranked) {
		return
	}
	kth := logits[sp.ranked[k-1]]
	for _, tok := range sp.ranked[k:] {
		if logits[tok] < kth {
			logits[tok] = float32(math.Inf(-1))
		}
	}
}

// topP keeps the most probable tokens while the probability ranked above
// each is below p.
func (sp *Sampler) topP(logits []float32, p float64) {
	sp.rank(logits)
	if len(sp.ranked) == 0 {
		return
	}
	top := float64(logits[sp.ranked[0]])
	sp.probs = sp.probs[:0]
	var z float64
	for _, tok := range sp.ranked {
		e := math.Exp(float64(logits[tok]) - top)
		sp.probs = append(sp.probs, e)
		z += e
	}
	var above float64
	for i, tok := range sp.ranked {
		if above >= p {
			logits[tok] = float32(math.Inf(-1))
			continue
		}
		above += sp.probs[i] / z
	}
}

// minP removes the tokens whose probability is below p times the top
// token's: exp(l − max) < p.
func minP(logits []float32, p float64) {
	top := float64(logits[argmax(logits)])
	for i, l := range logits {
		if math.Exp(float64(l)-top) < p {
			logits[i] = float32(math.Inf(-1))
		}
	}
}

// argmax is the token of highest logit, the lowest id among ties.
func argmax(logits []float32) int32 {
	best := 0
	for i, l := range logits {
		if l > logits[best] {
			best = i
		}
	}
	return int32(best)
}

// Draw picks a token from softmax(logits) by inverting its cumulative
// distribution, summed in token order in float64, at u ∈ [0, 1): the first
// token whose cumulative probability exceeds u. Logits may be −Inf
// (removed tokens), not NaN or +Inf.
func Draw(logits []float32, u float64) (int32, error) {
	top := float64(logits[argmax(logits)])
	if math.IsNaN(top) || math.IsInf(top, 0) {
		return 0, fmt.Errorf("sample: cannot draw from logits whose maximum is %g", top)
	}
	var z float64
	for i, l := range logits {
		if math.IsNaN(float64(l)) {
			return 0, fmt.Errorf("sample: the logit of token %d is NaN", i)
		}
		z += math.Exp(float64(l) - top)
	}
	target := u * z
	var cum float64
	last := int32(0)
	for i, l := range logits {
		e := math.Exp(float64(l) - top)
		if e == 0 {
			continue
		}
		cum += e
		last = int32(i)
		if cum > target {
			return last, nil
		}
	}
	return last, nil // u·z rounded past the total: the last possible token
}
