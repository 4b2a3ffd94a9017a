package openai

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func readFixture(t *testing.T, name string, v any) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return b
}

func TestEchoTokenIDsFixture(t *testing.T) {
	var r CompletionResponse
	readFixture(t, "echo_token_ids.json", &r)
	if len(r.Choices) != 1 || r.Object != "text_completion" || r.Usage.PromptTokens != 3 {
		t.Fatalf("response %+v", r)
	}
	lp := r.Choices[0].Logprobs
	if lp == nil || len(lp.Tokens) != 3 || len(lp.TokenLogprobs) != 3 || len(lp.TopLogprobs) != 3 || len(lp.TextOffset) != 3 {
		t.Fatalf("logprobs %+v", lp)
	}
	if lp.TokenLogprobs[0] != nil || lp.TopLogprobs[0] != nil {
		t.Errorf("the first token has a logprob: %v, %v", lp.TokenLogprobs[0], lp.TopLogprobs[0])
	}
	var ids []int32
	for _, s := range lp.Tokens {
		id, ok := TokenID(s)
		if !ok {
			t.Fatalf("token %q is not token_id:N", s)
		}
		ids = append(ids, id)
	}
	if !reflect.DeepEqual(ids, []int32{50256, 464, 2068}) {
		t.Errorf("ids %v", ids)
	}
	if *lp.TokenLogprobs[2] != -9.053573608398438 {
		t.Errorf("token_logprobs[2] = %v", *lp.TokenLogprobs[2])
	}
	// the token itself first, then the top K, as vLLM orders them
	want := TopLogprobs{{"token_id:2068", -9.053573608398438}, {"token_id:717", -4.119812965393066}}
	if !reflect.DeepEqual(lp.TopLogprobs[2], want) {
		t.Errorf("top_logprobs[2] = %v, want %v", lp.TopLogprobs[2], want)
	}
	if !reflect.DeepEqual(lp.TextOffset, []int{0, 14, 26}) {
		t.Errorf("text_offset %v", lp.TextOffset)
	}
}

func TestEchoTextFixture(t *testing.T) {
	var r CompletionResponse
	readFixture(t, "echo_text.json", &r)
	lp := r.Choices[0].Logprobs
	if !reflect.DeepEqual(lp.Tokens, []string{"Hello", ",", " world"}) {
		t.Errorf("tokens %q", lp.Tokens)
	}
	if len(lp.TopLogprobs[1]) != 1 || lp.TopLogprobs[1][0].Token != "," {
		t.Errorf("top_logprobs[1] = %v", lp.TopLogprobs[1])
	}
	if _, ok := TokenID(lp.Tokens[1]); ok {
		t.Error("a decoded token read as an id")
	}
}

func TestPromptLogprobsFixture(t *testing.T) {
	var r CompletionResponse
	readFixture(t, "prompt_logprobs.json", &r)
	c := r.Choices[0]
	if c.Logprobs != nil {
		t.Error("logprobs not null")
	}
	if len(c.PromptLogprobs) != 3 || c.PromptLogprobs[0] != nil {
		t.Fatalf("prompt_logprobs %+v", c.PromptLogprobs)
	}
	p := c.PromptLogprobs[2]
	if len(p) != 2 || p[0].ID != 2068 || p[0].Logprob.Logprob != -9.053573608398438 || *p[0].Rank != 236 || *p[0].DecodedToken != " quick" || p[1].ID != 717 || *p[1].Rank != 1 {
		t.Errorf("prompt_logprobs[2] = %+v", p)
	}
	if !reflect.DeepEqual(c.PromptTokenIDs, []int32{50256, 464, 2068}) {
		t.Errorf("prompt_token_ids %v", c.PromptTokenIDs)
	}
}

// TestRoundTrip writes each decoded fixture back and reads it again: the
// fields this package models survive unchanged, in order.
func TestRoundTrip(t *testing.T) {
	for _, name := range []string{"echo_token_ids.json", "echo_text.json", "prompt_logprobs.json"} {
		var a, b CompletionResponse
		readFixture(t, name, &a)
		out, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(out, &b); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, out)
		}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: %+v after a round trip is %+v", name, a, b)
		}
	}
}

func TestErrorFixtures(t *testing.T) {
	for name, want := range map[string]string{"error.json": "BadRequestError", "error_legacy.json": "NotFoundError"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		e, ok := ParseError(b)
		if !ok || e.Type != want || e.Message == "" {
			t.Errorf("%s: %+v, %v", name, e, ok)
		}
	}
	out, _ := json.Marshal(NewError(429, "RateLimitError", "", "the queue is full"))
	if string(out) != `{"error":{"message":"the queue is full","type":"RateLimitError","param":null,"code":429}}` {
		t.Errorf("NewError: %s", out)
	}
	if _, ok := ParseError([]byte(`{"choices": []}`)); ok {
		t.Error("a completion read as an error")
	}
}

