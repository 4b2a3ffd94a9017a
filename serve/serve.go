// Package serve answers OpenAI-compatible HTTP requests with a model: the
// server behind xent serve. It scores prompts: /v1/completions with echo
// and logprobs (top-K), max_tokens 0, and vLLM's prompt_logprobs, in the
// wire format of package openai; /v1/models; vLLM's /tokenize and
// /detokenize. max_tokens > 0 generates with package sample (temperature,
// top_p, top_k, min_p, the penalties, seed, stop, n; each generated
// token's log-probability under the raw model and, under logprobs K, the
// K most probable tokens'), with continuous batching (decode.go): every
// choice in flight has its own KV cache, and one step feeds each its next
// token in a single pass, so concurrent generations share the reads of
// the weights, each answer still the one its request gets alone. stream:
// true answers in server-sent events (stream.go). /v1/chat/completions (chat.go) renders the messages with
// the model's chat template (chattemplate.go) and answers as a completion
// of the rendered prompt's token ids would, in the chat format.
//
// A prompt token's log-probability is computed by eval.Batcher, the path
// every xent eval window takes, so it equals xent eval's for the same
// tokens to the last bit: token_logprobs[k] = −NLL of token k given the
// tokens before it, null for k = 0 as in OpenAI's and vLLM's answers;
// top_logprobs[k] holds the token itself, then the K most probable (ties:
// the lower id first), each logits[c] − LSE; every value is clamped at
// −9999 as vLLM and OpenAI do. A scoring-only request (max_tokens 0) takes
// prompts of up to the model's context + 1 tokens, since the last token's
// own prediction is never computed: a window of the full context fits.
//
// Concurrent requests share forward passes: one goroutine owns the model
// and packs whatever prompts are waiting, up to Options.BatchTokens, into
// one padded batch (Options.NoBatch: one prompt per pass); between those
// passes it steps the generations, up to Options.DecodeBatch sequences a
// step, their KV caches within Options.KVBytes. The queue is
// bounded (Options.Queue prompts): a request that finds it full is
// answered 429 at once rather than left to wait. Each request has a
// deadline (Options.Deadline); a panic in a request answers 500 and
// leaves the server running; nothing in a request names a file.
package serve

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/xent-dev/xent/eval"
	"github.com/xent-dev/xent/loss"
	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/modeldir"
	"github.com/xent-dev/xent/openai"
	"github.com/xent-dev/xent/sample"
	"github.com/xent-dev/xent/tokenizer"
)

// Options configure a Server; zero values take the defaults named.
type Options struct {
	Name        string        // the model's id in requests and /v1/models; "": the model path's base name
	APIKey      string        // "" serves without authentication; else every request needs "Authorization: Bearer APIKey"
	MaxBody     int64         // request bytes; 0: 4 MiB
	MaxPrompts  int           // prompts in one request; 0: 64
	MaxLogprobs int           // logprobs and prompt_logprobs; 0: 20 (vLLM's max_logprobs)
	MaxTokens   int           // max_tokens of a generation; 0: 512
	MaxN        int           // n, choices per prompt; 0: 8
	Queue       int           // prompts waiting for the model before 429; 0: 256
	Deadline    time.Duration // per request; 0: 5 minutes
	BatchTokens int           // tokens in one forward pass (B·T); 0: 8 × the model's context
	// DecodeBatch is the most generated sequences (choices) decoded
	// together in one step, each with its own KV cache, fewer where their
	// caches would pass KVBytes. 0: 8. A batched step's matrix products
	// stream each weight matrix once for all its sequences
	// (gemm.SgemvRows), as a one-sequence step does for one.
	DecodeBatch int
	// KVBytes bounds the KV caches of the sequences decoded together; 0:
	// 1 GiB. One sequence is always allowed.
	KVBytes int64
	NoBatch bool // one prompt per forward pass, one sequence per decoding step
	Threads int  // 0: GOMAXPROCS
	// Log, if not nil, gets one line per request: method, path, status,
	// prompt tokens, latency; JSONLog makes it a JSON object.
	Log     io.Writer
	JSONLog bool
}

