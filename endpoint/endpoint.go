// Package endpoint scores text through an OpenAI-compatible server: vLLM,
// SGLang, TGI, a hosted API or xent serve. It implements eval.Scorer, so
// xent eval --endpoint windows and reports exactly as local evaluation
// does; only the forward passes happen elsewhere.
//
// Each window goes out as one request of token ids (the window's inputs
// and its last target), echo: true, max_tokens: 0, logprobs: K ≥ 1 and
// return_tokens_as_token_ids (package openai has the format), so the
// server neither tokenizes nor adds BOS, and answers with every prompt
// token's log-probability and its top K. The answer is checked before it
// is used: the echoed tokens must be the ones sent, every position past
// the first must carry a log-probability ≤ 0 above vLLM's −9999 floor and
// its top-K; anything else is refused, never reported. Position p's NLL is
// −token_logprobs[p+1], its top-1 the most probable entry of
// top_logprobs[p+1] (ties: the lowest id), its confidence that entry's
// exp(logprob): against xent serve these are the very float64s local
// evaluation computes, so the reports are equal to the last bit. Against a
// server that ignores return_tokens_as_token_ids (OpenAI's own), tokens
// are compared as decoded text: a top-1 counts as correct when its text is
// the target's.
//
// With ModePromptLogprobs it asks for vLLM's prompt_logprobs instead: the
// same numbers keyed by token id, with ranks.
//
// Requests time out (Options.Timeout) and are retried on a dropped
// connection, a timeout, an unreadable or truncated body, 429 and 5xx,
// Options.Retries times, waiting Backoff·2^attempt with jitter (half fixed,
// half random) and at least what a Retry-After header asks. Answers go
// into an on-disk cache (Options.CacheDir) keyed by the endpoint, the
// model, the token ids and every parameter of the request, written
// atomically, so an interrupted evaluation resumes where it stopped and
// a rerun sends nothing.
package endpoint

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/xent-dev/xent/loss"
	"github.com/xent-dev/xent/openai"
	"github.com/xent-dev/xent/tokenizer"
)

// Modes of asking for prompt log-probabilities.
const (
	ModeEcho           = "echo"            // echo + logprobs: OpenAI's, every compatible server's
	ModePromptLogprobs = "prompt_logprobs" // vLLM's extension
)

// Options configure a Client.
type Options struct {
	URL    string // the server, e.g. http://127.0.0.1:8000 (a trailing /v1 is dropped)
	Model  string // the served model's name
	APIKey string // sent as a bearer token; never printed
	// Logprobs is K, the alternatives asked for at each position; 0 means 1,
	// the least that top-1 accuracy and calibration need.
	Logprobs int
	Mode     string // ModeEcho (default) or ModePromptLogprobs
	// Tokenizer decodes tokens for the comparison with a server that
	// answers with text rather than token ids; nil refuses such answers.
	Tokenizer *tokenizer.Tokenizer
	Timeout   time.Duration // per request; 0: 5 minutes
	Retries   int           // after the first attempt; negative: none (0: 6)
	Backoff   time.Duration // the first retry's wait; 0: 500 ms (doubling, at most MaxBackoff)
	// MaxBackoff caps a wait; 0: 30 s.
	MaxBackoff time.Duration
	CacheDir   string       // "" keeps no cache
	HTTP       *http.Client // nil: a client of its own
	// Log, if not nil, is told of each retry (never the key).
	Log func(string)
}

// Stats count what a Client did.
type Stats struct {
	Requests  int64 // HTTP requests sent, retries included
	Retries   int64
	CacheHits int64 // windows answered from the cache
	Answered  int64 // windows answered by the server
}

// Client is a connection to one served model. It is safe for concurrent
// use.
type Client struct {
	opt                                    Options
	base                                   string
	requests, retries, cacheHits, answered atomic.Int64
}

