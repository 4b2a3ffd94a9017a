package serve

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/xent-dev/xent/openai"
)

// stream answers a completion request with server-sent events, as OpenAI
// and vLLM do: for a generation, a chunk per token of each choice (after
// a chunk with the prompt under echo), the last with its finish_reason;
// for scoring alone (max_tokens 0), one chunk per prompt with the whole
// choice. Then a usage chunk under stream_options.include_usage, and
// "data: [DONE]". Text is sent in whole UTF-8 characters: the bytes of a
// character split between tokens wait for its end. An error once the
// stream has begun is sent as a chunk {"error": ...}, as vLLM does.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, req *openai.CompletionRequest, works []*work) {
	send := startEvents(w)
	base := openai.CompletionChunk{ID: fmt.Sprintf("cmpl-%x", time.Now().UnixNano()), Object: "text_completion", Created: time.Now().Unix(), Model: s.opt.Name}
	chunk := func(c openai.CompletionChoice) {
		ch := base
		ch.Choices = []openai.CompletionChoice{c}
		send(ch)
	}
	fail := failStream(w, send)
	var usage openai.Usage
	index := 0
	for i, wk := range works {
		text := s.promptText(req, i, wk)
		usage.PromptTokens += len(wk.ids)
		g := wk.gen
		if g == nil {
			select {
			case <-wk.ready:
			case <-r.Context().Done():
				return
			}
			if wk.err != nil {
				fail(wk.err)
				return
			}
			chunk(s.scoredChoice(req, index, text, wk))
			index++
			continue
		}
		started := make([]bool, g.n)
		held := make(utf8Pieces, g.n)
		offsets := make([]int, g.n)     // text_offset of the next token
		handle := func(ev tokenEvent) { // one event into chunks
			j := ev.choice
			c := openai.CompletionChoice{Index: index + j}
			if !started[j] {
				started[j] = true
				if req.Echo {
					pc := openai.CompletionChoice{Index: index + j, Text: text}
					if req.Logprobs != nil {
						pc.Logprobs = s.logprobs(wk, *req.Logprobs, req.ReturnTokensAsTokenIDs)
						if n := len(pc.Logprobs.Tokens); n > 0 {
							offsets[j] = pc.Logprobs.TextOffset[n-1] + utf8.RuneCountInString(pc.Logprobs.Tokens[n-1])
						}
					}
					if req.PromptLogprobs != nil {
						pc.PromptLogprobs = s.promptLogprobs(wk, *req.PromptLogprobs)
					}
					chunk(pc)
				}
			}
			c.Text = held.next(ev)
			if ev.end {
				c.FinishReason = &ev.finish
				usage.CompletionTokens += len(g.out[j].tokens)
			} else if req.Logprobs != nil {
				name := s.tokenName(ev.tok.ID, req.ReturnTokensAsTokenIDs)
				v, top := s.generatedTop(ev.tok, *req.Logprobs, req.ReturnTokensAsTokenIDs)
				c.Logprobs = &openai.CompletionLogprobs{Tokens: []string{name}, TokenLogprobs: []*float64{&v}, TopLogprobs: []openai.TopLogprobs{top}, TextOffset: []int{offsets[j]}}
				offsets[j] += utf8.RuneCountInString(name)
			}
			chunk(c)
		}
		if !follow(r, wk, handle) {
			return
		}
		if wk.err != nil {
			fail(wk.err)
			return
		}
		index += g.n
	}
	endStream(w, req.StreamOptions, usage, func(u *openai.Usage) {
		ch := base
		ch.Choices = []openai.CompletionChoice{}
		ch.Usage = u
		send(ch)
	})
}

// failStream returns what ends a stream that has begun when generation
// fails: the error as one more event, as vLLM sends it, then [DONE].
func failStream(w http.ResponseWriter, send func(v any)) func(error) {
	return func(err error) {
		send(openai.NewError(http.StatusInternalServerError, "InternalServerError", "", err.Error()))
		fmt.Fprint(w, "data: [DONE]\n\n")
	}
}

// endStream closes a stream as OpenAI's does: a last chunk with no
// choices that carries the usage, when the client asked for it
// (stream_options.include_usage), then [DONE]; the request log counts the
// completion tokens.
func endStream(w http.ResponseWriter, opt *openai.StreamOptions, usage openai.Usage, sendUsage func(*openai.Usage)) {
	if opt != nil && opt.IncludeUsage {
		u := usage
		u.TotalTokens = u.PromptTokens + u.CompletionTokens
		sendUsage(&u)
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
	if rec, ok := w.(*recorder); ok {
		rec.tokens += usage.CompletionTokens
	}
}

// startEvents starts an answer in server-sent events and returns the
// function that sends one event, v as JSON.
func startEvents(w http.ResponseWriter) func(v any) {
	flusher, _ := w.(http.Flusher)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	return func(v any) {
		b, _ := json.Marshal(v)
		fmt.Fprintf(w, "data: %s\n\n", b)
		if flusher != nil {
			flusher.Flush()
		}
	}
}

// follow hands each event of wk's generation to handle, in order, until
// the generation is done; false when the request ended first.
func follow(r *http.Request, wk *work, handle func(tokenEvent)) bool {
	for {
		select {
		case ev := <-wk.gen.events:
			handle(ev)
		case <-wk.ready:
			for {
				select {
				case ev := <-wk.gen.events:
					handle(ev)
				default:
					return true
				}
			}
		case <-r.Context().Done():
			return false
		}
	}
}

// utf8Pieces holds, per choice, the bytes of a UTF-8 character that
// streamed tokens have begun and not finished.
type utf8Pieces [][]byte

// next is the text of ev to send now: what was held and ev's bytes, up to
// the last whole character (all of it at a choice's end).
func (p utf8Pieces) next(ev tokenEvent) string {
	b := append(p[ev.choice], ev.text...)
	if ev.end {
		p[ev.choice] = nil
		return string(b)
	}
	cut := completeUTF8(b)
	p[ev.choice] = append([]byte(nil), b[cut:]...)
	return string(b[:cut])
}

// completeUTF8 is the length of b's prefix that does not end inside a
// UTF-8 character: trailing bytes that begin a character and could still
// be completed are held back; invalid bytes are not.
func completeUTF8(b []byte) int {
	for back := 1; back <= min(3, len(b)); back++ {
		c := b[len(b)-back]
		if c&0xc0 == 0x80 {
			continue // a continuation byte: look further back
		}
		need := 0
		switch {
		case c&0xe0 == 0xc0:
			need = 2
		case c&0xf0 == 0xe0:
			need = 3
		case c&0xf8 == 0xf0:
			need = 4
		}
		if need > back {
			return len(b) - back
		}
		return len(b)
	}
	return len(b)
}