// Server serves one model. Close stops it.
type Server struct {
	opt     Options
	m       *model.Model
	tok     *tokenizer.Tokenizer
	addBOS  bool
	bos     int32
	created int64
	queue   chan *work
	done    chan struct{}
	closing sync.Once
	gen     *sample.Generator // chooses tokens; used by the loop only
	dec     decoding          // continuous batching; the loop's
	// chatTmpl renders /v1/chat/completions' messages; nil: no chat.
	chatTmpl *chatTemplate
	logMu    sync.Mutex
	// Passes and Scored count forward passes and prompts scored; steps
	// and stepped the decoding steps and the sequences they stepped.
	passes, scored atomic.Int64
	steps, stepped atomic.Int64
	beforeScore    func() // a test's hook, run by each completions request
}

// work is one prompt for the model: score its tokens 1..n−1.
type work struct {
	ctx         context.Context
	scorePrompt bool // a generation's prompt is scored too (echo with logprobs, prompt_logprobs)
	ids         []int32
	rank        bool
	rows        []loss.Row    // [n−1]
	top         [][]candidate // [n−1][≤K] the K most probable tokens at each position
	k           int
	err         error
	ready       chan struct{}
	gen         *generation // generate after the prompt; nil: score only
}

// candidate is one of a position's most probable tokens.
type candidate struct {
	id    int32
	logit float32
}

// New returns a server of the loaded model p, its goroutine started.
func New(p *modeldir.Pretrained, opt Options) (*Server, error) {
	if opt.Name == "" {
		opt.Name = filepath.Base(filepath.Clean(p.Dir))
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&opt.MaxPrompts, 64)
	def(&opt.MaxLogprobs, 20)
	def(&opt.MaxTokens, 512)
	def(&opt.MaxN, 8)
	def(&opt.Queue, 256)
	def(&opt.BatchTokens, 8*p.Model.MaxSeqLen())
	if opt.MaxBody == 0 {
		opt.MaxBody = 4 << 20
	}
	if opt.Deadline == 0 {
		opt.Deadline = 5 * time.Minute
	}
	if opt.DecodeBatch == 0 {
		opt.DecodeBatch = 8
	}
	if opt.KVBytes == 0 {
		opt.KVBytes = 1 << 30
	}
	if opt.MaxPrompts < 0 || opt.MaxLogprobs < 0 || opt.MaxTokens < 0 || opt.MaxN < 0 || opt.Queue < 0 || opt.BatchTokens < 0 || opt.MaxBody < 0 || opt.Deadline < 0 || opt.DecodeBatch < 0 || opt.KVBytes < 0 {
		return nil, errors.New("serve: every limit must be ≥ 0 (0: the default)")
	}
	bos := int32(-1)
	if p.AddBOS {
		b, err := p.BOS()
		if err != nil {
			return nil, fmt.Errorf("serve: the vocabulary puts BOS before a text, and %w", err)
		}
		bos = b
	}
	chatTmpl, err := loadChatTemplate(p.Dir)
	if err != nil {
		return nil, err
	}
	s := &Server{opt: opt, m: p.Model, chatTmpl: chatTmpl, tok: p.Tokenizer, addBOS: p.AddBOS, bos: bos, created: time.Now().Unix(),
		queue: make(chan *work, opt.Queue), done: make(chan struct{}), gen: sample.NewGenerator(p.Model)}
	s.gen.Stop = p.EOSTokenIDs
	for id := p.Tokenizer.VocabSize(); id < p.Model.VocabSize(); id++ {
		s.gen.Never = append(s.gen.Never, int32(id)) // padding rows: no text
	}
	seqs := opt.DecodeBatch
	if opt.NoBatch {
		seqs = 1
	}
	seqs = int(max(1, min(int64(seqs), opt.KVBytes/max(1, p.Model.KVCacheBytes()))))
	s.dec = decoding{bd: model.NewBatchDecoder(p.Model, seqs), logits: make([]float32, seqs*p.Model.VocabSize())}
	go s.loop(eval.NewBatcher(p.Model, opt.Threads, true))
	return s, nil
}

