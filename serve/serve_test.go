package serve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xent-dev/xent/eval"
	"github.com/xent-dev/xent/loss"
	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/modeldir"
	"github.com/xent-dev/xent/openai"
	"github.com/xent-dev/xent/sample"
	"github.com/xent-dev/xent/tokenizer"
)

const sampleText = `Light is refracted by the Prism, and the rays that are most refrangible make violet; the least make red.
In three experiments he found the same: colours are not modifications of light, but original properties of the rays.
`

// tiny is a random Llama of context 16 with a BPE trained on sample.
func tiny(t testing.TB) *modeldir.Pretrained {
	t.Helper()
	return tinyCtx(t, 16)
}

// tinyCtx is tiny with a context of ctx.
func tinyCtx(t testing.TB, ctx int) *modeldir.Pretrained {
	t.Helper()
	tok, err := tokenizer.Train([][]byte{[]byte(strings.Repeat(sampleText, 4))}, tokenizer.TrainOptions{VocabSize: 300, Pattern: tokenizer.GPT2, Special: []string{"<|endoftext|>"}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.New(model.Config{ModelType: "llama", VocabSize: 300, HiddenSize: 16, IntermediateSize: 32,
		NumHiddenLayers: 1, NumAttentionHeads: 2, RMSNormEps: 1e-5, RopeTheta: 10000, MaxPositionEmbeddings: ctx, TieWordEmbeddings: true}, 3)
	if err != nil {
		t.Fatal(err)
	}
	for i := range m.ParamBuffer() {
		m.ParamBuffer()[i] *= 4
	}
	return &modeldir.Pretrained{Model: m, Tokenizer: tok, Dir: "/models/tiny", BOSTokenID: -1, AddBOS: true}
}

func start(t testing.TB, p *modeldir.Pretrained, opt Options) (*Server, *httptest.Server) {
	t.Helper()
	s, err := New(p, opt)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() { ts.Close(); s.Close() })
	return s, ts
}

// post sends body and decodes the answer into v (an error's body into
// an openai.ErrorResponse); it returns the status.
func post(t testing.TB, url, path, body string, v any) int {
	t.Helper()
	resp, err := http.Post(url+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		var e openai.ErrorResponse
		if err := json.Unmarshal(raw, &e); err != nil || e.Error.Message == "" || string(e.Error.Code) != fmt.Sprint(resp.StatusCode) {
			t.Fatalf("%s: status %d with a body not in OpenAI's error shape: %s", path, resp.StatusCode, raw)
		}
		if v, ok := v.(*openai.ErrorResponse); ok {
			*v = e
		}
		return resp.StatusCode
	}
	if v != nil {
		if err := json.Unmarshal(raw, v); err != nil {
			t.Fatalf("%s: %v: %s", path, err, raw)
		}
	}
	return resp.StatusCode
}

// TestCompletionsScoreAsEval: each prompt token's log-probability is
// −NLL as eval's row path computes it (the bits), the first null; the top
// entry is the argmax with logits − LSE; a text prompt is its tokens after
// BOS; a list of prompts gets a choice each; prompt_logprobs ranks.
func TestCompletionsScoreAsEval(t *testing.T) {
	p := tiny(t)
	_, ts := start(t, p, Options{})
	bos, _ := p.BOS()
	text := "the rays make violet"
	ids := append([]int32{bos}, p.Tokenizer.Encode([]byte(text))...)
	if len(ids) > 17 {
		ids = ids[:17] // the context + 1: scoring only
	}
	idsJSON, _ := json.Marshal(ids)
	var resp openai.CompletionResponse
	body := fmt.Sprintf(`{"model":"tiny","prompt":[%s,[7,8]],"echo":true,"max_tokens":0,"logprobs":3,"prompt_logprobs":2,"return_tokens_as_token_ids":true}`, idsJSON)
	if st := post(t, ts.URL, "/v1/completions", body, &resp); st != 200 {
		t.Fatalf("status %d", st)
	}
	if len(resp.Choices) != 2 || resp.Model != "tiny" || resp.Usage.PromptTokens != len(ids)+2 || resp.Choices[1].Index != 1 {
		t.Fatalf("%+v", resp)
	}
	// the rows eval computes
	var want []loss.Row
	b := eval.NewBatcher(p.Model, 1, true)
	if err := b.Score(ids[:len(ids)-1], 1, len(ids)-1, []int{len(ids) - 1}, func(_, q int) int32 { return ids[q+1] },
		func(_, _ int, r loss.Row, _ []float32) { want = append(want, r) }); err != nil {
		t.Fatal(err)
	}
	c := resp.Choices[0]
	lp := c.Logprobs
	if lp.TokenLogprobs[0] != nil || lp.TopLogprobs[0] != nil || len(lp.Tokens) != len(ids) {
		t.Fatalf("first token %v %v, %d tokens", lp.TokenLogprobs[0], lp.TopLogprobs[0], len(lp.Tokens))
	}
	correct := 0
	for k := 1; k < len(ids); k++ {
		r := want[k-1]
		if *lp.TokenLogprobs[k] != -r.NLL {
			t.Errorf("token %d: logprob %v, eval's −NLL %v", k, *lp.TokenLogprobs[k], -r.NLL)
		}
		top := lp.TopLogprobs[k]
		if top[0].Token != fmt.Sprintf("token_id:%d", ids[k]) || top[0].Logprob != *lp.TokenLogprobs[k] || len(top) < 3 || len(top) > 4 {
			t.Errorf("token %d: top_logprobs %v", k, top)
		}
		best := top[0]
		for _, e := range top {
			if e.Logprob > best.Logprob {
				best = e
			}
		}
		if best.Token != fmt.Sprintf("token_id:%d", r.Top) || math.Exp(best.Logprob) != r.TopProb {
			t.Errorf("token %d: best %v, eval's top %d with p %v", k, best, r.Top, r.TopProb)
		}
		if r.Top == ids[k] {
			correct++
		}
		pl := c.PromptLogprobs[k]
		if pl[0].ID != ids[k] || pl[0].Logprob.Logprob != -r.NLL || *pl[0].Rank != r.Rank || len(pl) < 2 || len(pl) > 3 {
			t.Errorf("prompt_logprobs[%d] = %+v, rank %d", k, pl, r.Rank)
		}
	}
	if c.PromptLogprobs[0] != nil {
		t.Error("prompt_logprobs[0] is not null")
	}
	// The text prompt: BOS then its tokens, the text echoed as sent, the
	// same numbers as its ids.
	var tr openai.CompletionResponse
	body = fmt.Sprintf(`{"prompt":[%q],"echo":true,"max_tokens":0,"logprobs":3,"return_tokens_as_token_ids":true}`, text)
	if st := post(t, ts.URL, "/v1/completions", body, &tr); st != 200 {
		t.Fatal(st)
	}
	t2 := tr.Choices[0]
	if t2.Text != text || !reflect.DeepEqual(t2.Logprobs.TokenLogprobs[:len(ids)], c.Logprobs.TokenLogprobs) {
		t.Errorf("text choice %+v", t2)
	}
	// Decoded tokens and their character offsets.
	body = fmt.Sprintf(`{"prompt":%q,"echo":true,"max_tokens":0,"logprobs":0}`, "é is light")
	if st := post(t, ts.URL, "/v1/completions", body, &resp); st != 200 {
		t.Fatal(st)
	}
	lp = resp.Choices[0].Logprobs
	// é is two byte tokens here, each decoded alone to U+FFFD, as vLLM's
	// tokenizer.decode(id) does.
	if strings.Join(lp.Tokens[1:], "") != "\uFFFD\uFFFD is light" || len(lp.TopLogprobs[1]) != 1 {
		t.Errorf("decoded tokens %q, top %v", lp.Tokens, lp.TopLogprobs[1])
	}
	for k := 1; k < len(lp.Tokens); k++ {
		if lp.TextOffset[k] != lp.TextOffset[k-1]+len([]rune(lp.Tokens[k-1])) {
			t.Errorf("text_offset %v for %q", lp.TextOffset, lp.Tokens)
		}
	}
}

// TestCompletionsRefuse: what xent serve does not do, and requests past
// its limits, get a 400 in OpenAI's shape naming the parameter.
func TestCompletionsRefuse(t *testing.T) {
	p := tiny(t)
	_, ts := start(t, p, Options{MaxPrompts: 2, MaxBody: 2000})
	long, _ := json.Marshal(make([]int32, 18))
	for body, want := range map[string]string{
		`{"prompt":"hi"}`:                                               "maximum context length is 16 tokens (17 for scoring only). However, prompt 0 has 3 tokens and max_tokens is 16",
		`{"prompt":"hi","max_tokens":600}`:                              "outside [0, 512]",
		`{"prompt":"hi","max_tokens":2,"n":9}`:                          "outside [1, 8]",
		`{"prompt":"hi","max_tokens":2,"temperature":-1}`:               "temperature",
		`{"prompt":"hi","max_tokens":2,"stop":[""]}`:                    "empty stop",
		`{"prompt":"hi","max_tokens":0}`:                                "echo",
		`{"prompt":"hi","max_tokens":0,"echo":true,"n":2}`:              "need generation",
		`{"prompt":"hi","max_tokens":0,"echo":true,"logprobs":21}`:      "outside [0, 20]",
		`{"prompt":"hi","max_tokens":0,"echo":true,"logprobs":-1}`:      "outside [0, 20]",
		`{"prompt":["a","b","c"],"max_tokens":0,"echo":true}`:           "at most 2",
		`{"prompt":[1,300],"max_tokens":0,"echo":true}`:                 "outside the vocabulary",
		`{"prompt":` + string(long) + `,"max_tokens":0,"echo":true}`:    "maximum context length is 16",
		`{"prompt":"hi","max_tokens":0,"echo":true,"suffix":"x"}`:       `unknown field "suffix"`,
		`{"prompt":"` + strings.Repeat("a", 3000) + `","max_tokens":0}`: "too large",
		`{"prompt":[],"max_tokens":0,"echo":true}`:                      "empty list",
	} {
		var e openai.ErrorResponse
		if st := post(t, ts.URL, "/v1/completions", body, &e); st != 400 || !strings.Contains(e.Error.Message, want) || e.Error.Type != "BadRequestError" {
			t.Errorf("%.60s: %d %+v, want 400 saying %q", body, st, e.Error, want)
		}
	}
	var e openai.ErrorResponse
	if st := post(t, ts.URL, "/v1/completions", `{"model":"gpt-4","prompt":"hi","max_tokens":0,"echo":true}`, &e); st != 404 || *e.Error.Param != "model" {
		t.Errorf("another model: %d %+v", st, e)
	}
	if st := post(t, ts.URL, "/v1/nothing", `{}`, &e); st != 404 {
		t.Errorf("unknown route: %d", st)
	}
	// A prompt of the context + 1 tokens is scored; of one token, has only a null.
	var resp openai.CompletionResponse
	if st := post(t, ts.URL, "/v1/completions", `{"prompt":[`+strings.Repeat("5,", 16)+`5],"max_tokens":0,"echo":true,"logprobs":1}`, &resp); st != 200 || len(resp.Choices[0].Logprobs.Tokens) != 17 {
		t.Errorf("17 tokens: %d", st)
	}
	if st := post(t, ts.URL, "/v1/completions", `{"prompt":[5],"max_tokens":0,"echo":true,"logprobs":1}`, &resp); st != 200 || len(resp.Choices[0].Logprobs.TokenLogprobs) != 1 || resp.Choices[0].Logprobs.TokenLogprobs[0] != nil {
		t.Errorf("1 token: %d %+v", st, resp)
	}
}

func TestModelsTokenizeDetokenize(t *testing.T) {
	p := tiny(t)
	_, ts := start(t, p, Options{})
	resp, err := http.Get(ts.URL + "/v1/models")
	if err != nil {
		t.Fatal(err)
	}
	var list openai.ModelList
	json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if len(list.Data) != 1 || list.Data[0].ID != "tiny" || list.Data[0].MaxModelLen != 16 || list.Object != "list" {
		t.Errorf("models %+v", list)
	}
	var tr openai.TokenizeResponse
	post(t, ts.URL, "/tokenize", `{"prompt":"Light is refracted","return_token_strs":true}`, &tr)
	bos, _ := p.BOS()
	want := append([]int32{bos}, p.Tokenizer.Encode([]byte("Light is refracted"))...)
	if !reflect.DeepEqual(tr.Tokens, want) || tr.Count != len(want) || tr.MaxModelLen != 16 || strings.Join(tr.TokenStrs[1:], "") != "Light is refracted" {
		t.Errorf("tokenize %+v, want %v", tr, want)
	}
	post(t, ts.URL, "/tokenize", `{"prompt":"Light","add_special_tokens":false}`, &tr)
	if tr.Tokens[0] == bos {
		t.Error("add_special_tokens false added BOS")
	}
	var dr openai.DetokenizeResponse
	toks, _ := json.Marshal(want[1:])
	post(t, ts.URL, "/detokenize", `{"tokens":`+string(toks)+`}`, &dr)
	if dr.Prompt != "Light is refracted" {
		t.Errorf("detokenize %q", dr.Prompt)
	}
	var e openai.ErrorResponse
	if st := post(t, ts.URL, "/detokenize", `{"tokens":[-1]}`, &e); st != 400 {
		t.Errorf("detokenize -1: %d", st)
	}
	resp, err = http.Get(ts.URL + "/tokenizer.json")
	if err != nil {
		t.Fatal(err)
	}
	served, err := tokenizer.LoadHF(resp.Body)
	resp.Body.Close()
	if err != nil || !reflect.DeepEqual(served.Encode([]byte(sampleText)), p.Tokenizer.Encode([]byte(sampleText))) {
		t.Errorf("the served tokenizer.json: %v", err)
	}
}

// TestAuthQueuePanicDeadline: a wrong or missing key gets 401 compared in
// constant time; a full queue 429 at once; a panic 500 with the server
// still answering; a request past its deadline 504.
func TestAuthQueuePanicDeadline(t *testing.T) {
	p := tiny(t)
	var log bytes.Buffer
	var logMu sync.Mutex
	s, ts := start(t, p, Options{APIKey: "k3y", Queue: 1, NoBatch: true, Log: writerFunc(func(b []byte) (int, error) {
		logMu.Lock()
		defer logMu.Unlock()
		return log.Write(b)
	})})
	body := `{"prompt":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16],"max_tokens":0,"echo":true,"logprobs":1}`
	send := func(key string) int {
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/v1/completions", strings.NewReader(body))
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, key := range []string{"", "k3", "k3y2", "K3Y"} {
		if st := send(key); st != 401 {
			t.Errorf("key %q: %d", key, st)
		}
	}
	if st := send("k3y"); st != 200 {
		t.Fatalf("the key: %d", st)
	}
	// Hold the model's goroutine so that the queue fills: a hook blocks
	// every request before it queues, then all are let go at once.
	gate := make(chan struct{})
	s.beforeScore = func() { <-gate }
	var wg sync.WaitGroup
	codes := make(chan int, 40)
	for range 40 {
		wg.Go(func() { codes <- send("k3y") })
	}
	time.Sleep(200 * time.Millisecond)
	close(gate)
	wg.Wait()
	close(codes)
	seen := map[int]int{}
	for c := range codes {
		seen[c]++
	}
	if seen[200] == 0 || seen[429] == 0 || seen[200]+seen[429] != 40 {
		t.Errorf("40 requests at once against a queue of 1: %v", seen)
	}
	s.beforeScore = func() { panic("boom") }
	if st := send("k3y"); st != 500 {
		t.Errorf("panic: %d", st)
	}
	s.beforeScore = nil
	if st := send("k3y"); st != 200 {
		t.Errorf("after the panic: %d", st)
	}
	logMu.Lock()
	l := log.String()
	logMu.Unlock()
	if !strings.Contains(l, "panic serving POST /v1/completions: boom") || !strings.Contains(l, "POST /v1/completions 429") || !strings.Contains(l, "POST /v1/completions 200 16 tokens") {
		t.Errorf("log:\n%.2000s", l)
	}
	// A deadline shorter than the wait.
	s2, ts2 := start(t, p, Options{Deadline: 50 * time.Millisecond})
	s2.beforeScore = func() { time.Sleep(100 * time.Millisecond) }
	var e openai.ErrorResponse
	if st := post(t, ts2.URL, "/v1/completions", body, &e); st != 504 || !strings.Contains(e.Error.Message, "deadline") {
		t.Errorf("deadline: %d %+v", st, e)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// TestLoadEqualsAlone is a bounded load test on loopback: 96 requests at
// once, scoring prompts of many lengths (which the server packs into
// shared batches) and generating seeded continuations, against a queue of
// 24. Every answer is the one the same request gets alone, and the only
// errors are the 429s the full queue promises.
func TestLoadEqualsAlone(t *testing.T) {
	p := tiny(t)
	s, ts := start(t, p, Options{Queue: 24, Deadline: 30 * time.Second})
	bodies := make([]string, 32)
	alone := make([]string, len(bodies))
	for i := range bodies {
		ids := make([]int32, 2+i%14)
		for j := range ids {
			ids[j] = int32((i*7 + j*13) % 300)
		}
		b, _ := json.Marshal(ids)
		bodies[i] = `{"prompt":` + string(b) + `,"max_tokens":0,"echo":true,"logprobs":2}`
		switch i % 4 {
		case 3:
			b, _ = json.Marshal(ids[:min(len(ids), 8)])
			bodies[i] = fmt.Sprintf(`{"prompt":%s,"max_tokens":6,"seed":%d,"n":2,"logprobs":2,"temperature":1.3}`, b, i)
		case 1:
			b, _ = json.Marshal(ids[:min(len(ids), 5)])
			bodies[i] = fmt.Sprintf(`{"prompt":%s,"max_tokens":9,"seed":%d,"echo":true,"logprobs":1,"top_k":20}`, b, i)
		}
		var r openai.CompletionResponse
		if st := post(t, ts.URL, "/v1/completions", bodies[i], &r); st != 200 {
			t.Fatalf("request %d alone: %d", i, st)
		}
		out, _ := json.Marshal(r.Choices)
		alone[i] = string(out)
	}
	passes0, prompts0 := s.Stats()
	steps0, stepped0 := s.DecodeStats()
	heap := func() uint64 {
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	before := heap()
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	var after []uint64
	for round := range 4 {
		for i := range bodies {
			wg.Go(func() {
				var r openai.CompletionResponse
				st := post(t, ts.URL, "/v1/completions", bodies[i], &r)
				mu.Lock()
				codes[st]++
				mu.Unlock()
				if st != 200 {
					return
				}
				if out, _ := json.Marshal(r.Choices); string(out) != alone[i] {
					t.Errorf("round %d request %d: the answer under load differs from the one alone", round, i)
				}
			})
		}
		wg.Wait()
		after = append(after, heap())
	}
	if codes[200] == 0 || codes[200]+codes[429] != 4*len(bodies) {
		t.Errorf("status codes %v", codes)
	}
	passes, prompts := s.Stats()
	steps, stepped := s.DecodeStats()
	t.Logf("status codes %v; %d prompts in %d forward passes; %d decoding steps fed %d tokens (%.2f sequences a step)", codes,
		prompts-prompts0, passes-passes0, steps-steps0, stepped-stepped0, float64(stepped-stepped0)/float64(steps-steps0))
	// Memory stays bounded: what the server holds after the load is the
	// pool of decoders (at most DecodeBatch KV caches) and little else,
	// and it does not grow from one round of requests to the next.
	kv := uint64(s.dec.bd.MaxBatch()) * uint64(p.Model.KVCacheBytes())
	t.Logf("live heap before the load %d KiB, after each round %v KiB (KV caches at most %d KiB)", before>>10, kib(after), kv>>10)
	if grow := int64(after[len(after)-1]) - int64(before); grow > int64(kv)+4<<20 {
		t.Errorf("the live heap grew by %d KiB under load; the bound is the KV caches (%d KiB) + 4 MiB", grow>>10, kv>>10)
	}
	if grow := int64(after[len(after)-1]) - int64(after[0]); grow > 1<<20 {
		t.Errorf("the live heap grew by %d KiB between the first round and the last", grow>>10)
	}
}

func kib(v []uint64) []uint64 {
	out := make([]uint64, len(v))
	for i, x := range v {
		out[i] = x >> 10
	}
	return out
}

// TestGenerate: max_tokens > 0 generates with package sample: greedy is
// the model's argmax chain, a seed gives the same text again, choice j
// draws from stream j, a stop string ends the text before it, echo puts
// the prompt and its log-probabilities first.
func TestGenerate(t *testing.T) {
	p := tiny(t)
	_, ts := start(t, p, Options{})
	var r openai.CompletionResponse
	if st := post(t, ts.URL, "/v1/completions", `{"prompt":[5,6,7],"max_tokens":6,"temperature":0,"logprobs":1,"return_tokens_as_token_ids":true}`, &r); st != 200 {
		t.Fatal(st)
	}
	g := sample.NewGenerator(p.Model)
	sp, _ := sample.NewSampler(sample.Settings{}, 0)
	want, err := g.Generate([]int32{5, 6, 7}, 6, sp, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := r.Choices[0]
	if len(c.Logprobs.Tokens) != len(want) || *c.FinishReason != "length" || r.Usage.CompletionTokens != 6 || r.Usage.TotalTokens != 9 {
		t.Fatalf("%+v", r)
	}
	var text []byte
	for i, tk := range want {
		b, _ := p.Tokenizer.Token(tk.ID)
		text = append(text, b...)
		if c.Logprobs.Tokens[i] != fmt.Sprintf("token_id:%d", tk.ID) || *c.Logprobs.TokenLogprobs[i] != tk.LogProb || c.Logprobs.TopLogprobs[i][0].Logprob != tk.LogProb {
			t.Errorf("token %d: %v %v, want %+v", i, c.Logprobs.Tokens[i], *c.Logprobs.TokenLogprobs[i], tk)
		}
	}
	if c.Text != coerce(string(text)) {
		t.Errorf("text %q, want %q", c.Text, text)
	}
	// logprobs 3: each generated token, then the 3 most probable others,
	// as package sample's Alternatives give them.
	var r3 openai.CompletionResponse
	if st := post(t, ts.URL, "/v1/completions", `{"prompt":[5,6,7],"max_tokens":6,"seed":5,"temperature":1.5,"logprobs":3,"return_tokens_as_token_ids":true}`, &r3); st != 200 {
		t.Fatal(st)
	}
	g.Alternatives = 3
	sp, _ = sample.NewSampler(sample.Settings{Temperature: 1.5, Seed: 5}, 0)
	want3, err := g.Generate([]int32{5, 6, 7}, 6, sp, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, tk := range want3 {
		top := openai.TopLogprobs{{Token: fmt.Sprintf("token_id:%d", tk.ID), Logprob: tk.LogProb}}
		for _, a := range tk.Alternatives {
			if a.ID != tk.ID {
				top = append(top, openai.TokenLogprob{Token: fmt.Sprintf("token_id:%d", a.ID), Logprob: a.LogProb})
			}
		}
		if got := r3.Choices[0].Logprobs.TopLogprobs[i]; !reflect.DeepEqual(got, top) || len(top) < 3 {
			t.Errorf("logprobs 3, token %d: top_logprobs %v, want %v", i, got, top)
		}
	}
	// Seeded sampling: the same again; n choices from streams 0, 1, 2.
	body := `{"prompt":"Light","max_tokens":8,"seed":11,"n":3,"temperature":1.5}`
	var a, b openai.CompletionResponse
	post(t, ts.URL, "/v1/completions", body, &a)
	post(t, ts.URL, "/v1/completions", body, &b)
	if len(a.Choices) != 3 || !reflect.DeepEqual(a.Choices, b.Choices) || a.Choices[0].Text == a.Choices[1].Text && a.Choices[1].Text == a.Choices[2].Text {
		t.Errorf("seeded choices %+v, again %+v", a.Choices, b.Choices)
	}
	// A stop string, the text of an ASCII token past the first: the text
	// ends before it.
	var full openai.CompletionResponse
	post(t, ts.URL, "/v1/completions", `{"prompt":[5,6,7],"max_tokens":12,"seed":3,"temperature":1.5,"logprobs":0,"return_tokens_as_token_ids":true}`, &full)
	var raw []byte
	stop := ""
	for i, name := range full.Choices[0].Logprobs.Tokens {
		id, _ := openai.TokenID(name)
		tb, _ := p.Tokenizer.Token(id)
		if i > 0 && stop == "" && len(tb) > 0 && tb[0] > ' ' && tb[0] < 127 && !bytes.Contains(raw, tb) {
			stop = string(tb)
		}
		raw = append(raw, tb...)
	}
	if stop == "" {
		t.Fatalf("no ASCII token in %q", raw)
	}
	var sr openai.CompletionResponse
	stopJSON, _ := json.Marshal([]string{"never there", stop})
	post(t, ts.URL, "/v1/completions", `{"prompt":[5,6,7],"max_tokens":12,"seed":3,"temperature":1.5,"stop":`+string(stopJSON)+`}`, &sr)
	if got := sr.Choices[0].Text; got != coerce(string(raw[:bytes.Index(raw, []byte(stop))])) || *sr.Choices[0].FinishReason != "stop" {
		t.Errorf("stop %q: %q (%s), full %q", stop, got, *sr.Choices[0].FinishReason, raw)
	}
	// Echo: the prompt first, its first token's logprob null.
	var er openai.CompletionResponse
	post(t, ts.URL, "/v1/completions", `{"prompt":"Light is","max_tokens":3,"temperature":0,"echo":true,"logprobs":0}`, &er)
	ec := er.Choices[0]
	n := len(p.Tokenizer.Encode([]byte("Light is"))) + 1
	if !strings.HasPrefix(ec.Text, "Light is") || len(ec.Logprobs.Tokens) != n+3 || ec.Logprobs.TokenLogprobs[0] != nil || ec.Logprobs.TokenLogprobs[n] == nil {
		t.Errorf("echo %+v", ec)
	}
}

// coerce is s as a JSON string carries it: each invalid byte U+FFFD.
func coerce(s string) string {
	b, _ := json.Marshal(s)
	var out string
	json.Unmarshal(b, &out)
	return out
}

// TestStream: a streamed generation is the same choices as the answer in
// one piece, a token a chunk, each choice's finish_reason on its last
// chunk, then the usage and [DONE]; several prompts generate their own
// choices.
func TestStream(t *testing.T) {
	p := tiny(t)
	_, ts := start(t, p, Options{})
	body := `{"prompt":["Light","is"],"max_tokens":6,"seed":5,"n":2,"temperature":1.2,"logprobs":1,"echo":true,"return_tokens_as_token_ids":true`
	var whole openai.CompletionResponse
	if st := post(t, ts.URL, "/v1/completions", body+`}`, &whole); st != 200 || len(whole.Choices) != 4 {
		t.Fatalf("%d %+v", st, whole)
	}
	var single openai.CompletionResponse
	post(t, ts.URL, "/v1/completions", `{"prompt":"is","max_tokens":6,"seed":5,"n":2,"temperature":1.2,"logprobs":1,"echo":true,"return_tokens_as_token_ids":true}`, &single)
	if !reflect.DeepEqual(single.Choices[1].Logprobs, whole.Choices[3].Logprobs) || single.Choices[1].Text != whole.Choices[3].Text {
		t.Errorf("the second prompt's second choice differs from the prompt alone")
	}
	resp, err := http.Post(ts.URL+"/v1/completions", "application/json", strings.NewReader(body+`,"stream":true,"stream_options":{"include_usage":true}}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	raw, _ := io.ReadAll(resp.Body)
	events := strings.Split(strings.TrimSuffix(string(raw), "\n\n"), "\n\n")
	if events[len(events)-1] != "data: [DONE]" {
		t.Fatalf("the stream ends %q", events[len(events)-1])
	}
	text := make([]string, 4)
	tokens := make([][]string, 4)
	logprobs := make([][]float64, 4)
	finish := make([]string, 4)
	var usage *openai.Usage
	for _, ev := range events[:len(events)-1] {
		var ch openai.CompletionChunk
		if err := json.Unmarshal([]byte(strings.TrimPrefix(ev, "data: ")), &ch); err != nil {
			t.Fatalf("%q: %v", ev, err)
		}
		if ch.Usage != nil {
			usage = ch.Usage
			continue
		}
		c := ch.Choices[0]
		if finish[c.Index] != "" {
			t.Errorf("choice %d: a chunk after its finish_reason", c.Index)
		}
		text[c.Index] += c.Text
		if c.Logprobs != nil {
			tokens[c.Index] = append(tokens[c.Index], c.Logprobs.Tokens...)
			for _, v := range c.Logprobs.TokenLogprobs {
				if v == nil {
					logprobs[c.Index] = append(logprobs[c.Index], 1) // the null
				} else {
					logprobs[c.Index] = append(logprobs[c.Index], *v)
				}
			}
		}
		if c.FinishReason != nil {
			finish[c.Index] = *c.FinishReason
		}
	}
	for i, c := range whole.Choices {
		var lps []float64
		for _, v := range c.Logprobs.TokenLogprobs {
			if v == nil {
				lps = append(lps, 1)
			} else {
				lps = append(lps, *v)
			}
		}
		if coerce(text[i]) != c.Text || !reflect.DeepEqual(tokens[i], c.Logprobs.Tokens) || !reflect.DeepEqual(logprobs[i], lps) || finish[i] != *c.FinishReason {
			t.Errorf("choice %d streamed: %q %v %s; whole: %q %v %s", i, text[i], tokens[i], finish[i], c.Text, c.Logprobs.Tokens, *c.FinishReason)
		}
	}
	if usage == nil || *usage != whole.Usage {
		t.Errorf("usage %+v, whole %+v", usage, whole.Usage)
	}
}

func TestCompleteUTF8(t *testing.T) {
	for in, want := range map[string]int{"ab": 2, "a\xc3": 1, "a\xc3\xa9": 3, "\xe2\x82": 0, "\xe2\x82\xac": 3, "\xf0\x9f\x98": 0, "a\xff": 2, "\x80\x80": 2, "": 0} {
		if got := completeUTF8([]byte(in)); got != want {
			t.Errorf("%q: %d, want %d", in, got, want)
		}
	}
}
