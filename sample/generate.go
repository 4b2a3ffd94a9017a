package sample

import (
	"fmt"
	"math"
	"slices"

	"github.com/xent-dev/xent/loss"
	"github.com/xent-dev/xent/model"
)

// Token is one generated token and what the unmodified model thought of it.
type Token struct {
	ID      int32   `json:"id"`
	LogProb float64 `json:"logprob"` // log p(ID | context), raw logits at temperature 1
	Rank    int     `json:"rank"`    // 1 + tokens with a higher raw logit
	Top     int32   `json:"top"`     // the model's top-1 token here (rank 1)
	// TopLogProb is log p(Top | context), raw logits at temperature 1.
	TopLogProb float64 `json:"top_logprob"`
	// Alternatives are the Generator.Alternatives most probable tokens
	// here under the raw model, most probable first (the lower id first
	// among equals); nil when it is 0.
	Alternatives []Alternative `json:"alternatives,omitempty"`
}

// Alternative is one of the most probable tokens at a position and its
// log-probability under the raw model (temperature 1).
type Alternative struct {
	ID      int32   `json:"id"`
	LogProb float64 `json:"logprob"`
}

// TopIDs returns the ids of the k largest logits, largest first, the lower
// id first among equals (fewer when logits is shorter): what OpenAI's
// top_logprobs and vLLM's logprobs list at a position.
func TopIDs(logits []float32, k int) []int32 {
	k = min(k, len(logits))
	if k <= 0 {
		return nil
	}
	top := make([]int32, 0, k+1)
	for c, v := range logits {
		if len(top) == k && !(v > logits[top[k-1]]) {
			continue
		}
		i := len(top)
		for i > 0 && v > logits[top[i-1]] {
			i--
		}
		top = slices.Insert(top, i, int32(c))
		if len(top) > k {
			top = top[:k]
		}
	}
	return top
}

// Generator decodes with a model's KV cache: it feeds the prompt one token
// at a time (prefill), then repeatedly chooses a token with a Sampler and
// feeds it back.
type Generator struct {
	Model *model.Model
	// Stop lists tokens that end generation (an end-of-text token, say);
	// the stop token itself is not part of the result.
	Stop []int32
	// Never lists tokens that are never chosen: their logits are −Inf to
	// the sampler (ids a vocabulary is padded with past its tokenizer, as
	// Qwen2.5's 151,936 rows for 151,665 tokens, which decode to nothing).
	// Token's LogProb and Rank still read the model's own logits.
	Never []int32
	// Alternatives asks each Token for its position's most probable
	// tokens, this many (0: none).
	Alternatives int
	// Prefill feeds the prompt in one parallel pass (model.Decoder.Prefill):
	// several times faster on a long prompt, its logits equal to stepping's
	// to float32 rounding, not bit for bit.
	Prefill bool

	dec    *model.Decoder
	logits []float32 // [V]: the model's logits, written by the decoder
	work   []float32 // [V]: their copy, which the sampler processes
	rows   loss.RowScorer
}

// NewGenerator returns a generator for m, which must not change while it
// generates. Its decoder (and KV cache) is allocated by the first
// Generate: a generator that only chooses (Next) holds none.
func NewGenerator(m *model.Model) *Generator {
	return &Generator{Model: m, logits: make([]float32, m.VocabSize()), rows: loss.RowScorer{Rank: true}}
}

// NewGeneratorBF16 is NewGenerator decoding over a bfloat16 copy of m's
// weight matrices (model.NewDecoderBF16): half the bytes a token, about
// twice the tokens/s where memory bandwidth bounds decoding, and the
// logits of float32 decoding over the rounded weights.
func NewGeneratorBF16(m *model.Model) *Generator {
	return &Generator{Model: m, dec: model.NewDecoderBF16(m), logits: make([]float32, m.VocabSize()), rows: loss.RowScorer{Rank: true}}
}

// Generate continues prompt (at least one token) with up to maxTokens
// tokens chosen by sp and returns them. emit, if not nil, gets each token
// as soon as it is chosen (to stream it); an error from emit stops
// generation and is returned. The prompt and the generated tokens must fit
// the context: len(prompt) + maxTokens − 1 ≤ the model's positions (the
// last token is never fed back).
func (g *Generator) Generate(prompt []int32, maxTokens int, sp *Sampler, emit func(Token) error) ([]Token, error) {
	ctx := g.Model.MaxSeqLen()
	switch {
	case len(prompt) == 0:
		return nil, fmt.Errorf("sample: empty prompt; give at least one token (a BOS token, say)")
	case len(prompt) > ctx:
		return nil, fmt.Errorf("sample: the prompt has %d tokens, longer than the model's context of %d", len(prompt), ctx)
	case maxTokens < 0:
		return nil, fmt.Errorf("sample: max tokens %d must be ≥ 0", maxTokens)
	case len(prompt)+maxTokens-1 > ctx:
		return nil, fmt.Errorf("sample: a %d-token prompt leaves room for %d new tokens in the model's context of %d, not %d",
			len(prompt), ctx-len(prompt)+1, ctx, maxTokens)
	}
	if maxTokens == 0 {
		return nil, nil
	}
	if g.dec == nil {
		g.dec = model.NewDecoder(g.Model)
	}
	g.dec.Reset()
	logits := g.logits
	if g.Prefill {
		if err := g.dec.Prefill(prompt, logits); err != nil {
			return nil, err
		}
	}
	for _, tok := range prompt[g.dec.Pos():] {
		if err := g.dec.StepInto(tok, logits); err != nil {
			return nil, err
		}
	}
	seq := append(make([]int32, 0, len(prompt)+maxTokens), prompt...)
	var out []Token
	for {
		t, stop, err := g.Next(logits, seq, sp)
		if err != nil || stop {
			return out, err
		}
		id := t.ID
		out = append(out, t)
		seq = append(seq, id)
		if emit != nil {
			if err := emit(t); err != nil {
				return out, err
			}
		}
		if len(out) == maxTokens {
			return out, nil
		}
		if err := g.dec.StepInto(id, logits); err != nil {
			return out, err
		}
	}
}

// Next chooses the token after seq from the model's logits [V] there, as
// each step of Generate does (a batched decoder's steps call it for each
// sequence): sp chooses among the ids not in Never, and the token is
// scored under the raw logits. stop reports a Stop token, which is not a
// token of the text. logits are left as they are.
func (g *Generator) Next(logits []float32, seq []int32, sp *Sampler) (t Token, stop bool, err error) {
	g.work = append(g.work[:0], logits...)
	for _, id := range g.Never {
		g.work[id] = float32(math.Inf(-1))
	}
	id, err := sp.Choose(g.work, seq)
	if err != nil {
		return Token{}, false, fmt.Errorf("sample: position %d: %w", len(seq), err)
	}
	if slices.Contains(g.Stop, id) {
		return Token{ID: id}, true, nil
	}
	r, err := g.rows.Score(logits, nil, id)
	if err != nil {
		return Token{}, false, fmt.Errorf("sample: position %d: %w", len(seq), err)
	}
	t = Token{ID: id, LogProb: -r.NLL, Rank: r.Rank, Top: r.Top, TopLogProb: float64(logits[r.Top]) - r.LSE}
	for _, c := range TopIDs(logits, g.Alternatives) {
		t.Alternatives = append(t.Alternatives, Alternative{c, float64(logits[c]) - r.LSE})
	}
	return t, false, nil
}