// Close stops the model's goroutine; prompts still queued are answered
// with an error.
func (s *Server) Close() { s.closing.Do(func() { close(s.done) }) }

// Name is the model's id in requests.
func (s *Server) Name() string { return s.opt.Name }

// Stats returns the forward passes run and the prompts scored.
func (s *Server) Stats() (passes, prompts int64) { return s.passes.Load(), s.scored.Load() }

// DecodeStats returns the decoding steps run and the tokens they fed, all
// sequences together: tokens/steps is the mean batch of continuous
// batching.
func (s *Server) DecodeStats() (steps, tokens int64) { return s.steps.Load(), s.stepped.Load() }

// loop owns the model: it takes the waiting prompts, packs them into
// batches and scores them, and between those passes steps the generations
// in flight (decode.go). It waits for a request only when nothing is
// being decoded.
func (s *Server) loop(b *eval.Batcher) {
	var next *work
	for {
		w := next
		next = nil
		if w == nil && s.dec.busy() {
			select {
			case w = <-s.queue:
			case <-s.done:
				s.shutdown()
				return
			default:
			}
		} else if w == nil {
			select {
			case w = <-s.queue:
			case <-s.done:
				s.shutdown()
				return
			}
		}
		if w != nil {
			batch, T := []*work{w}, len(w.ids)-1
		fill:
			for !s.opt.NoBatch && w.gen == nil {
				select {
				case x := <-s.queue:
					if t := max(T, len(x.ids)-1); x.gen != nil || t*(len(batch)+1) > s.opt.BatchTokens {
						next = x // the next batch's first
						break fill
					}
					batch, T = append(batch, x), max(T, len(x.ids)-1)
				default:
					break fill
				}
			}
			if w.gen != nil && !w.scorePrompt {
				batch = nil // nothing to score: its prompt is fed to its decoder
			}
			s.run(b, batch, T)
			if w.gen != nil {
				if err := w.failed(); err != nil {
					w.err = err
					close(w.ready)
				} else {
					s.start(w)
				}
			}
		}
		s.admit()
		if len(s.dec.active) > 0 {
			s.step()
		}
	}
}

// shutdown answers what is queued and in flight: the server is closing.
func (s *Server) shutdown() {
	err := errors.New("the server is shutting down")
	s.fail(err)
	s.failDecoding(err)
}

// fail answers every queued prompt with err.
func (s *Server) fail(err error) {
	for {
		select {
		case w := <-s.queue:
			w.err = err
			close(w.ready)
		default:
			return
		}
	}
}

// run scores a batch of prompts padded to T inputs; a prompt whose
// request has gone is left out.
func (s *Server) run(b *eval.Batcher, batch []*work, T int) {
	live := batch[:0]
	for _, w := range batch {
		if err := w.ctx.Err(); err != nil {
			w.err = err
			if w.gen == nil {
				close(w.ready) // a generation's is the loop's to close
			}
			continue
		}
		live = append(live, w)
	}
	if len(live) == 0 || T == 0 {
		for _, w := range live {
			if w.gen == nil {
				close(w.ready)
			}
		}
		return
	}
	defer func() {
		if r := recover(); r != nil {
			err := fmt.Errorf("internal error: %v", r)
			for _, w := range live {
				w.err = err
			}
		}
		for _, w := range live {
			if w.gen == nil {
				close(w.ready) // a generation's closes when it is done
			}
		}
	}()
	inputs := make([]int32, len(live)*T)
	n := make([]int, len(live))
	for i, w := range live {
		n[i] = len(w.ids) - 1
		copy(inputs[i*T:], w.ids[:n[i]])
		w.rows = make([]loss.Row, n[i])
		w.top = make([][]candidate, n[i])
	}
	s.passes.Add(1)
	err := b.Score(inputs, len(live), T, n, func(i, p int) int32 { return live[i].ids[p+1] },
		func(i, p int, r loss.Row, logits []float32) {
			w := live[i]
			w.rows[p] = r
			w.top[p] = topK(logits, w.k)
		})
	s.scored.Add(int64(len(live)))
	for _, w := range live {
		w.err = err
	}
}

