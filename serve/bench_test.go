package serve_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/xent-dev/xent/data"
	"github.com/xent-dev/xent/endpoint"
	"github.com/xent-dev/xent/eval"
	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/modeldir"
	"github.com/xent-dev/xent/openai"
	"github.com/xent-dev/xent/serve"
	"github.com/xent-dev/xent/tokenizer"
)

// BenchmarkServeScore scores the same 32 KB of the Opticks (disjoint
// windows of 128) with the default model's shape (a Llama of 4 layers,
// width 256, context 128, random weights, a 1024-token BPE): offline, as
// xent eval does; through xent serve with 8 concurrent clients (xent eval
// --endpoint --concurrency 8), batched; and the same with --no-batch.
// Each reports tokens/s, scored tokens over wall time.
func BenchmarkServeScore(b *testing.B) {
	text, err := data.Builtin("opticks")
	if err != nil {
		b.Fatal(err)
	}
	tok, err := tokenizer.Train([][]byte{text[:200_000]}, tokenizer.TrainOptions{VocabSize: 1024, Pattern: tokenizer.GPT2, Special: []string{"<|endoftext|>"}})
	if err != nil {
		b.Fatal(err)
	}
	m, err := model.New(model.Config{ModelType: "llama", VocabSize: 1024, HiddenSize: 256, IntermediateSize: 688,
		NumHiddenLayers: 4, NumAttentionHeads: 4, RMSNormEps: 1e-5, RopeTheta: 10000, MaxPositionEmbeddings: 128, TieWordEmbeddings: true}, 1)
	if err != nil {
		b.Fatal(err)
	}
	p := &modeldir.Pretrained{Model: m, Tokenizer: tok, Dir: "bench", BOSTokenID: -1, AddBOS: true}
	bos, _ := p.BOS()
	doc := text[200_000:232_768]
	opt := eval.Options{Ctx: 128}
	report := func(b *testing.B, tokens int64) {
		b.ReportMetric(float64(tokens)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
	}
	b.Run("offline", func(b *testing.B) {
		var tokens int64
		for b.Loop() {
			e, err := eval.New(m, tok, bos, opt)
			if err != nil {
				b.Fatal(err)
			}
			if err := e.Document(context.Background(), "doc", bytes.NewReader(doc), nil); err != nil {
				b.Fatal(err)
			}
			tokens = e.Report().Tokens
		}
		report(b, tokens)
	})
	for _, noBatch := range []bool{false, true} {
		name := "batched-8-clients"
		if noBatch {
			name = "no-batch-8-clients"
		}
		b.Run(name, func(b *testing.B) {
			s, err := serve.New(p, serve.Options{Name: "bench", NoBatch: noBatch})
			if err != nil {
				b.Fatal(err)
			}
			ts := httptest.NewServer(s.Handler())
			defer func() { ts.Close(); s.Close() }()
			var tokens int64
			for b.Loop() {
				c, err := endpoint.New(endpoint.Options{URL: ts.URL, Model: "bench"})
				if err != nil {
					b.Fatal(err)
				}
				ropt := opt
				ropt.Concurrency = 8
				e, err := eval.NewRemote(c, tok.VocabSize(), m.MaxSeqLen(), tok, bos, ropt)
				if err != nil {
					b.Fatal(err)
				}
				if err := e.Document(context.Background(), "doc", bytes.NewReader(doc), nil); err != nil {
					b.Fatal(err)
				}
				tokens = e.Report().Tokens
			}
			report(b, tokens)
			passes, prompts := s.Stats()
			b.ReportMetric(float64(prompts)/float64(passes), "prompts/pass")
		})
	}
}

// BenchmarkServeGenerate has 8 concurrent clients each generate 64 tokens
// after a 16-token prompt (seeded sampling, temperature 1) from the model
// of BenchmarkServeScore, with continuous batching (up to 8 sequences a
// decoding step) and without (--no-batch: one sequence a step). Each
// reports generated tokens/s over wall time and the mean sequences a step.
func BenchmarkServeGenerate(b *testing.B) {
	m, err := model.New(model.Config{ModelType: "llama", VocabSize: 1024, HiddenSize: 256, IntermediateSize: 688,
		NumHiddenLayers: 4, NumAttentionHeads: 4, RMSNormEps: 1e-5, RopeTheta: 10000, MaxPositionEmbeddings: 128, TieWordEmbeddings: true}, 1)
	if err != nil {
		b.Fatal(err)
	}
	text, err := data.Builtin("opticks")
	if err != nil {
		b.Fatal(err)
	}
	tok, err := tokenizer.Train([][]byte{text[:200_000]}, tokenizer.TrainOptions{VocabSize: 1024, Pattern: tokenizer.GPT2, Special: []string{"<|endoftext|>"}})
	if err != nil {
		b.Fatal(err)
	}
	p := &modeldir.Pretrained{Model: m, Tokenizer: tok, Dir: "bench", BOSTokenID: -1, AddBOS: true}
	const clients, maxTokens = 8, 64
	for _, noBatch := range []bool{false, true} {
		name := "batched-8-clients"
		if noBatch {
			name = "no-batch-8-clients"
		}
		b.Run(name, func(b *testing.B) {
			s, err := serve.New(p, serve.Options{Name: "bench", NoBatch: noBatch})
			if err != nil {
				b.Fatal(err)
			}
			ts := httptest.NewServer(s.Handler())
			defer func() { ts.Close(); s.Close() }()
			var generated atomic.Int64
			for b.Loop() {
				var wg sync.WaitGroup
				for c := range clients {
					wg.Go(func() {
						ids := make([]int32, 16)
						for j := range ids {
							ids[j] = int32((c*37 + j*11) % 1000)
						}
						body, _ := json.Marshal(map[string]any{"prompt": ids, "max_tokens": maxTokens, "seed": c, "temperature": 1})
						resp, err := http.Post(ts.URL+"/v1/completions", "application/json", bytes.NewReader(body))
						if err != nil {
							b.Error(err)
							return
						}
						defer resp.Body.Close()
						var r openai.CompletionResponse
						if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || resp.StatusCode != 200 {
							b.Errorf("status %d: %v", resp.StatusCode, err)
							return
						}
						generated.Add(int64(r.Usage.CompletionTokens))
					})
				}
				wg.Wait()
			}
			b.ReportMetric(float64(generated.Load())/b.Elapsed().Seconds(), "tokens/s")
			steps, fed := s.DecodeStats()
			b.ReportMetric(float64(fed)/float64(steps), "seqs/step")
		})
	}
}
