package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/xent-dev/xent/serve"
)

type serveFlags struct {
	inf                        inferenceFlags
	model, host, name, keyFile string
	port, queue, maxPrompts    int
	maxLogprobs, threads       int
	maxTokens, maxN            int
	batchTokens, decodeBatch   int
	maxBody                    int64
	deadline                   time.Duration
	noBatch, jsonLog           bool
}

func newServeCmd() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve --model DIR|FILE [--host 127.0.0.1] [--port 8000]",
		Short: "Serve a model's prompt log-probabilities over OpenAI-compatible HTTP",
		Long: `serve answers OpenAI-compatible HTTP requests with a model, in vLLM's
format: POST /v1/completions scores prompts (text, token ids, or a list of
either) with echo: true and max_tokens: 0, returning each prompt token's
log-probability (logprobs: K adds the top K; prompt_logprobs: K is vLLM's
form); GET /v1/models; POST /tokenize and /detokenize. The log-probabilities
are xent eval's for the same tokens, to the last bit, so

  xent eval --endpoint http://127.0.0.1:8000 --model NAME --tokenizer DIR ...

reports what xent eval --model DIR reports. max_tokens > 0 generates as
xent generate does (temperature, top_p, top_k, min_p, the penalties, seed,
stop, n; logprobs K lists each generated token's K most probable),
streamed as server-sent events under stream: true. Concurrent generations
are decoded together (continuous batching: up to --decode-batch sequences
a step, each with its own KV cache), each answer the one its request gets
alone. POST /v1/chat/completions renders the messages with the model's
chat template (tokenizer_config.json's chat_template, or
chat_template.jinja) and generates from them, in the chat format
(logprobs, top_logprobs, stream; vLLM's add_generation_prompt,
continue_final_message, chat_template_kwargs, prompt_logprobs); a model
without a template answers it 400.

Concurrent scoring requests share forward passes (--no-batch: one prompt
per pass, one sequence per decoding step). It listens on 127.0.0.1 unless
--host says otherwise; --api-key-file makes every request need
"Authorization: Bearer KEY". A full queue answers 429, a request past
--deadline 504, a bad request 400 in OpenAI's error shape; one log line
per request goes to standard error.
Ctrl-C stops accepting requests and finishes those in flight.

  xent serve --model runs/opticks
  xent serve --model runs/opticks --api-key-file key.txt --port 8100`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runServe(cmd, &f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.model, "model", "", "the model: "+modelKinds+" (required)")
	fl.StringVar(&f.host, "host", "127.0.0.1", "address to listen on (0.0.0.0: every interface)")
	fl.IntVar(&f.port, "port", 8000, "port to listen on")
	fl.StringVar(&f.name, "name", "", "the model's name in requests and /v1/models (default: --model's base name)")
	fl.StringVar(&f.keyFile, "api-key-file", "", "file holding the API key every request must present as a bearer token")
	fl.IntVar(&f.queue, "queue", 256, "prompts waiting for the model before requests are answered 429")
	fl.IntVar(&f.maxPrompts, "max-prompts", 64, "prompts in one request")
	fl.IntVar(&f.maxLogprobs, "max-logprobs", 20, "the largest logprobs and prompt_logprobs a request may ask for")
	fl.IntVar(&f.maxTokens, "max-tokens", 512, "the largest max_tokens a request may ask for")
	fl.IntVar(&f.maxN, "max-n", 8, "the largest n (choices per prompt) a request may ask for")
	fl.Int64Var(&f.maxBody, "max-body", 4<<20, "request body bytes")
	fl.DurationVar(&f.deadline, "deadline", 5*time.Minute, "per-request deadline")
	fl.IntVar(&f.batchTokens, "batch-tokens", 0, "tokens in one forward pass (0: 8 × the model's context)")
	fl.IntVar(&f.decodeBatch, "decode-batch", 0, "generated sequences decoded together in one step, their KV caches within 1 GiB (0: 8)")
	fl.BoolVar(&f.noBatch, "no-batch", false, "score one prompt per forward pass and decode one sequence per step")
	fl.IntVar(&f.threads, "threads", 0, "goroutines (0: GOMAXPROCS)")
	f.inf.add(cmd)
	fl.BoolVar(&f.jsonLog, "json-log", false, "log each request as a JSON object")
	return cmd
}

func runServe(cmd *cobra.Command, f *serveFlags) error {
	if f.model == "" {
		return errors.New("serve: --model is required")
	}
	if f.port < 0 || f.port > 65535 {
		return fmt.Errorf("serve: --port %d is outside [0, 65535]", f.port)
	}
	if f.queue < 1 || f.maxPrompts < 1 || f.maxLogprobs < 0 || f.maxTokens < 0 || f.maxN < 1 || f.maxBody < 1 || f.deadline <= 0 || f.batchTokens < 0 || f.threads < 0 || f.decodeBatch < 0 {
		return errors.New("serve: --queue, --max-prompts, --max-body and --deadline must be positive, --max-logprobs, --batch-tokens, --decode-batch and --threads ≥ 0")
	}
	key := ""
	if f.keyFile != "" {
		b, err := os.ReadFile(f.keyFile)
		if err != nil {
			return fmt.Errorf("serve: --api-key-file: %w", err)
		}
		if key = strings.TrimSpace(string(b)); key == "" {
			return fmt.Errorf("serve: --api-key-file %s is empty", f.keyFile)
		}
	}
	logw := cmd.ErrOrStderr()
	p, err := f.inf.load(f.model, "--model")
	if err != nil {
		return err
	}
	s, err := serve.New(p, serve.Options{Name: f.name, APIKey: key, MaxBody: f.maxBody, MaxPrompts: f.maxPrompts, MaxLogprobs: f.maxLogprobs,
		MaxTokens: f.maxTokens, MaxN: f.maxN, Queue: f.queue, Deadline: f.deadline, BatchTokens: f.batchTokens, DecodeBatch: f.decodeBatch, NoBatch: f.noBatch, Threads: f.threads, Log: logw, JSONLog: f.jsonLog})
	if err != nil {
		return err
	}
	defer s.Close()
	ln, err := net.Listen("tcp", net.JoinHostPort(f.host, strconv.Itoa(f.port)))
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 30 * time.Second, ReadTimeout: f.deadline, IdleTimeout: 2 * time.Minute}
	auth := "no authentication"
	if key != "" {
		auth = "bearer authentication"
	}
	fmt.Fprintf(logw, "xent serve: %s as %q on http://%s (%s; Ctrl-C stops)\n", f.model, s.Name(), ln.Addr(), auth)
	ctx, stop := interruptible(cmd.Context(), logw, "xent serve", "finishing the requests in flight")
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), f.deadline)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil {
		return fmt.Errorf("serve: shutting down: %w", err)
	}
	passes, prompts := s.Stats()
	fmt.Fprintf(logw, "xent serve: stopped after %d prompts in %d forward passes\n", prompts, passes)
	return nil
}
