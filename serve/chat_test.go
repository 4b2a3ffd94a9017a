package serve

import (
	"bufio"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/xent-dev/xent/openai"
	"github.com/xent-dev/xent/sample"
)

// withChat gives the tiny model's server a template that writes its
// special token between messages.
func withChat(t *testing.T, s *Server) {
	t.Helper()
	tmpl, err := newChatTemplate(`{% for m in messages %}{% if m.role == 'tool' %}{{ raise_exception('no tools here') }}{% endif %}`+
		`{{ m.role }}: {{ m.content }}{{ eos_token }}{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}`,
		map[string]json.RawMessage{"eos_token": json.RawMessage(`"<|endoftext|>"`)})
	if err != nil {
		t.Fatal(err)
	}
	s.chatTmpl = tmpl
}

// TestChat: a chat completion is the completion of the rendered prompt's
// token ids (its special tokens as their ids): the same text, the same
// generated tokens and log-probabilities, top_logprobs the K most probable
// as package sample lists them; streamed, the deltas make the same text.
func TestChat(t *testing.T) {
	p := tinyCtx(t, 48)
	s, ts := start(t, p, Options{})
	var e openai.ErrorResponse
	if st := post(t, ts.URL, "/v1/chat/completions", `{"messages":[{"role":"user","content":"hi"}]}`, &e); st != 400 || !strings.Contains(e.Error.Message, "no chat template") {
		t.Fatalf("without a template: %d %+v", st, e)
	}
	withChat(t, s)
	eot := `<|endoftext|>`
	rendered := "system: Be brief." + eot + "user: the rays" + eot + "assistant:"
	ids, err := p.Tokenizer.EncodeSpecial([]byte(rendered), []string{eot})
	if err != nil {
		t.Fatal(err)
	}
	messages := `[{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"the rays"}]}]`
	var chat openai.ChatCompletionResponse
	if st := post(t, ts.URL, "/v1/chat/completions", `{"model":"tiny","messages":`+messages+`,"max_tokens":5,"seed":7,"temperature":1.2,"logprobs":true,"top_logprobs":3}`, &chat); st != 200 {
		t.Fatal(st)
	}
	g := sample.NewGenerator(p.Model)
	g.Alternatives = 3
	sp, _ := sample.NewSampler(sample.Settings{Temperature: 1.2, Seed: 7}, 0)
	want, err := g.Generate(ids, 5, sp, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := chat.Choices[0]
	if chat.Object != "chat.completion" || c.Message.Role != "assistant" || chat.Usage.PromptTokens != len(ids) || len(c.Logprobs.Content) != len(want) {
		t.Fatalf("%+v (prompt of %d tokens, %d generated)", chat, len(ids), len(want))
	}
	var text []byte
	for i, tk := range want {
		b, _ := p.Tokenizer.Token(tk.ID)
		text = append(text, b...)
		got := c.Logprobs.Content[i]
		if got.Token != s.tokenText(tk.ID) || got.Logprob != tk.LogProb || len(got.TopLogprobs) != 3 || string(bytesOf(got.Bytes)) != string(b) {
			t.Errorf("token %d: %+v, want %+v", i, got, tk)
		}
		for j, a := range tk.Alternatives {
			if got.TopLogprobs[j].Token != s.tokenText(a.ID) || got.TopLogprobs[j].Logprob != a.LogProb {
				t.Errorf("token %d alternative %d: %+v, want %+v", i, j, got.TopLogprobs[j], a)
			}
		}
	}
	if c.Message.Content != coerce(string(text)) {
		t.Errorf("content %q, want %q", c.Message.Content, text)
	}
	// Streamed: a role chunk, the same text in deltas, the finish reason,
	// the usage.
	resp, err := http.Post(ts.URL+"/v1/chat/completions", "application/json", strings.NewReader(`{"messages":`+messages+
		`,"max_tokens":5,"seed":7,"temperature":1.2,"logprobs":true,"top_logprobs":3,"stream":true,"stream_options":{"include_usage":true}}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var streamed strings.Builder
	var chunks []openai.ChatCompletionChunk
	sc := bufio.NewScanner(resp.Body)
	done := false
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		if line == "[DONE]" {
			done = true
			break
		}
		var ch openai.ChatCompletionChunk
		if err := json.Unmarshal([]byte(line), &ch); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		chunks = append(chunks, ch)
		for _, cc := range ch.Choices {
			if cc.Delta.Content != nil {
				streamed.WriteString(*cc.Delta.Content)
			}
		}
	}
	n := len(chunks)
	if !done || n < 3 || chunks[0].Choices[0].Delta.Role != "assistant" || chunks[0].Object != "chat.completion.chunk" ||
		chunks[n-2].Choices[0].FinishReason == nil || *chunks[n-2].Choices[0].FinishReason != *c.FinishReason ||
		chunks[n-1].Usage == nil || *chunks[n-1].Usage != chat.Usage {
		t.Fatalf("chunks %+v", chunks)
	}
	if streamed.String() != c.Message.Content {
		t.Errorf("streamed %q, not %q", streamed.String(), c.Message.Content)
	}
	for i, ch := range chunks[1 : n-2] {
		if lp := ch.Choices[0].Logprobs; lp == nil || !reflect.DeepEqual(lp.Content[0], c.Logprobs.Content[i]) {
			t.Errorf("streamed logprobs %d: %+v", i, lp)
		}
	}
	// Scoring a conversation: max_tokens 0 with prompt_logprobs gives the
	// rendered prompt's log-probabilities, as /v1/completions gives them
	// for its ids.
	var scored openai.ChatCompletionResponse
	if st := post(t, ts.URL, "/v1/chat/completions", `{"messages":`+messages+`,"max_tokens":0,"prompt_logprobs":1}`, &scored); st != 200 {
		t.Fatal(st)
	}
	idsJSON, _ := json.Marshal(ids)
	var comp openai.CompletionResponse
	post(t, ts.URL, "/v1/completions", `{"prompt":`+string(idsJSON)+`,"max_tokens":0,"prompt_logprobs":1}`, &comp)
	if !reflect.DeepEqual(scored.PromptLogprobs, comp.Choices[0].PromptLogprobs) || len(scored.PromptLogprobs) != len(ids) {
		t.Errorf("chat prompt_logprobs %v, completions' %v", scored.PromptLogprobs, comp.Choices[0].PromptLogprobs)
	}
	// continue_final_message leaves the last message open.
	if st := post(t, ts.URL, "/v1/chat/completions", `{"messages":[{"role":"user","content":"the"},{"role":"assistant","content":"rays"}],"add_generation_prompt":false,"continue_final_message":true,"max_tokens":0,"prompt_logprobs":0}`, &scored); st != 200 {
		t.Fatal(st)
	}
	open, _ := p.Tokenizer.EncodeSpecial([]byte("user: the"+eot+"assistant: rays"), []string{eot})
	if len(scored.PromptLogprobs) != len(open) {
		t.Errorf("continue_final_message: %d prompt tokens, want %d", len(scored.PromptLogprobs), len(open))
	}
	// Refused, with the parameter named.
	for body, want := range map[string]string{
		`{"messages":[{"role":"user","content":"hi"}],"top_logprobs":2}`:                          "needs logprobs",
		`{"messages":[{"role":"user","content":"hi"}],"tools":[]}`:                                "tools",
		`{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]}`: "text parts only",
		`{"messages":[{"role":"tool","content":"x"}]}`:                                            "no tools here",
		`{"messages":[]}`: "messages is required",
		`{"messages":[{"role":"user","content":"hi"}],"logprobs":true,"top_logprobs":21}`:                   "outside [0, 20]",
		`{"messages":[{"role":"user","content":"hi"}],"continue_final_message":true}`:                       "add_generation_prompt: false",
		`{"messages":[{"role":"user","content":"hi"}],"chat_template_kwargs":{"messages":[]}}`:              "may not set messages",
		`{"messages":[{"role":"user","content":"` + strings.Repeat("the rays ", 40) + `"}],"max_tokens":4}`: "maximum context length",
	} {
		var e openai.ErrorResponse
		if st := post(t, ts.URL, "/v1/chat/completions", body, &e); st != 400 || !strings.Contains(e.Error.Message, want) {
			t.Errorf("%s: %d %q, want 400 with %q", body, st, e.Error.Message, want)
		}
	}
}

func bytesOf(v []int) []byte {
	b := make([]byte, len(v))
	for i, c := range v {
		b[i] = byte(c)
	}
	return b
}
