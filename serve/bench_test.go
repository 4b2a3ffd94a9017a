package serve_test

import (
	"bytes"
	"context"
	"net/http/httptest"
	"testing"

	"github.com/xent-dev/xent/data"
	"github.com/xent-dev/xent/endpoint"
	"github.com/xent-dev/xent/eval"
	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/modeldir"
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