// topK is the k largest logits, largest first, the lower id first among
// equals (sample.TopIDs).
func topK(logits []float32, k int) []candidate {
	ids := sample.TopIDs(logits, k)
	if ids == nil {
		return nil
	}
	top := make([]candidate, len(ids))
	for i, id := range ids {
		top[i] = candidate{id, logits[id]}
	}
	return top
}

// Handler is the HTTP interface: the routes, authentication, panic
// recovery and the request log.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/completions", s.completions)
	mux.HandleFunc("/v1/chat/completions", s.chat)
	mux.HandleFunc("/v1/models", s.models)
	mux.HandleFunc("/tokenize", s.tokenize)
	mux.HandleFunc("/detokenize", s.detokenize)
	mux.HandleFunc("/tokenizer.json", s.tokenizerJSON)
	mux.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "NotFoundError", "", fmt.Sprintf("no route %s %s (xent serve has /v1/completions, /v1/chat/completions, /v1/models, /tokenize, /detokenize, /tokenizer.json)", r.Method, r.URL.Path))
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			if p := recover(); p != nil {
				if !rec.wrote {
					writeError(rec, http.StatusInternalServerError, "InternalServerError", "", fmt.Sprintf("internal error: %v", p))
				}
				s.logf("panic serving %s %s: %v\n%s", r.Method, r.URL.Path, p, debug.Stack())
			}
			s.logRequest(r, rec, time.Since(start))
		}()
		if s.opt.APIKey != "" && r.URL.Path != "/health" {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(s.opt.APIKey)) != 1 {
				writeError(rec, http.StatusUnauthorized, "AuthenticationError", "", "a valid API key is required: Authorization: Bearer KEY")
				return
			}
		}
		ctx, cancel := context.WithTimeout(r.Context(), s.opt.Deadline)
		defer cancel()
		mux.ServeHTTP(rec, r.WithContext(ctx))
	})
}

// recorder remembers the status and the tokens a request scored, for the
// log line.
type recorder struct {
	http.ResponseWriter
	status int
	wrote  bool
	tokens int
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(b)
}

func (s *Server) logRequest(r *http.Request, rec *recorder, d time.Duration) {
	if s.opt.Log == nil {
		return
	}
	ms := float64(d.Microseconds()) / 1000
	if s.opt.JSONLog {
		line, _ := json.Marshal(map[string]any{"time": time.Now().UTC().Format(time.RFC3339Nano), "method": r.Method, "path": r.URL.Path,
			"status": rec.status, "tokens": rec.tokens, "ms": ms, "remote": r.RemoteAddr})
		s.logf("%s", line)
		return
	}
	s.logf("%s %s %d %d tokens %.1f ms", r.Method, r.URL.Path, rec.status, rec.tokens, ms)
}

func (s *Server) logf(format string, args ...any) {
	if s.opt.Log == nil {
		return
	}
	s.logMu.Lock()
	defer s.logMu.Unlock()
	fmt.Fprintf(s.opt.Log, format+"\n", args...)
}

// writeJSON answers v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// writeError answers in OpenAI's error shape.
func writeError(w http.ResponseWriter, status int, typ, param, msg string) {
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, status, openai.NewError(status, typ, param, msg))
}

// badRequest is a 400 naming the parameter at fault.
type badRequest struct{ param, msg string }

func (e *badRequest) Error() string { return e.msg }

func bad(param, format string, args ...any) error {
	return &badRequest{param, fmt.Sprintf(format, args...)}
}

