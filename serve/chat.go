package serve

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/xent-dev/xent/openai"
	"github.com/xent-dev/xent/sample"
	"github.com/xent-dev/xent/tokenizer"
)

// chat answers POST /v1/chat/completions: the messages rendered by the
// model's chat template (chattemplate.go), the text tokenized with its
// special tokens recognised (the template writes them; BOS is not added
// again unless add_special_tokens), then generated from or scored exactly
// as a completion of those token ids is, and answered in the chat format.
func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeError(w, http.StatusMethodNotAllowed, "BadRequestError", "", "use POST /v1/chat/completions")
		return
	}
	req, err := openai.DecodeChatRequest(r.Body, s.opt.MaxBody)
	if err != nil {
		writeError(w, http.StatusBadRequest, "BadRequestError", "", err.Error())
		return
	}
	if !s.checkModel(w, req.Model) {
		return
	}
	if s.chatTmpl == nil {
		writeError(w, http.StatusBadRequest, "BadRequestError", "messages", errNoChatTemplate.Error()+"; /v1/completions takes text")
		return
	}
	ids, err := s.chatPrompt(req)
	if err != nil {
		writeBad(w, err)
		return
	}
	creq, err := s.chatAsCompletion(req, ids)
	if err != nil {
		writeBad(w, err)
		return
	}
	prompts, err := s.check(creq)
	if err != nil {
		writeBad(w, err)
		return
	}
	gen, err := s.generation(creq)
	if err != nil {
		writeBad(w, err)
		return
	}
	works, ok := s.enqueue(w, r, creq, prompts, gen)
	if !ok {
		return
	}
	if req.Stream {
		s.chatStream(w, r, req, works[0])
		return
	}
	if !s.wait(w, r, works) {
		return
	}
	wk := works[0]
	resp := openai.ChatCompletionResponse{ID: fmt.Sprintf("chatcmpl-%x", time.Now().UnixNano()), Object: "chat.completion", Created: time.Now().Unix(), Model: s.opt.Name}
	resp.Usage.PromptTokens = len(wk.ids)
	if req.PromptLogprobs != nil {
		resp.PromptLogprobs = s.promptLogprobs(wk, *req.PromptLogprobs)
	}
	if wk.gen == nil { // max_tokens 0: the prompt scored, nothing generated
		length := "length"
		resp.Choices = []openai.ChatChoice{{Message: openai.ChatReply{Role: "assistant"}, FinishReason: &length}}
	}
	if wk.gen != nil {
		for j, out := range wk.gen.out {
			c := openai.ChatChoice{Index: j, Message: openai.ChatReply{Role: "assistant", Content: out.text}, FinishReason: &wk.gen.out[j].finish}
			if req.Logprobs {
				c.Logprobs = &openai.ChatLogprobs{Content: make([]openai.ChatTokenLogprob, 0, len(out.tokens))}
				for _, t := range out.tokens {
					c.Logprobs.Content = append(c.Logprobs.Content, s.chatLogprob(t, wk.gen.k, req.ReturnTokensAsTokenIDs))
				}
			}
			resp.Choices = append(resp.Choices, c)
			resp.Usage.CompletionTokens += len(out.tokens)
		}
	}
	resp.Usage.TotalTokens = resp.Usage.PromptTokens + resp.Usage.CompletionTokens
	writeJSON(w, http.StatusOK, resp)
}

// chatPrompt renders a request's messages and tokenizes the text as
// transformers' apply_chat_template(tokenize=True) does: special tokens
// in it are the tokens they name.
func (s *Server) chatPrompt(req *openai.ChatCompletionRequest) ([]int32, error) {
	addGen := req.AddGenerationPrompt == nil || *req.AddGenerationPrompt
	if req.ContinueFinalMessage && addGen {
		return nil, bad("continue_final_message", "continue_final_message leaves the last message open; it needs add_generation_prompt: false")
	}
	msgs := make([]map[string]any, len(req.Messages))
	for i, m := range req.Messages {
		msgs[i] = map[string]any{"role": m.Role, "content": string(m.Content)}
		if m.Name != "" {
			msgs[i]["name"] = m.Name
		}
	}
	for k := range req.ChatTemplateKwargs {
		if k == "messages" || k == "add_generation_prompt" {
			return nil, bad("chat_template_kwargs", "chat_template_kwargs may not set %s", k)
		}
	}
	text, err := s.chatTmpl.render(msgs, addGen, req.ChatTemplateKwargs)
	if err != nil {
		return nil, bad("messages", "%v", err)
	}
	if req.ContinueFinalMessage {
		if text, err = continueFinal(text, string(req.Messages[len(req.Messages)-1].Content)); err != nil {
			return nil, bad("continue_final_message", "%v", err)
		}
	}
	ids, err := encodeChat(s.tok, text)
	if err != nil {
		return nil, err
	}
	if req.AddSpecialTokens && s.addBOS {
		ids = append([]int32{s.bos}, ids...)
	}
	return ids, nil
}

// encodeChat tokenizes a rendered chat as apply_chat_template(tokenize=
// True) does: no special tokens added, those the template wrote matched
// as the tokens they name.
func encodeChat(tok *tokenizer.Tokenizer, text string) ([]int32, error) {
	ids, err := tok.EncodeSpecial([]byte(text), tok.SpecialTokens())
	if err != nil {
		return nil, fmt.Errorf("tokenizing the rendered chat: %w", err)
	}
	return ids, nil
}