// New checks opt and returns a client.
func New(opt Options) (*Client, error) {
	u := strings.TrimRight(opt.URL, "/")
	u = strings.TrimSuffix(u, "/v1")
	if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		return nil, fmt.Errorf("endpoint: %q is not an http:// or https:// URL", opt.URL)
	}
	if opt.Model == "" {
		return nil, errors.New("endpoint: the served model's name is required")
	}
	switch {
	case opt.Logprobs == 0:
		opt.Logprobs = 1
	case opt.Logprobs < 0:
		return nil, fmt.Errorf("endpoint: logprobs %d: top-1 accuracy and calibration need at least 1", opt.Logprobs)
	}
	switch opt.Mode {
	case "":
		opt.Mode = ModeEcho
	case ModeEcho, ModePromptLogprobs:
	default:
		return nil, fmt.Errorf("endpoint: mode %q: want %s or %s", opt.Mode, ModeEcho, ModePromptLogprobs)
	}
	if opt.Timeout == 0 {
		opt.Timeout = 5 * time.Minute
	}
	switch {
	case opt.Retries == 0:
		opt.Retries = 6
	case opt.Retries < 0:
		opt.Retries = 0
	}
	if opt.Backoff == 0 {
		opt.Backoff = 500 * time.Millisecond
	}
	if opt.MaxBackoff == 0 {
		opt.MaxBackoff = 30 * time.Second
	}
	if opt.HTTP == nil {
		opt.HTTP = &http.Client{}
	}
	return &Client{opt: opt, base: u}, nil
}

// SetTokenizer sets Options.Tokenizer, before the first Score.
func (c *Client) SetTokenizer(tok *tokenizer.Tokenizer) { c.opt.Tokenizer = tok }

// Stats returns the counts so far.
func (c *Client) Stats() Stats {
	return Stats{Requests: c.requests.Load(), Retries: c.retries.Load(), CacheHits: c.cacheHits.Load(), Answered: c.answered.Load()}
}

// MaxModelLen asks GET /v1/models for the model's max_model_len: the
// longest prompt the server takes; 0 if it does not say.
func (c *Client) MaxModelLen(ctx context.Context) (int, error) {
	body, err := c.do(ctx, http.MethodGet, "/v1/models", nil)
	if err != nil {
		return 0, err
	}
	var list openai.ModelList
	if err := json.Unmarshal(body, &list); err != nil {
		return 0, fmt.Errorf("endpoint: %s/v1/models: %w", c.base, err)
	}
	var names []string
	for _, m := range list.Data {
		if m.ID == c.opt.Model {
			return m.MaxModelLen, nil
		}
		names = append(names, m.ID)
	}
	return 0, fmt.Errorf("endpoint: %s serves no model %q (it serves %q)", c.base, c.opt.Model, names)
}

// Tokenizer fetches the served model's tokenizer from GET /tokenizer.json,
// which xent serve offers (vLLM does not: give its tokenizer locally).
func (c *Client) Tokenizer(ctx context.Context) (*tokenizer.Tokenizer, error) {
	raw, err := c.do(ctx, http.MethodGet, "/tokenizer.json", nil)
	if err != nil {
		return nil, fmt.Errorf("%w (the server offers no tokenizer.json; give the tokenizer locally)", err)
	}
	tok, err := tokenizer.LoadHF(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("endpoint: %s/tokenizer.json: %w", c.base, err)
	}
	return tok, nil
}

// answer is what a window's request returned, per prompt token k ≥ 1:
// its log-probability and the most probable token's id (-1 when known
// only as text that is not the prompt token's) and log-probability. It is
// what the cache holds.
type answer struct {
	Logprob    []float64 `json:"logprob"`
	Top        []int32   `json:"top"`
	TopLogprob []float64 `json:"top_logprob"`
}

// Score implements eval.Scorer: one request (or a cache hit) per window.
func (c *Client) Score(ctx context.Context, inputs, targets []int32, from int) ([]loss.Row, error) {
	L := len(inputs)
	if len(targets) != L || L == 0 || from < 0 || from >= L {
		return nil, fmt.Errorf("endpoint: a window of %d inputs, %d targets, scored from %d", L, len(targets), from)
	}
	for p := 0; p+1 < L; p++ {
		if inputs[p+1] != targets[p] {
			return nil, fmt.Errorf("endpoint: input %d is %d but target %d is %d: not a causal window", p+1, inputs[p+1], p, targets[p])
		}
	}
	prompt := append(append(make([]int32, 0, L+1), inputs...), targets[L-1])
	req := c.request(prompt)
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	key := c.cacheKey(body)
	a, ok := c.cached(key, L)
	if ok {
		c.cacheHits.Add(1)
	} else {
		if a, err = c.fetch(ctx, body, prompt); err != nil {
			return nil, err
		}
		c.answered.Add(1)
		if err := c.store(key, a); err != nil {
			return nil, err
		}
	}
	rows := make([]loss.Row, L-from)
	for p := from; p < L; p++ {
		rows[p-from] = loss.Row{NLL: -a.Logprob[p], Top: a.Top[p], TopProb: math.Exp(a.TopLogprob[p])}
	}
	return rows, nil
}