func (s *Server) models(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		writeError(w, http.StatusMethodNotAllowed, "BadRequestError", "", "use GET /v1/models")
		return
	}
	writeJSON(w, http.StatusOK, openai.ModelList{Object: "list", Data: []openai.ModelCard{{ID: s.opt.Name, Object: "model", Created: s.created,
		OwnedBy: "xent", Root: s.opt.Name, MaxModelLen: s.m.MaxSeqLen()}}})
}

// checkModel refuses a request for another model; "" is this one, as in
// vLLM.
func (s *Server) checkModel(w http.ResponseWriter, name string) bool {
	if name != "" && name != s.opt.Name {
		writeError(w, http.StatusNotFound, "NotFoundError", "model", fmt.Sprintf("The model `%s` does not exist (this server serves %q).", name, s.opt.Name))
		return false
	}
	return true
}

// tokenizerJSON answers GET /tokenizer.json (xent's, not vLLM's) with the
// model's tokenizer as Hugging Face's tokenizer.json, so that xent eval
// --endpoint can tokenize as the server does without a local copy.
func (s *Server) tokenizerJSON(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		writeError(w, http.StatusMethodNotAllowed, "BadRequestError", "", "use GET /tokenizer.json")
		return
	}
	var b bytes.Buffer
	if err := s.tok.SaveHF(&b); err != nil {
		writeError(w, http.StatusInternalServerError, "InternalServerError", "", err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b.Bytes())
}

func (s *Server) tokenize(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeError(w, http.StatusMethodNotAllowed, "BadRequestError", "", "use POST /tokenize")
		return
	}
	req, err := openai.DecodeTokenizeRequest(r.Body, s.opt.MaxBody)
	if err != nil {
		writeError(w, http.StatusBadRequest, "BadRequestError", "", err.Error())
		return
	}
	if !s.checkModel(w, req.Model) {
		return
	}
	ids := s.encode(req.Prompt, req.AddSpecialTokens == nil || *req.AddSpecialTokens)
	resp := openai.TokenizeResponse{Count: len(ids), MaxModelLen: s.m.MaxSeqLen(), Tokens: ids}
	if req.ReturnTokenStrs {
		for _, id := range ids {
			resp.TokenStrs = append(resp.TokenStrs, s.tokenText(id))
		}
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) detokenize(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeError(w, http.StatusMethodNotAllowed, "BadRequestError", "", "use POST /detokenize")
		return
	}
	req, err := openai.DecodeDetokenizeRequest(r.Body, s.opt.MaxBody)
	if err != nil {
		writeError(w, http.StatusBadRequest, "BadRequestError", "", err.Error())
		return
	}
	if !s.checkModel(w, req.Model) {
		return
	}
	if err := s.checkIDs(req.Tokens, "tokens"); err != nil {
		writeError(w, http.StatusBadRequest, "BadRequestError", "tokens", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, openai.DetokenizeResponse{Prompt: s.decode(req.Tokens)})
}

// encode tokenizes a text prompt, after BOS when the vocabulary adds one
// and special tokens are asked for (vLLM's add_special_tokens, default
// true); special tokens in the text stay text.
func (s *Server) encode(text string, special bool) []int32 {
	ids := s.tok.Encode([]byte(text))
	if special && s.addBOS {
		ids = append([]int32{s.bos}, ids...)
	}
	return ids
}

