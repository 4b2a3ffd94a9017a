package openai

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// A message's content is a string, text parts joined with "\n", or null;
// other parts and shapes are refused; unknown fields are refused by name.
func TestDecodeChatRequest(t *testing.T) {
	req, err := DecodeChatRequest(strings.NewReader(`{"model":"m","messages":[{"role":"system","content":null},`+
		`{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}],"name":"ann"},{"role":"assistant","content":"c"}],`+
		`"logprobs":true,"top_logprobs":2,"max_completion_tokens":5,"chat_template_kwargs":{"enable_thinking":false}}`), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	want := []ChatMessage{{Role: "system"}, {Role: "user", Content: "a\nb", Name: "ann"}, {Role: "assistant", Content: "c"}}
	if !reflect.DeepEqual(req.Messages, want) || !req.Logprobs || *req.TopLogprobs != 2 || *req.MaxCompletionTokens != 5 || req.ChatTemplateKwargs["enable_thinking"] != false {
		t.Fatalf("%+v", req)
	}
	for body, msg := range map[string]string{
		`{"messages":[]}`: "messages is required",
		`{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]}`: "text parts only",
		`{"messages":[{"role":"user","content":5}]}`:                                              "a string, a list of text parts or null",
		`{"messages":[{"content":"x"}]}`:                                                          "no role",
		`{"messages":[{"role":"user","content":"x"}],"tools":[]}`:                                 "tools",
		`{"messages":[{"role":"user","content":"x","tool_calls":[]}]}`:                            "tool_calls",
	} {
		if _, err := DecodeChatRequest(strings.NewReader(body), 1<<20); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: %v, want an error with %q", body, err, msg)
		}
	}
}

func FuzzDecodeChatRequest(f *testing.F) {
	for _, s := range []string{`{"messages":[{"role":"user","content":"hi"}],"logprobs":true,"top_logprobs":1}`,
		`{"messages":[{"role":"user","content":[{"type":"text","text":"a"}]}],"stream":true,"stream_options":{"include_usage":true}}`,
		`{"messages":[{"role":"a","content":null,"name":"x"}],"chat_template_kwargs":{"k":[1,"2",{"z":null}]},"stop":"x"}`, `{"messages":null}`, `[]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := DecodeChatRequest(bytes.NewReader(body), 1<<16)
		if err != nil {
			return
		}
		out, err := json.Marshal(req)
		if err != nil {
			t.Fatalf("%s: writing back: %v", body, err)
		}
		again, err := DecodeChatRequest(bytes.NewReader(out), 1<<20)
		if err != nil {
			t.Fatalf("%s written back as %s, which fails: %v", body, out, err)
		}
		if !reflect.DeepEqual(req, again) {
			t.Fatalf("%s: %+v, written back and read %+v", body, req, again)
		}
	})
}