// request is the body that scores prompt.
func (c *Client) request(prompt []int32) openai.CompletionRequest {
	zero, k := 0, c.opt.Logprobs
	req := openai.CompletionRequest{Model: c.opt.Model, Prompt: openai.Prompt{IDs: [][]int32{prompt}}, Echo: true, MaxTokens: &zero}
	if c.opt.Mode == ModePromptLogprobs {
		req.PromptLogprobs = &k
		req.ReturnTokenIDs = true
	} else {
		req.Logprobs = &k
		req.ReturnTokensAsTokenIDs = true
	}
	return req
}

// fetch sends body, retrying what can be retried, and checks the answer.
func (c *Client) fetch(ctx context.Context, body []byte, prompt []int32) (answer, error) {
	raw, err := c.do(ctx, http.MethodPost, "/v1/completions", body, func(raw []byte) error {
		var resp openai.CompletionResponse
		if err := json.Unmarshal(raw, &resp); err != nil {
			return retryable{fmt.Errorf("the answer is not a completion: %w", err)}
		}
		return nil
	})
	if err != nil {
		return answer{}, err
	}
	var resp openai.CompletionResponse
	_ = json.Unmarshal(raw, &resp) // checked in do
	a, err := c.parse(resp, prompt)
	if err != nil {
		return answer{}, fmt.Errorf("endpoint: %s refused: %w", c.base, err)
	}
	return a, nil
}

// retryable marks an answer worth asking for again.
type retryable struct{ error }

// do sends one request, retrying on transport errors, timeouts, 429, 5xx
// and answers that check (if given) calls retryable.
func (c *Client) do(ctx context.Context, method, path string, body []byte, check ...func([]byte) error) ([]byte, error) {
	url := c.base + path
	var last error
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			if attempt > c.opt.Retries {
				return nil, fmt.Errorf("endpoint: %s %s: gave up after %d attempts: %w", method, url, attempt, last)
			}
			c.retries.Add(1)
			wait := c.backoff(attempt, last)
			if c.opt.Log != nil {
				c.opt.Log(fmt.Sprintf("endpoint: %s %s: %v; retrying in %v", method, path, last, wait.Round(time.Millisecond)))
			}
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(wait):
			}
		}
		raw, err := c.once(ctx, method, url, body)
		if err == nil {
			for _, f := range check {
				if err = f(raw); err != nil {
					break
				}
			}
		}
		if err == nil {
			return raw, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var r retryable
		if !errors.As(err, &r) {
			return nil, fmt.Errorf("endpoint: %s %s: %w", method, url, err)
		}
		last = err
	}
}

// statusError is a non-200 answer; wait is its Retry-After.
type statusError struct {
	status int
	msg    string
	wait   time.Duration
}

func (e *statusError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.status, e.msg) }

// once sends one request and reads the whole answer.
func (c *Client) once(ctx context.Context, method, url string, body []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opt.Timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.opt.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.opt.APIKey)
	}
	c.requests.Add(1)
	resp, err := c.opt.HTTP.Do(req)
	if err != nil {
		if ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, retryable{fmt.Errorf("no answer within %v", c.opt.Timeout)}
		}
		return nil, retryable{err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, retryable{fmt.Errorf("reading the answer: %w", err)}
	}
	if resp.StatusCode == http.StatusOK {
		return raw, nil
	}
	se := &statusError{status: resp.StatusCode, msg: strings.TrimSpace(string(raw))}
	if e, ok := openai.ParseError(raw); ok {
		se.msg = e.Message
	}
	if len(se.msg) > 300 {
		se.msg = se.msg[:300] + "…"
	}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
		se.wait = time.Duration(s) * time.Second
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
		return nil, retryable{se}
	}
	return nil, se
}