// tokenText is a token as vLLM writes it: its text, invalid UTF-8
// replaced by U+FFFD.
func (s *Server) tokenText(id int32) string {
	b, err := s.tok.Token(id)
	if err != nil {
		return ""
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

func (s *Server) decode(ids []int32) string {
	b, err := s.tok.Decode(ids)
	if err != nil {
		return ""
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// checkIDs refuses ids outside the tokenizer's vocabulary.
func (s *Server) checkIDs(ids []int32, param string) error {
	V := s.tok.VocabSize()
	for i, id := range ids {
		if id < 0 || int(id) >= V {
			return fmt.Errorf("%s: token %d at position %d is outside the vocabulary [0, %d)", param, id, i, V)
		}
	}
	return nil
}

func (s *Server) completions(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeError(w, http.StatusMethodNotAllowed, "BadRequestError", "", "use POST /v1/completions")
		return
	}
	req, err := openai.DecodeCompletionRequest(r.Body, s.opt.MaxBody)
	if err != nil {
		writeError(w, http.StatusBadRequest, "BadRequestError", "", err.Error())
		return
	}
	if !s.checkModel(w, req.Model) {
		return
	}
	if s.beforeScore != nil {
		s.beforeScore()
	}
	prompts, err := s.check(req)
	if err != nil {
		writeBad(w, err)
		return
	}
	gen, err := s.generation(req)
	if err != nil {
		writeBad(w, err)
		return
	}
	works, ok := s.enqueue(w, r, req, prompts, gen)
	if !ok {
		return
	}
	if req.Stream {
		s.stream(w, r, req, works)
		return
	}
	if !s.wait(w, r, works) {
		return
	}
	resp := openai.CompletionResponse{ID: fmt.Sprintf("cmpl-%x", time.Now().UnixNano()), Object: "text_completion", Created: time.Now().Unix(), Model: s.opt.Name}
	for i, wk := range works {
		text := s.promptText(req, i, wk)
		resp.Usage.PromptTokens += len(wk.ids)
		if wk.gen != nil {
			for j, out := range wk.gen.out {
				c := openai.CompletionChoice{Index: len(resp.Choices), Text: out.text, FinishReason: &wk.gen.out[j].finish}
				if req.Echo {
					c.Text = text + out.text
				}
				if req.Logprobs != nil {
					c.Logprobs = s.generatedLogprobs(wk, out, req.Echo, *req.Logprobs, req.ReturnTokensAsTokenIDs)
				}
				if req.PromptLogprobs != nil {
					c.PromptLogprobs = s.promptLogprobs(wk, *req.PromptLogprobs)
				}
				if req.ReturnTokenIDs {
					c.PromptTokenIDs = wk.ids
				}
				resp.Choices = append(resp.Choices, c)
				resp.Usage.CompletionTokens += len(out.tokens)
			}
			continue
		}
		c := s.scoredChoice(req, i, text, wk)
		if req.ReturnTokenIDs {
			c.PromptTokenIDs = wk.ids
		}
		resp.Choices = append(resp.Choices, c)
	}
	resp.Usage.TotalTokens = resp.Usage.PromptTokens + resp.Usage.CompletionTokens
	writeJSON(w, http.StatusOK, resp)
}

// writeBad answers a badRequest with a 400 naming its parameter.
func writeBad(w http.ResponseWriter, err error) {
	var b *badRequest
	if !errors.As(err, &b) {
		b = &badRequest{msg: err.Error()}
	}
	writeError(w, http.StatusBadRequest, "BadRequestError", b.param, b.msg)
}

// enqueue queues a request's prompts for the model, each with the
// generation gen asks for (nil: scoring only), and returns their work;
// false when the queue is full, answered 429.
func (s *Server) enqueue(w http.ResponseWriter, r *http.Request, req *openai.CompletionRequest, prompts [][]int32, gen *generation) ([]*work, bool) {
	k := 0
	if req.Logprobs != nil {
		k = *req.Logprobs
	}
	if req.PromptLogprobs != nil {
		k = max(k, *req.PromptLogprobs)
	}
	works := make([]*work, len(prompts))
	for i, ids := range prompts {
		works[i] = &work{ctx: r.Context(), ids: ids, k: k, ready: make(chan struct{}),
			scorePrompt: req.PromptLogprobs != nil || req.Echo && req.Logprobs != nil}
		if rec, ok := w.(*recorder); ok {
			rec.tokens += len(ids)
		}
		if gen != nil {
			g := *gen // each prompt generates its own choices
			if req.Stream {
				g.events = make(chan tokenEvent, g.n*(g.maxTokens+1))
			}
			works[i].gen = &g
		}
		if len(ids) < 2 && gen == nil {
			close(works[i].ready) // nothing to compute
			continue
		}
		select {
		case s.queue <- works[i]:
		default:
			// The prompts queued before are dropped: the loop skips a
			// request whose context has ended, as this one's does on return.
			writeError(w, http.StatusTooManyRequests, "RateLimitError", "", fmt.Sprintf("the server's queue of %d prompts is full; retry later", s.opt.Queue))
			return nil, false
		}
	}
	return works, true
}

// wait waits for every work to be done; false when the request ended
// first (504 past the deadline) or one failed (500), answered.
func (s *Server) wait(w http.ResponseWriter, r *http.Request, works []*work) bool {
	for _, wk := range works {
		select {
		case <-wk.ready:
		case <-r.Context().Done():
			if errors.Is(r.Context().Err(), context.DeadlineExceeded) {
				writeError(w, http.StatusGatewayTimeout, "TimeoutError", "", fmt.Sprintf("the request took longer than the server's deadline of %v", s.opt.Deadline))
			}
			return false
		}
		if wk.err != nil {
			writeError(w, http.StatusInternalServerError, "InternalServerError", "", wk.err.Error())
			return false
		}
	}
	return true
}

// promptText is prompt i as an echo gives it back: the request's own text,
// or its token ids decoded.
func (s *Server) promptText(req *openai.CompletionRequest, i int, wk *work) string {
	if req.Prompt.Texts != nil {
		return req.Prompt.Texts[i]
	}
	return s.decode(wk.ids)
}

// scoredChoice answers a prompt that was scored, not continued: its text,
// finish reason "length", and the logprobs and prompt_logprobs the request
// asked for.
func (s *Server) scoredChoice(req *openai.CompletionRequest, index int, text string, wk *work) openai.CompletionChoice {
	length := "length"
	c := openai.CompletionChoice{Index: index, Text: text, FinishReason: &length}
	if req.Logprobs != nil {
		c.Logprobs = s.logprobs(wk, *req.Logprobs, req.ReturnTokensAsTokenIDs)
	}
	if req.PromptLogprobs != nil {
		c.PromptLogprobs = s.promptLogprobs(wk, *req.PromptLogprobs)
	}
	return c
}

// check validates a completion request against what xent serve does and
// its limits, and returns its prompts as token ids.
func (s *Server) check(req *openai.CompletionRequest) ([][]int32, error) {
	maxTokens := 16 // OpenAI's default
	if req.MaxTokens != nil {
		maxTokens = *req.MaxTokens
	}
	switch {
	case maxTokens < 0 || maxTokens > s.opt.MaxTokens:
		return nil, bad("max_tokens", "max_tokens %d is outside [0, %d]", maxTokens, s.opt.MaxTokens)
	case maxTokens == 0 && !req.Echo && req.PromptLogprobs == nil:
		return nil, bad("echo", "max_tokens 0 returns nothing without echo: true or prompt_logprobs")
	case req.N != nil && (*req.N < 1 || *req.N > s.opt.MaxN):
		return nil, bad("n", "n %d is outside [1, %d]", *req.N, s.opt.MaxN)
	case req.N != nil && *req.N > 1 && maxTokens == 0:
		return nil, bad("n", "n %d: choices beyond the first need generation (max_tokens > 0)", *req.N)
	case req.Logprobs != nil && (*req.Logprobs < 0 || *req.Logprobs > s.opt.MaxLogprobs):
		return nil, bad("logprobs", "logprobs %d is outside [0, %d]", *req.Logprobs, s.opt.MaxLogprobs)
	case req.PromptLogprobs != nil && (*req.PromptLogprobs < 0 || *req.PromptLogprobs > s.opt.MaxLogprobs):
		return nil, bad("prompt_logprobs", "prompt_logprobs %d is outside [0, %d]", *req.PromptLogprobs, s.opt.MaxLogprobs)
	case req.Prompt.Len() > s.opt.MaxPrompts:
		return nil, bad("prompt", "%d prompts in one request; at most %d", req.Prompt.Len(), s.opt.MaxPrompts)
	}
	special := req.AddSpecialTokens == nil || *req.AddSpecialTokens
	prompts := req.Prompt.IDs
	for _, t := range req.Prompt.Texts {
		prompts = append(prompts, s.encode(t, special))
	}
	// Scoring only: the last token's prediction is never computed, so a
	// prompt may be one token longer than the context. A generation's
	// last token is never fed back either.
	limit := s.m.MaxSeqLen() + 1
	if maxTokens > 0 {
		limit = s.m.MaxSeqLen() + 1 - maxTokens
	}
	for i, ids := range prompts {
		if len(ids) == 0 {
			return nil, bad("prompt", "prompt %d is empty", i)
		}
		if len(ids) > limit {
			return nil, bad("prompt", "This model's maximum context length is %d tokens (%d for scoring only). However, prompt %d has %d tokens and max_tokens is %d.", s.m.MaxSeqLen(), s.m.MaxSeqLen()+1, i, len(ids), maxTokens)
		}
		if err := s.checkIDs(ids, fmt.Sprintf("prompt %d", i)); err != nil {
			return nil, bad("prompt", "%v", err)
		}
	}
	return prompts, nil
}

// clamp is vLLM's floor under a returned log-probability.
func clamp(v float64) float64 { return max(v, openai.MinLogprob) }

// tokenName writes a token as text or as token_id:N.
func (s *Server) tokenName(id int32, asID bool) string {
	if asID {
		return fmt.Sprintf("%s%d", openai.TokenIDPrefix, id)
	}
	return s.tokenText(id)
}

// logprobs is a prompt's echo logprobs: the token itself then the top k
// at each position past the first.
func (s *Server) logprobs(wk *work, k int, asID bool) *openai.CompletionLogprobs {
	n := len(wk.ids)
	lp := &openai.CompletionLogprobs{TextOffset: make([]int, n), TokenLogprobs: make([]*float64, n), Tokens: make([]string, n), TopLogprobs: make([]openai.TopLogprobs, n)}
	off := 0
	for i, id := range wk.ids {
		name := s.tokenName(id, asID)
		lp.Tokens[i], lp.TextOffset[i] = name, off
		off += utf8.RuneCountInString(name) // Python's len, as vLLM counts
		if i == 0 {
			continue
		}
		r := wk.rows[i-1]
		v := clamp(-r.NLL)
		lp.TokenLogprobs[i] = &v
		// logits[c] − LSE, as RowScorer computes NLL and TopProb: a
		// client's exp of the top-1's is TopProb to the bit.
		top := openai.TopLogprobs{{Token: name, Logprob: v}}
		for _, c := range wk.top[i-1][:min(k, len(wk.top[i-1]))] {
			if c.id != id {
				top = append(top, openai.TokenLogprob{Token: s.tokenName(c.id, asID), Logprob: clamp(float64(c.logit) - r.LSE)})
			}
		}
		lp.TopLogprobs[i] = top
	}
	return lp
}

// promptLogprobs is vLLM's prompt_logprobs for one prompt.
func (s *Server) promptLogprobs(wk *work, k int) []openai.PromptLogprob {
	out := make([]openai.PromptLogprob, len(wk.ids))
	for i := 1; i < len(wk.ids); i++ {
		r, id := wk.rows[i-1], wk.ids[i]
		rank := r.Rank
		text := s.tokenText(id)
		pl := openai.PromptLogprob{{ID: id, Logprob: openai.Logprob{Logprob: clamp(-r.NLL), Rank: &rank, DecodedToken: &text}}}
		for j, c := range wk.top[i-1][:min(k, len(wk.top[i-1]))] {
			if c.id != id {
				rank, text := j+1, s.tokenText(c.id)
				pl = append(pl, openai.IDLogprob{ID: c.id, Logprob: openai.Logprob{Logprob: clamp(float64(c.logit) - r.LSE), Rank: &rank, DecodedToken: &text}})
			}
		}
		out[i] = pl
	}
	return out
}
