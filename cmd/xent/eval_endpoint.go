package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/xent-dev/xent/endpoint"
	"github.com/xent-dev/xent/eval"
	"github.com/xent-dev/xent/internal/provenance"
	"github.com/xent-dev/xent/modeldir"
	"github.com/xent-dev/xent/tokenizer"
)

// apiKeyEnv name the environment variables xent eval --endpoint reads its
// API key from, the first set; a key is never taken from a flag, which
// other users could read in the process list, and never printed.
var apiKeyEnv = []string{"XENT_API_KEY", "OPENAI_API_KEY"}

// endpointFlags are xent eval's flags for a model served elsewhere.
type endpointFlags struct {
	url, tokenizer, cache, mode, addBOS string
	concurrency, logprobs, retries      int
	timeout                             time.Duration
}

func (e *endpointFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&e.url, "endpoint", "", "score through an OpenAI-compatible server at this URL (vLLM, SGLang, TGI, xent serve); --model is then the served model's name, the API key comes from $XENT_API_KEY or $OPENAI_API_KEY")
	fl.StringVar(&e.tokenizer, "tokenizer", "", "with --endpoint: the served model's tokenizer (a model directory, tokenizer.json, GGUF file or built-in name), used here to send token ids; a directory's token_counts.npy gives the frequency breakdown (default: the server's GET /tokenizer.json, which xent serve offers)")
	fl.StringVar(&e.addBOS, "add-bos", "", "with --endpoint and --window llamacpp: yes or no, whether the vocabulary puts BOS before a text (llama.cpp's add_bos)")
	fl.IntVar(&e.concurrency, "concurrency", 0, "with --endpoint: requests in flight (0: 8)")
	fl.IntVar(&e.logprobs, "logprobs", 0, "with --endpoint: top-K alternatives asked for at each position (0: 1, what top-1 accuracy and calibration need)")
	fl.StringVar(&e.mode, "logprobs-field", "", "with --endpoint: echo (echo + logprobs, any OpenAI-compatible server; the default) or prompt_logprobs (vLLM's)")
	fl.IntVar(&e.retries, "retries", 0, "with --endpoint: retries of a request after a dropped connection, a timeout, 429 or 5xx (0: 6; -1: none)")
	fl.DurationVar(&e.timeout, "request-timeout", 0, "with --endpoint: per-request timeout (0: 5m)")
	fl.StringVar(&e.cache, "cache", "", "with --endpoint: a directory of answered windows, so an interrupted evaluation resumes and a rerun sends nothing")
}

// unused refuses endpoint flags without --endpoint.
func (e *endpointFlags) unused() error {
	if e.tokenizer != "" || e.cache != "" || e.mode != "" || e.addBOS != "" || e.concurrency != 0 || e.logprobs != 0 || e.retries != 0 || e.timeout != 0 {
		return errors.New("eval: --tokenizer, --cache, --concurrency, --logprobs, --logprobs-field, --retries, --request-timeout and --add-bos go with --endpoint")
	}
	return nil
}

// settings are what the report records of the endpoint (never the key).
func (e *endpointFlags) settings() map[string]any {
	return map[string]any{"url": e.url, "logprobs": max(1, e.logprobs), "logprobs_field": e.mode}
}

// evaluator returns an evaluator whose windows the server scores; after
// prints what the client did.
func (e *endpointFlags) evaluator(cmd *cobra.Command, f *evalFlags, opt eval.Options, src *provenance.Source) (*eval.Evaluator, func(), error) {
	logw := cmd.ErrOrStderr()
	switch {
	case f.base != "":
		return nil, nil, errors.New("eval: --base with --endpoint: KL against a base needs each position's whole distribution, which a server's top-K log-probabilities are not")
	case e.concurrency < 0:
		return nil, nil, fmt.Errorf("eval: --concurrency %d must be ≥ 0 (0: 8)", e.concurrency)
	}
	if e.concurrency == 0 {
		e.concurrency = 8
	}
	if opt.Scheme == eval.LlamaCpp {
		switch e.addBOS {
		case "yes":
			opt.AddBOS = true
		case "no":
		default:
			return nil, nil, errors.New("eval: --window llamacpp with --endpoint needs --add-bos yes or no: whether the served model's vocabulary puts BOS before a text (Llama, Mistral, Gemma: yes; Qwen, GPT-2: no)")
		}
	} else if e.addBOS != "" {
		return nil, nil, errors.New("eval: --add-bos goes with --window llamacpp")
	}
	key := ""
	for _, name := range apiKeyEnv {
		if key = os.Getenv(name); key != "" {
			break
		}
	}
	c, err := endpoint.New(endpoint.Options{URL: e.url, Model: f.model, APIKey: key, Logprobs: e.logprobs, Mode: e.mode,
		Timeout: e.timeout, Retries: e.retries, CacheDir: e.cache, Log: func(s string) { fmt.Fprintln(logw, "xent eval: "+s) }})
	if err != nil {
		return nil, nil, err
	}
	var tok *tokenizer.Tokenizer
	tokSource := e.tokenizer
	if e.tokenizer != "" {
		tok, err = modeldir.LoadTokenizer(e.tokenizer)
	} else {
		tok, err = c.Tokenizer(cmd.Context())
		tokSource = "the server's (" + e.url + "/tokenizer.json)"
	}
	if err != nil {
		return nil, nil, err
	}
	c.SetTokenizer(tok)
	bos, err := modeldir.TokenizerBOS(tok)
	if err != nil {
		return nil, nil, fmt.Errorf("eval: the tokenizer %s: %w", tokSource, err)
	}
	maxLen, err := c.MaxModelLen(cmd.Context())
	if err != nil {
		return nil, nil, err
	}
	// The prompt carries the window and its last target: a window is one
	// token shorter than the server's longest prompt (xent serve takes one
	// more for scoring, so --context may equal its max_model_len).
	maxCtx := maxLen - 1
	if maxLen == 0 {
		if opt.Ctx == 0 {
			return nil, nil, fmt.Errorf("eval: %s does not say the model's max_model_len; give --context", e.url)
		}
		maxCtx = opt.Ctx
	}
	if opt.Ctx == maxLen && maxLen > 0 {
		maxCtx = maxLen // asked for: the server refuses if it cannot
	}
	opt.Concurrency = e.concurrency
	ev, err := eval.NewRemote(c, tok.VocabSize(), maxCtx, tok, bos, opt)
	if err != nil {
		return nil, nil, err
	}
	counts := filepath.Join(e.tokenizer, modeldir.CountsFile)
	if _, err := os.Stat(counts); err == nil && e.tokenizer != "" {
		tc, err := modeldir.ReadTokenCounts(counts, tok.VocabSize())
		if err == nil {
			err = ev.SetTrainCounts(tc)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("eval: --tokenizer %s: %w", e.tokenizer, err)
		}
		fmt.Fprintf(logw, "xent eval: %s serves %s (max_model_len %d); the frequency breakdown reads %s\n", e.url, f.model, maxLen, counts)
	} else {
		fmt.Fprintf(logw, "xent eval: %s serves %s (max_model_len %d); the frequency breakdown counts tokens in the evaluated text\n", e.url, f.model, maxLen)
	}
	src.Model = &provenance.Model{Path: f.model + " at " + e.url}
	src.Tokenizer = tokSource
	return ev, func() {
		st := c.Stats()
		fmt.Fprintf(logw, "xent eval: %d windows answered by the server, %d from the cache, %d requests (%d retries)\n", st.Answered, st.CacheHits, st.Requests, st.Retries)
	}, nil
}
