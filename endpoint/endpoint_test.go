package endpoint_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xent-dev/xent/data"
	"github.com/xent-dev/xent/endpoint"
	"github.com/xent-dev/xent/eval"
	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/modeldir"
	"github.com/xent-dev/xent/serve"
	"github.com/xent-dev/xent/tokenizer"
)

// tiny is a small random Llama (context 32) and a BPE trained on the
// first 4 KB of the Opticks, with the next 3 KB as the text to score.
func tiny(t testing.TB) (*modeldir.Pretrained, []byte) {
	t.Helper()
	text, err := data.Builtin("opticks")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.Train([][]byte{text[:4096]}, tokenizer.TrainOptions{VocabSize: 300, Pattern: tokenizer.GPT2, Special: []string{"<|endoftext|>"}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.New(model.Config{ModelType: "llama", VocabSize: 300, HiddenSize: 16, IntermediateSize: 32,
		NumHiddenLayers: 2, NumAttentionHeads: 2, RMSNormEps: 1e-5, RopeTheta: 10000, MaxPositionEmbeddings: 32,
		TieWordEmbeddings: true}, 7)
	if err != nil {
		t.Fatal(err)
	}
	for i := range m.ParamBuffer() {
		m.ParamBuffer()[i] *= 4 // a peaked distribution, so top-1 is sometimes right
	}
	return &modeldir.Pretrained{Model: m, Tokenizer: tok, Dir: "tiny", BOSTokenID: -1, AddBOS: true}, text[4096:7168]
}

// local is xent eval's report on text.
func local(t testing.TB, p *modeldir.Pretrained, text []byte, opt eval.Options) eval.Report {
	t.Helper()
	bos, err := p.BOS()
	if err != nil {
		t.Fatal(err)
	}
	e, err := eval.New(p.Model, p.Tokenizer, bos, opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range docs(text) {
		if err := e.Document(context.Background(), "text", bytes.NewReader(doc), nil); err != nil {
			t.Fatal(err)
		}
	}
	return e.Report()
}

// docs cuts text into documents: one of 2 KB, then six of 80 to 200 bytes,
// shorter than a window, so that windows of several documents are in
// flight at once.
func docs(text []byte) [][]byte {
	out := [][]byte{text[:2048]}
	for i, off := 0, 2048; i < 6 && off < len(text); i++ {
		n := min(80+i*24, len(text)-off)
		out = append(out, text[off:off+n])
		off += n
	}
	return out
}

// remote is the same evaluation through c.
func remote(ctx context.Context, t testing.TB, c *endpoint.Client, p *modeldir.Pretrained, text []byte, opt eval.Options) (eval.Report, error) {
	t.Helper()
	bos, err := p.BOS()
	if err != nil {
		t.Fatal(err)
	}
	e, err := eval.NewRemote(c, p.Tokenizer.VocabSize(), p.Model.MaxSeqLen(), p.Tokenizer, bos, opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range docs(text) {
		if err = e.Document(ctx, "text", bytes.NewReader(doc), nil); err != nil {
			break
		}
	}
	if err == nil {
		err = e.Wait()
	}
	return e.Report(), err
}

func startServer(t testing.TB, p *modeldir.Pretrained, opt serve.Options, wrap func(http.Handler) http.Handler) *httptest.Server {
	t.Helper()
	s, err := serve.New(p, opt)
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	if wrap != nil {
		h = wrap(h)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(func() { ts.Close(); s.Close() })
	return ts
}

func client(t testing.TB, url string, opt endpoint.Options) *endpoint.Client {
	t.Helper()
	opt.URL, opt.Model = url, "tiny"
	c, err := endpoint.New(opt)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var schemes = []eval.Options{
	{Scheme: eval.Disjoint, Ctx: 32},
	{Scheme: eval.Strided, Ctx: 32, Stride: 11},
	{Scheme: eval.LlamaCpp, Ctx: 32, AddBOS: true},
	{Scheme: eval.LlamaCpp, Ctx: 16},
}

// TestEndpointEqualsLocal: xent eval through xent serve, at concurrency 1
// and 8, in both request modes, reports what local xent eval reports, to
// the last bit, under every scheme.
func TestEndpointEqualsLocal(t *testing.T) {
	p, text := tiny(t)
	ts := startServer(t, p, serve.Options{Name: "tiny"}, nil)
	for _, opt := range schemes {
		want := local(t, p, text, opt)
		if want.Tokens < 50 || want.Top1Acc == 0 {
			t.Fatalf("%s: a weak test: %d tokens, top-1 %v", opt.Scheme, want.Tokens, want.Top1Acc)
		}
		for _, mode := range []string{endpoint.ModeEcho, endpoint.ModePromptLogprobs} {
			for _, conc := range []int{1, 8} {
				c := client(t, ts.URL, endpoint.Options{Mode: mode, Logprobs: 2})
				opt.Concurrency = conc
				var windows int64
				opt.Progress = func(pr eval.Progress) { windows = pr.Windows }
				got, err := remote(context.Background(), t, c, p, text, opt)
				opt.Progress = nil
				if err != nil {
					t.Fatalf("%s %s concurrency %d: %v", opt.Scheme, mode, conc, err)
				}
				if !reflect.DeepEqual(got, want) {
					g, _ := json.Marshal(got)
					w, _ := json.Marshal(want)
					t.Errorf("%s %s concurrency %d:\nendpoint %s\nlocal    %s", opt.Scheme, mode, conc, g, w)
				}
				if st := c.Stats(); st.Answered != windows || st.Requests != windows || st.Retries != 0 {
					t.Errorf("%s: stats %+v for %d windows", opt.Scheme, st, windows)
				}
			}
		}
	}
}

// fault is how a misbehaving server answers one request.
type fault int

const (
	fine      fault = iota
	drop            // closes the connection without an answer
	tooMany         // 429
	internal        // 500
	truncated       // 200 with half the JSON
	slow            // answers after the client's timeout
	wrongEcho       // echoes another token than the one sent
)

// misbehave wraps a real server's handler: the n-th POST /v1/completions
// (from 0) is answered as how(n) says.
func misbehave(how func(n int) fault, n *atomic.Int64) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/v1/completions" {
				h.ServeHTTP(w, r)
				return
			}
			f := how(int(n.Add(1) - 1))
			switch f {
			case drop:
				conn, _, err := w.(http.Hijacker).Hijack()
				if err == nil {
					conn.Close()
				}
				return
			case tooMany:
				w.WriteHeader(http.StatusTooManyRequests)
				io.WriteString(w, `{"error":{"message":"busy","type":"RateLimitError","param":null,"code":429}}`)
				return
			case internal:
				w.WriteHeader(http.StatusInternalServerError)
				io.WriteString(w, "oops")
				return
			case slow:
				time.Sleep(time.Second)
			case truncated, wrongEcho:
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, r)
				body := rec.Body.Bytes()
				if f == truncated {
					body = body[:len(body)/2]
				} else {
					body = bytes.Replace(body, []byte(`"tokens":["token_id:`), []byte(`"tokens":["token_id:1`), 1)
				}
				w.WriteHeader(rec.Code)
				w.Write(body)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
}

// TestEndpointSurvivesMisbehaviour: dropped connections, 429s, 500s,
// truncated JSON and a slow answer are retried, and the report is still
// local xent eval's, each window counted once.
func TestEndpointSurvivesMisbehaviour(t *testing.T) {
	p, text := tiny(t)
	var n atomic.Int64
	faults := []fault{fine, drop, tooMany, fine, internal, truncated, fine, fine}
	ts := startServer(t, p, serve.Options{Name: "tiny"}, misbehave(func(i int) fault {
		if i == 9 {
			return slow
		}
		return faults[i%len(faults)]
	}, &n))
	opt := eval.Options{Scheme: eval.Disjoint, Ctx: 16, Concurrency: 4}
	want := local(t, p, text, opt)
	var retries []string
	var mu sync.Mutex
	c := client(t, ts.URL, endpoint.Options{Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, Timeout: 300 * time.Millisecond,
		Log: func(s string) { mu.Lock(); retries = append(retries, s); mu.Unlock() }})
	var windows int64
	opt.Progress = func(pr eval.Progress) { windows = pr.Windows }
	got, err := remote(context.Background(), t, c, p, text, opt)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("after retries the report differs:\n%+v\n%+v", got, want)
	}
	st := c.Stats()
	if st.Answered != windows || st.Retries < 5 || st.Requests != windows+st.Retries {
		t.Errorf("stats %+v for %d windows", st, windows)
	}
	all := strings.Join(retries, "\n")
	for _, want := range []string{"HTTP 429: busy", "HTTP 500: oops", "not a completion", "no answer within 300ms", "EOF"} {
		if !strings.Contains(all, want) {
			t.Errorf("no retry after %q in\n%s", want, all)
		}
	}
}

// TestEndpointRefusesWrongData: an answer that echoes other tokens than
// those sent, or lacks log-probabilities, stops the evaluation with an
// error saying so; nothing is reported from it.
func TestEndpointRefusesWrongData(t *testing.T) {
	p, text := tiny(t)
	var n atomic.Int64
	ts := startServer(t, p, serve.Options{Name: "tiny"}, misbehave(func(i int) fault {
		if i == 3 {
			return wrongEcho
		}
		return fine
	}, &n))
	c := client(t, ts.URL, endpoint.Options{})
	_, err := remote(context.Background(), t, c, p, text, eval.Options{Ctx: 16})
	if err == nil || !strings.Contains(err.Error(), "echoed token 0") || !strings.Contains(err.Error(), "was sent") {
		t.Fatalf("error %v", err)
	}
	// A server that ignores echo.
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"id":"x","object":"text_completion","created":0,"model":"tiny","choices":[{"index":0,"text":"","logprobs":null,"finish_reason":"length"}],"usage":{}}`)
	}))
	defer plain.Close()
	c = client(t, plain.URL, endpoint.Options{})
	if _, err := remote(context.Background(), t, c, p, text, eval.Options{Ctx: 16}); err == nil || !strings.Contains(err.Error(), "no logprobs") {
		t.Fatalf("error %v", err)
	}
	// A 400 is not retried.
	c = client(t, ts.URL, endpoint.Options{Logprobs: 99})
	if _, err := remote(context.Background(), t, c, p, text, eval.Options{Ctx: 16}); err == nil || !strings.Contains(err.Error(), "HTTP 400: logprobs 99 is outside [0, 20]") || c.Stats().Retries != 0 {
		t.Fatalf("error %v, stats %+v", err, c.Stats())
	}
}

// TestEndpointCacheResumes: an evaluation stopped half way resumes from
// its cache, asking the server only for the windows it lacks; a third run
// asks nothing; the report is local xent eval's.
func TestEndpointCacheResumes(t *testing.T) {
	p, text := tiny(t)
	var n atomic.Int64
	ts := startServer(t, p, serve.Options{Name: "tiny"}, misbehave(func(int) fault { return fine }, &n))
	dir := t.TempDir()
	opt := eval.Options{Scheme: eval.Strided, Ctx: 24, Stride: 8, Concurrency: 4}
	want := local(t, p, text, opt)
	ctx, cancel := context.WithCancel(context.Background())
	var windows int64
	opt.Progress = func(pr eval.Progress) {
		windows = pr.Windows
		if pr.Windows == 20 {
			cancel()
		}
	}
	c1 := client(t, ts.URL, endpoint.Options{CacheDir: dir})
	part, err := remote(ctx, t, c1, p, text, opt)
	if !errors.Is(err, context.Canceled) || part.Tokens == 0 || part.Tokens >= want.Tokens {
		t.Fatalf("interrupted run: %v, %d tokens of %d", err, part.Tokens, want.Tokens)
	}
	opt.Progress = func(pr eval.Progress) { windows = pr.Windows }
	c2 := client(t, ts.URL, endpoint.Options{CacheDir: dir})
	got, err := remote(context.Background(), t, c2, p, text, opt)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("resumed report differs")
	}
	s1, s2 := c1.Stats(), c2.Stats()
	if s2.CacheHits < 20 || s1.Answered+s2.Answered != windows || s2.CacheHits+s2.Answered != windows {
		t.Errorf("first run %+v, second %+v, %d windows", s1, s2, windows)
	}
	before := n.Load()
	c3 := client(t, ts.URL, endpoint.Options{CacheDir: dir})
	if got, err = remote(context.Background(), t, c3, p, text, opt); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("third run: %v", err)
	}
	if s3 := c3.Stats(); s3.CacheHits != windows || n.Load() != before {
		t.Errorf("third run %+v asked the server %d times", s3, n.Load()-before)
	}
}