// continueFinal cuts the rendered text after the last message's content,
// as transformers does for continue_final_message: after its last
// occurrence, or its last stripped occurrence where the template trimmed
// it (Llama 3's).
func continueFinal(text, final string) (string, error) {
	if i := strings.LastIndex(text, final); i >= 0 && final != "" {
		return text[:i+len(final)], nil
	}
	trimmed := strings.TrimSpace(final)
	if i := strings.LastIndex(text, trimmed); i >= 0 && trimmed != "" {
		return text[:i+len(trimmed)], nil
	}
	return "", fmt.Errorf("the last message's content is not in the rendered chat")
}

// chatAsCompletion is the completion request of the rendered prompt ids
// that does what the chat request asks.
func (s *Server) chatAsCompletion(req *openai.ChatCompletionRequest, ids []int32) (*openai.CompletionRequest, error) {
	c := &openai.CompletionRequest{Model: req.Model, Prompt: openai.Prompt{IDs: [][]int32{ids}}, N: req.N,
		Temperature: req.Temperature, TopP: req.TopP, TopK: req.TopK, MinP: req.MinP, FrequencyPenalty: req.FrequencyPenalty,
		PresencePenalty: req.PresencePenalty, RepetitionPenalty: req.RepetitionPenalty, Seed: req.Seed, Stop: req.Stop,
		Stream: req.Stream, StreamOptions: req.StreamOptions, PromptLogprobs: req.PromptLogprobs, ReturnTokensAsTokenIDs: req.ReturnTokensAsTokenIDs}
	switch {
	case req.MaxCompletionTokens != nil:
		c.MaxTokens = req.MaxCompletionTokens
	case req.MaxTokens != nil:
		c.MaxTokens = req.MaxTokens
	default: // the context's room, as vLLM, within the server's limit
		room := max(1, min(s.opt.MaxTokens, s.m.MaxSeqLen()+1-len(ids)))
		c.MaxTokens = &room
	}
	if req.TopLogprobs != nil && !req.Logprobs {
		return nil, bad("top_logprobs", "top_logprobs needs logprobs: true")
	}
	if req.Logprobs {
		k := 0
		if req.TopLogprobs != nil {
			k = *req.TopLogprobs
		}
		c.Logprobs = &k
	}
	return c, nil
}

// chatLogprob is a generated token in the chat format: its text (or
// token_id:N), log-probability and bytes, and the k most probable tokens
// at its position, most probable first.
func (s *Server) chatLogprob(t sample.Token, k int, asID bool) openai.ChatTokenLogprob {
	lp := openai.ChatTokenLogprob{Token: s.tokenName(t.ID, asID), Logprob: clamp(t.LogProb), Bytes: s.tokenBytes(t.ID), TopLogprobs: []openai.ChatTopLogprob{}}
	for _, a := range t.Alternatives[:min(k, len(t.Alternatives))] {
		lp.TopLogprobs = append(lp.TopLogprobs, openai.ChatTopLogprob{Token: s.tokenName(a.ID, asID), Logprob: clamp(a.LogProb), Bytes: s.tokenBytes(a.ID)})
	}
	return lp
}

// tokenBytes is a token's bytes as OpenAI lists them: the token's own,
// a character split between tokens included.
func (s *Server) tokenBytes(id int32) []int {
	b, _ := s.tok.Token(id)
	out := make([]int, len(b))
	for i, c := range b {
		out[i] = int(c)
	}
	return out
}

// chatStream answers a streamed chat completion in chat.completion.chunk
// events: each choice's first chunk carries the role, each later one a
// token's text in whole UTF-8 characters with its logprobs, the last its
// finish_reason; then the usage under stream_options.include_usage, and
// "data: [DONE]". max_tokens 0 sends the one empty choice.
func (s *Server) chatStream(w http.ResponseWriter, r *http.Request, req *openai.ChatCompletionRequest, wk *work) {
	send := startEvents(w)
	base := openai.ChatCompletionChunk{ID: fmt.Sprintf("chatcmpl-%x", time.Now().UnixNano()), Object: "chat.completion.chunk", Created: time.Now().Unix(), Model: s.opt.Name}
	chunk := func(c openai.ChatChunkChoice) {
		ch := base
		ch.Choices = []openai.ChatChunkChoice{c}
		send(ch)
	}
	fail := failStream(w, send)
	usage := openai.Usage{PromptTokens: len(wk.ids)}
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
		empty, length := "", "length"
		chunk(openai.ChatChunkChoice{Delta: openai.ChatDelta{Role: "assistant", Content: &empty}, FinishReason: &length})
	} else {
		started := make([]bool, g.n)
		held := make(utf8Pieces, g.n)
		ok := follow(r, wk, func(ev tokenEvent) {
			j := ev.choice
			if !started[j] {
				started[j] = true
				empty := ""
				chunk(openai.ChatChunkChoice{Index: j, Delta: openai.ChatDelta{Role: "assistant", Content: &empty}})
			}
			text := held.next(ev)
			c := openai.ChatChunkChoice{Index: j, Delta: openai.ChatDelta{Content: &text}}
			if ev.end {
				c.FinishReason = &ev.finish
				usage.CompletionTokens += len(g.out[j].tokens)
			} else if req.Logprobs {
				c.Logprobs = &openai.ChatLogprobs{Content: []openai.ChatTokenLogprob{s.chatLogprob(ev.tok, g.k, req.ReturnTokensAsTokenIDs)}}
			}
			chunk(c)
		})
		if !ok {
			return
		}
		if wk.err != nil {
			fail(wk.err)
			return
		}
	}
	endStream(w, req.StreamOptions, usage, func(u *openai.Usage) {
		ch := base
		ch.Choices = []openai.ChatChunkChoice{}
		ch.Usage = u
		send(ch)
	})
}