func TestModelsAndTokenizeFixtures(t *testing.T) {
	var m ModelList
	readFixture(t, "models.json", &m)
	if len(m.Data) != 1 || m.Data[0].ID != "gpt2" || m.Data[0].MaxModelLen != 1024 {
		t.Errorf("models %+v", m)
	}
	var tr TokenizeResponse
	readFixture(t, "tokenize.json", &tr)
	if tr.Count != 4 || !reflect.DeepEqual(tr.Tokens, []int32{15496, 11, 995, 0}) {
		t.Errorf("tokenize %+v", tr)
	}
}

func TestPromptShapes(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Prompt
		err  string
	}{
		{`"hi"`, Prompt{Texts: []string{"hi"}}, ""},
		{`["a","b"]`, Prompt{Texts: []string{"a", "b"}, List: true}, ""},
		{`[1,2,3]`, Prompt{IDs: [][]int32{{1, 2, 3}}}, ""},
		{`[[1],[2,3]]`, Prompt{IDs: [][]int32{{1}, {2, 3}}, List: true}, ""},
		{`[]`, Prompt{}, "empty list"},
		{`null`, Prompt{}, "missing"},
		{`["a",1]`, Prompt{}, "only strings"},
		{`[1,-2]`, Prompt{}, "not an integer"},
		{`[1,2.5]`, Prompt{}, "not an integer"},
		{`[1,4294967296]`, Prompt{}, "not an integer"},
		{`[[1],[]]`, Prompt{}, "empty list of token ids"},
		{`{"a":1}`, Prompt{}, "must be a string"},
	} {
		var p Prompt
		err := json.Unmarshal([]byte(c.in), &p)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want one saying %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(p, c.want) {
			t.Errorf("%s: %+v, %v; want %+v", c.in, p, err, c.want)
			continue
		}
		out, _ := json.Marshal(p)
		if !bytes.Equal(out, []byte(strings.ReplaceAll(c.in, ",", ","))) {
			t.Errorf("%s written back as %s", c.in, out)
		}
	}
}

func TestDecodeCompletionRequest(t *testing.T) {
	req, err := DecodeCompletionRequest(strings.NewReader(`{"model":"m","prompt":[1,2],"echo":true,"max_tokens":0,"logprobs":1,"stop":"\n"}`), 1<<10)
	if err != nil || !req.Echo || *req.MaxTokens != 0 || *req.Logprobs != 1 || req.Stop[0] != "\n" {
		t.Fatalf("%+v, %v", req, err)
	}
	for body, want := range map[string]string{
		`{"prompt":"x","logit_bias":{}}`:  `unknown field "logit_bias"`,
		`{"prompt":"x"} {}`:               "after its JSON object",
		`{"prompt":"x","max_tokens":"3"}`: "field max_tokens",
		`{"model":"m"}`:                   "prompt is required",
		`{"prompt":`:                      "the body",
		``:                                "empty",
		`{"prompt":"` + strings.Repeat("x", 2000) + `"}`: "too large",
	} {
		_, err := DecodeCompletionRequest(strings.NewReader(body), 1<<10)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%.40s: error %v, want one saying %q", body, err, want)
		}
	}
}

// FuzzDecodeCompletionRequest: any body decodes or is refused with an
// error, never a panic, and what decodes writes back to a body that
// decodes to the same request.
func FuzzDecodeCompletionRequest(f *testing.F) {
	for _, s := range []string{`{"prompt":"hi","echo":true,"max_tokens":0,"logprobs":1}`, `{"prompt":[[1,2],[3]],"n":2}`,
		`{"prompt":["a","b"],"stop":["x"],"seed":-1}`, `{"prompt":"x","stop":[]}`, `{"prompt":[0],"prompt_logprobs":5,"return_tokens_as_token_ids":true}`, `[]`, `{"prompt":null}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := DecodeCompletionRequest(bytes.NewReader(body), 1<<16)
		if err != nil {
			return
		}
		out, err := json.Marshal(req)
		if err != nil {
			t.Fatalf("%s: writing back: %v", body, err)
		}
		again, err := DecodeCompletionRequest(bytes.NewReader(out), 1<<20)
		if err != nil {
			t.Fatalf("%s written back as %s, which fails: %v", body, out, err)
		}
		if !reflect.DeepEqual(req, again) {
			t.Fatalf("%s: %+v, written back and read %+v", body, req, again)
		}
	})
}
