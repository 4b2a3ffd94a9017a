package serve

import (
	"errors"
	"math/rand/v2"
	"unicode/utf8"

	"github.com/xent-dev/xent/openai"
	"github.com/xent-dev/xent/sample"
)

// generation is what a completion asks to generate after a prompt, and
// what was generated: n choices, each with its own sampler stream.
type generation struct {
	maxTokens int
	settings  sample.Settings
	stop      []string
	n         int
	k         int         // logprobs: the top alternatives of each generated token
	out       []generated // [n], choice j's set when it ends
	left      int         // choices not yet ended
	// events, when streaming, carries each token as it is chosen and each
	// choice's end, the choices' events interleaved. It holds every event
	// a generation can send (n·(maxTokens+1)), so that a slow client
	// never holds up the model's goroutine and the other requests.
	events chan tokenEvent
}

// tokenEvent is a streamed token of choice j, with the text now safe to
// show, or (end) the choice's end, with the text held back till then.
type tokenEvent struct {
	choice int
	tok    sample.Token
	text   []byte
	end    bool
	finish string
}

// send passes ev to the streaming handler, or gives up when the request
// has ended.
func (g *generation) send(w *work, ev tokenEvent) error {
	if g.events == nil {
		return nil
	}
	select {
	case g.events <- ev:
		return nil
	case <-w.ctx.Done():
		return w.ctx.Err()
	}
}

// generated is one choice: its tokens, its text (up to a stop string,
// which is not part of it) and why it ended: "stop" (an end-of-sequence
// token or a stop string) or "length" (max_tokens).
type generated struct {
	tokens []sample.Token
	text   string
	finish string
}

// errStopText ends a generation at a stop string.
var errStopText = errors.New("stop string")

// generation reads a request's sampling parameters, OpenAI's defaults
// where absent (temperature 1, top_p 1, no penalty); nil for max_tokens 0.
// Without a seed each request draws one.
func (s *Server) generation(req *openai.CompletionRequest) (*generation, error) {
	if req.MaxTokens != nil && *req.MaxTokens == 0 {
		return nil, nil
	}
	g := &generation{maxTokens: 16, n: 1, stop: req.Stop, settings: sample.Settings{Temperature: 1}}
	if req.MaxTokens != nil {
		g.maxTokens = *req.MaxTokens
	}
	if req.N != nil {
		g.n = *req.N
	}
	if req.Logprobs != nil {
		g.k = *req.Logprobs
	}
	st := &g.settings
	if req.Temperature != nil {
		st.Temperature = *req.Temperature
	}
	if req.TopP != nil {
		st.TopP = *req.TopP
	}
	if req.TopK != nil && *req.TopK > 0 { // vLLM: 0 or −1 is off
		st.TopK = *req.TopK
	}
	if req.MinP != nil {
		st.MinP = *req.MinP
	}
	if req.RepetitionPenalty != nil {
		st.RepetitionPenalty = *req.RepetitionPenalty
	}
	if req.FrequencyPenalty != nil {
		st.FrequencyPenalty = *req.FrequencyPenalty
	}
	if req.PresencePenalty != nil {
		st.PresencePenalty = *req.PresencePenalty
	}
	if req.Seed != nil {
		st.Seed = uint64(*req.Seed)
	} else {
		st.Seed = rand.Uint64()
	}
	if err := st.Validate(); err != nil {
		return nil, bad("temperature", "%v", err)
	}
	for _, stop := range g.stop {
		if stop == "" {
			return nil, bad("stop", "an empty stop string")
		}
	}
	return g, nil
}

// generatedLogprobs are a generated choice's logprobs: each generated
// token's own log-probability under the raw model (temperature 1, before
// any penalty or cut, as vLLM's default raw_logprobs) and the k most
// probable tokens' (generatedTop); after the prompt's when echo.
func (s *Server) generatedLogprobs(w *work, out generated, echo bool, k int, asID bool) *openai.CompletionLogprobs {
	lp := &openai.CompletionLogprobs{TextOffset: []int{}, TokenLogprobs: []*float64{}, Tokens: []string{}, TopLogprobs: []openai.TopLogprobs{}}
	off := 0
	if echo {
		lp = s.logprobs(w, k, asID)
		if n := len(lp.Tokens); n > 0 {
			off = lp.TextOffset[n-1] + utf8.RuneCountInString(lp.Tokens[n-1])
		}
	}
	for _, t := range out.tokens {
		name := s.tokenName(t.ID, asID)
		v, top := s.generatedTop(t, k, asID)
		lp.Tokens = append(lp.Tokens, name)
		lp.TokenLogprobs = append(lp.TokenLogprobs, &v)
		lp.TopLogprobs = append(lp.TopLogprobs, top)
		lp.TextOffset = append(lp.TextOffset, off)
		off += utf8.RuneCountInString(name)
	}
	return lp
}

// generatedTop is a generated token's log-probability and its
// top_logprobs: the token itself, then the k most probable tokens other
// than it, as for a prompt token (logprobs).
func (s *Server) generatedTop(t sample.Token, k int, asID bool) (float64, openai.TopLogprobs) {
	v := clamp(t.LogProb)
	top := openai.TopLogprobs{{Token: s.tokenName(t.ID, asID), Logprob: v}}
	for _, a := range t.Alternatives[:min(k, len(t.Alternatives))] {
		if a.ID != t.ID {
			top = append(top, openai.TokenLogprob{Token: s.tokenName(a.ID, asID), Logprob: clamp(a.LogProb)})
		}
	}
	return v, top
}
