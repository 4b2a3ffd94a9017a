package bench

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"

	"github.com/xent-dev/xent/loss"
	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/train"
)

// Models are the model shapes TrainStep and TeacherForcing are run on by
// name, all GPT-2 with its 50257-token vocabulary and random weights.
var Models = map[string]model.Config{
	// GPT-2 small, the model of the llm.c comparison.
	"gpt2-124M": {ModelType: model.GPT2, VocabSize: 50257, NEmbd: 768, NLayer: 12, NHead: 12, NPositions: 1024},
	// A sixth of its width and a third of its depth (the head alone is
	// 6.4M of its 7.4M parameters): the default of `xent bench
	// teacher-forcing`, whose free-running pass without a cache costs
	// T²/2 token-forwards: on two idle cores the whole table takes about a
	// minute and a half on it, while on 124M the no-cache pass at T=1024
	// alone would take some 13 minutes (T=256 takes one).
	"gpt2-8M": {ModelType: model.GPT2, VocabSize: 50257, NEmbd: 128, NLayer: 4, NHead: 4, NPositions: 1024},
}

// ModelNames lists the keys of Models, sorted.
func ModelNames() []string {
	names := make([]string, 0, len(Models))
	for k := range Models {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// randomSequence returns n uniform token ids below v, from a fixed seed.
func randomSequence(n, v int) []int32 {
	return classes(rand.New(rand.NewPCG(5, 5)), n, v)
}

// TrainStep times one training step of a model mc from a random
// initialisation (model.New with seed 1) on a batch [B, T] of random
// tokens against their successors: ZeroGrads, ForwardBackward,
// clipping to norm 1.0 and an AdamW update (lr 3e-4, weight decay 0.1 on
// the matrices), as train's BenchmarkTrainStep does. One warm-up step,
// then cfg.Iters timed steps; the result is in tokens/s (B·T per step), its
// name "train-step/B=..,T=..". lossOut, if not nil, receives the warm-up
// step's loss.
func TrainStep(cfg Config, mc model.Config, B, T int, lossOut *float64) (Measurement, error) {
	if err := cfg.check(); err != nil {
		return Measurement{}, err
	}
	if B < 1 || T < 1 {
		return Measurement{}, fmt.Errorf("bench: batch [%d, %d] is empty", B, T)
	}
	m, err := model.New(mc, 1)
	if err != nil {
		return Measurement{}, err
	}
	m.Threads = cfg.Threads
	decay, err := train.DecayRanges(m)
	if err != nil {
		return Measurement{}, err
	}
	opt := train.NewAdamW(len(m.ParamBuffer()), 0.1, decay)
	opt.Threads = cfg.Threads
	tokens := randomSequence(B*T+1, mc.VocabSize)
	inputs, targets := tokens[:B*T], tokens[1:]
	first := true
	secs, err := Time(cfg.Iters, 1, nil, func() error {
		m.ZeroGrads()
		l, err := m.ForwardBackward(inputs, B, T, targets, loss.Options{})
		if err != nil {
			return err
		}
		if first && lossOut != nil {
			*lossOut = l
		}
		first = false
		_, err = opt.ClipAndUpdate(m.ParamBuffer(), m.GradBuffer(), 3e-4, 1.0, 1)
		return err
	})
	return rate(fmt.Sprintf("train-step/B=%d,T=%d", B, T), "tokens/s", secs, float64(B*T)), err
}

// Teacher-forcing modes, the last part of TeacherForcing's names.
const (
	ModeParallel = "parallel" // one causal forward over the sequence
	ModeKVCache  = "kv-cache" // T decoding steps with the KV cache
	ModeNoCache  = "no-cache" // T forwards, each over the whole prefix
)

// TeacherForcing measures the seed's "teacher forcing vs free running":
// scoring a T-token sequence (the mean next-token cross-entropy of T random
// tokens against their successors) on a model mc from a random
// initialisation, for each T in lengths, three ways:
//
//	parallel   one causal forward, m.Forward over [1, T]
//	kv-cache   T sequential passes, model.Decoder.Step per token, each
//	           position's loss from its logits
//	no-cache   T sequential passes, each a full forward over the prefix
//	           that ends at the new token (only its loss counted)
//
// Each gives tokens/s, T scored tokens per pass, named
// "teacher-forcing/T=../<mode>". The parallel pass runs once to warm up and
// then cfg.Iters times; the sequential modes, whose cost grows as T and T²,
// run cfg.Iters times without a warm-up. The three losses must agree (to
// 1e-4, relative), or it returns an error: the measurement is also a check
// that teacher forcing scores what decoding scores. modes lists the modes
// to run (nil: all three); cfg.Only filters further by name.
func TeacherForcing(cfg Config, mc model.Config, lengths []int, modes []string) ([]Measurement, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if len(lengths) == 0 {
		return nil, fmt.Errorf("bench: no sequence lengths")
	}
	if modes == nil {
		modes = []string{ModeParallel, ModeKVCache, ModeNoCache}
	}
	for _, md := range modes {
		if md != ModeParallel && md != ModeKVCache && md != ModeNoCache {
			return nil, fmt.Errorf("bench: mode %q is not %s, %s or %s", md, ModeParallel, ModeKVCache, ModeNoCache)
		}
	}
	m, err := model.New(mc, 1)
	if err != nil {
		return nil, err
	}
	m.Threads = cfg.Threads
	if mx := slices.Max(lengths); mx > m.MaxSeqLen() {
		return nil, fmt.Errorf("bench: T=%d is longer than the model's context of %d", mx, m.MaxSeqLen())
	}
	V := m.VocabSize()
	var out []Measurement
	for _, T := range lengths {
		if T < 1 {
			return nil, fmt.Errorf("bench: T=%d; need at least 1 token", T)
		}
		tokens := randomSequence(T+1, V)
		inputs, targets := tokens[:T], tokens[1:]
		losses := map[string]float64{}
		all := []struct {
			name    string
			warmUps int
			score   func() (float64, error)
		}{
			{ModeParallel, 1, func() (float64, error) { return m.Forward(inputs, 1, T, targets, loss.Options{}) }},
			{ModeKVCache, 0, func() (float64, error) { return scoreKVCache(m, inputs, targets) }},
			{ModeNoCache, 0, func() (float64, error) { return scoreNoCache(m, inputs, targets) }},
		}
		for _, mode := range all {
			if !slices.Contains(modes, mode.name) {
				continue
			}
			name := fmt.Sprintf("teacher-forcing/T=%d/%s", T, mode.name)
			if !cfg.wants(name) {
				continue
			}
			cfg.Progress(name)
			secs, err := Time(cfg.Iters, mode.warmUps, nil, func() error {
				l, err := mode.score()
				losses[mode.name] = l
				return err
			})
			if err != nil {
				return nil, err
			}
			out = append(out, rate(name, "tokens/s", secs, float64(T)))
		}
		if err := agree(T, losses); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// agree checks that the modes measured scored the sequence alike.
func agree(T int, losses map[string]float64) error {
	ref, refName := math.NaN(), ""
	for _, name := range []string{ModeParallel, ModeKVCache, ModeNoCache} {
		l, ok := losses[name]
		if !ok {
			continue
		}
		if refName == "" {
			ref, refName = l, name
			continue
		}
		if !(math.Abs(l-ref) <= 1e-4*math.Abs(ref)) {
			var parts []string
			for _, n := range []string{ModeParallel, ModeKVCache, ModeNoCache} {
				if v, ok := losses[n]; ok {
					parts = append(parts, fmt.Sprintf("%s %.7g", n, v))
				}
			}
			return fmt.Errorf("bench: T=%d: the modes score the sequence differently: %s", T, strings.Join(parts, ", "))
		}
	}
	return nil
}

// scoreKVCache decodes the inputs one token at a time with the KV cache
// and returns the mean cross-entropy of each position's logits against its
// target.
func scoreKVCache(m *model.Model, inputs, targets []int32) (float64, error) {
	dec := model.NewDecoder(m)
	V := m.VocabSize()
	var sum float64
	for t, tok := range inputs {
		logits, err := dec.Step(tok)
		if err != nil {
			return 0, err
		}
		res, err := loss.CrossEntropy(loss.F32(logits, 1, V), loss.Targets{Index: targets[t : t+1]}, loss.Options{Threads: 1})
		if err != nil {
			return 0, err
		}
		sum += res.Loss
	}
	return sum / float64(len(inputs)), nil
}

// scoreNoCache scores position t by a full causal forward over inputs
// [0, t] in which only the last position has a target, and returns the
// mean over the positions.
func scoreNoCache(m *model.Model, inputs, targets []int32) (float64, error) {
	tgt := make([]int32, len(inputs))
	for i := range tgt {
		tgt[i] = loss.DefaultIgnoreIndex
	}
	var sum float64
	for t := range inputs {
		tgt[t] = targets[t]
		l, err := m.Forward(inputs[:t+1], 1, t+1, tgt[:t+1], loss.Options{})
		if err != nil {
			return 0, err
		}
		tgt[t] = loss.DefaultIgnoreIndex
		sum += l
	}
	return sum / float64(len(inputs)), nil
}