// backoff is the wait before retry attempt (≥ 1): Backoff·2^(attempt−1),
// at most MaxBackoff, half of it fixed and half random, and at least what
// the server's Retry-After asked.
func (c *Client) backoff(attempt int, last error) time.Duration {
	d := c.opt.Backoff << min(attempt-1, 30)
	if d <= 0 || d > c.opt.MaxBackoff {
		d = c.opt.MaxBackoff
	}
	d = d/2 + rand.N(d/2+1)
	var se *statusError
	if errors.As(last, &se) && se.wait > d {
		d = min(se.wait, c.opt.MaxBackoff)
	}
	return d
}

// parse checks a completion against the prompt sent and reads what
// scoring needs.
func (c *Client) parse(resp openai.CompletionResponse, prompt []int32) (answer, error) {
	if len(resp.Choices) != 1 {
		return answer{}, fmt.Errorf("%d choices for one prompt", len(resp.Choices))
	}
	ch := resp.Choices[0]
	n := len(prompt)
	a := answer{Logprob: make([]float64, n-1), Top: make([]int32, n-1), TopLogprob: make([]float64, n-1)}
	if c.opt.Mode == ModePromptLogprobs {
		return a, c.parsePromptLogprobs(ch, prompt, a)
	}
	lp := ch.Logprobs
	if lp == nil {
		return a, errors.New("no logprobs in the answer (does the server support echo with logprobs?)")
	}
	if len(lp.Tokens) != n || len(lp.TokenLogprobs) != n || len(lp.TopLogprobs) != n {
		return a, fmt.Errorf("the answer echoes %d tokens (%d log-probabilities, %d top-K objects) for a prompt of %d; echo with max_tokens 0 must return the prompt alone",
			len(lp.Tokens), len(lp.TokenLogprobs), len(lp.TopLogprobs), n)
	}
	for k, s := range lp.Tokens {
		if err := c.sameToken(s, prompt[k]); err != nil {
			return a, fmt.Errorf("echoed token %d: %w", k, err)
		}
	}
	for k := 1; k < n; k++ {
		if lp.TokenLogprobs[k] == nil {
			return a, fmt.Errorf("prompt token %d has no log-probability", k)
		}
		v, err := checkLogprob(*lp.TokenLogprobs[k], k)
		if err != nil {
			return a, err
		}
		top := lp.TopLogprobs[k]
		if len(top) == 0 {
			return a, fmt.Errorf("prompt token %d has no top_logprobs", k)
		}
		best := -1
		var bestID int32 = -1
		for i, e := range top {
			id, isID := openai.TokenID(e.Token)
			if !isID {
				id = -1
				if c.sameToken(e.Token, prompt[k]) == nil {
					id = prompt[k]
				}
			}
			if _, err := checkLogprob(e.Logprob, k); err != nil {
				return a, err
			}
			if best < 0 || e.Logprob > top[best].Logprob || e.Logprob == top[best].Logprob && id >= 0 && (bestID < 0 || id < bestID) {
				best, bestID = i, id
			}
		}
		if top[best].Logprob < v {
			return a, fmt.Errorf("prompt token %d: its log-probability %v is above the top-K's best %v", k, v, top[best].Logprob)
		}
		a.Logprob[k-1], a.Top[k-1], a.TopLogprob[k-1] = v, bestID, top[best].Logprob
	}
	return a, nil
}

// parsePromptLogprobs reads vLLM's prompt_logprobs into a.
func (c *Client) parsePromptLogprobs(ch openai.CompletionChoice, prompt []int32, a answer) error {
	n := len(prompt)
	if ch.PromptTokenIDs != nil && !equalIDs(ch.PromptTokenIDs, prompt) {
		return fmt.Errorf("prompt_token_ids %v are not the %d tokens sent", abbreviate(ch.PromptTokenIDs), n)
	}
	pl := ch.PromptLogprobs
	if len(pl) != n {
		return fmt.Errorf("%d prompt_logprobs for a prompt of %d tokens (does the server support prompt_logprobs?)", len(pl), n)
	}
	for k := 1; k < n; k++ {
		found, best := false, -1
		for i, e := range pl[k] {
			if _, err := checkLogprob(e.Logprob.Logprob, k); err != nil {
				return err
			}
			if e.ID == prompt[k] {
				found = true
				a.Logprob[k-1] = e.Logprob.Logprob
			}
			if best < 0 || e.Logprob.Logprob > pl[k][best].Logprob.Logprob || e.Logprob.Logprob == pl[k][best].Logprob.Logprob && e.ID < pl[k][best].ID {
				best = i
			}
		}
		if !found {
			return fmt.Errorf("prompt_logprobs[%d] lacks the prompt's token %d: not the tokens sent", k, prompt[k])
		}
		if _, err := checkLogprob(a.Logprob[k-1], k); err != nil {
			return err
		}
		a.Top[k-1], a.TopLogprob[k-1] = pl[k][best].ID, pl[k][best].Logprob.Logprob
	}
	return nil
}

// checkLogprob refuses a log-probability that cannot be scored: above 0,
// or at the floor vLLM clamps to, whose true value is unknown.
func checkLogprob(v float64, k int) (float64, error) {
	switch {
	case v > 0 || math.IsNaN(v):
		return 0, fmt.Errorf("prompt token %d: log-probability %v is not ≤ 0", k, v)
	case v <= openai.MinLogprob:
		return 0, fmt.Errorf("prompt token %d: log-probability %v is at the server's floor %v; the true value is lower and unknown", k, v, openai.MinLogprob)
	}
	return v, nil
}

// sameToken checks that s, a token as a server returns it, is id: as
// "token_id:N", or as text, which needs the tokenizer.
func (c *Client) sameToken(s string, id int32) error {
	if got, ok := openai.TokenID(s); ok {
		if got != id {
			return fmt.Errorf("the server returned token %d where %d was sent", got, id)
		}
		return nil
	}
	if c.opt.Tokenizer == nil {
		return fmt.Errorf("the server returned text %q, not token_id:N, and no tokenizer was given to compare it", s)
	}
	b, err := c.opt.Tokenizer.Token(id)
	if err != nil {
		return err
	}
	if want := strings.ToValidUTF8(string(b), "\uFFFD"); s != want {
		return fmt.Errorf("the server returned %q where token %d (%q) was sent", s, id, want)
	}
	return nil
}

func equalIDs(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func abbreviate(ids []int32) []int32 {
	if len(ids) > 8 {
		return ids[:8]
	}
	return ids
}

// cacheKey names a request's answer: a hash of the endpoint and the whole
// request body (model, token ids, mode, K).
func (c *Client) cacheKey(body []byte) string {
	h := sha256.New()
	h.Write([]byte(c.base))
	h.Write([]byte{0})
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

func (c *Client) cachePath(key string) string {
	return filepath.Join(c.opt.CacheDir, key[:2], key+".json")
}

// cached reads a window's answer of L positions from the cache; a file
// that does not read as one is a miss (and is rewritten).
func (c *Client) cached(key string, L int) (answer, bool) {
	if c.opt.CacheDir == "" {
		return answer{}, false
	}
	raw, err := os.ReadFile(c.cachePath(key))
	if err != nil {
		return answer{}, false
	}
	var a answer
	if json.Unmarshal(raw, &a) != nil || len(a.Logprob) != L || len(a.Top) != L || len(a.TopLogprob) != L {
		return answer{}, false
	}
	return a, true
}

// store writes a window's answer into the cache atomically: a temporary
// file in the same directory, then a rename.
func (c *Client) store(key string, a answer) error {
	if c.opt.CacheDir == "" {
		return nil
	}
	path := c.cachePath(key)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("endpoint: cache: %w", err)
	}
	raw, err := json.Marshal(a)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("endpoint: cache: %w", err)
	}
	_, werr := f.Write(raw)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(f.Name(), path)
	}
	if werr != nil {
		os.Remove(f.Name())
		return fmt.Errorf("endpoint: cache: %w", werr)
	}
	return nil
}
