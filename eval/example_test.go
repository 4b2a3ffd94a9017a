package eval_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/xent-dev/xent/eval"
	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/tokenizer"
)

// Score a text with a model: here an untrained one, whose perplexity is
// close to its vocabulary size.
func Example() {
	tok, _ := tokenizer.Builtin("gpt2")
	m, _ := model.New(model.Config{ModelType: model.GPT2, VocabSize: tok.VocabSize(), NEmbd: 32, NLayer: 1, NHead: 2, NPositions: 64}, 1)
	e, err := eval.New(m, tok, 50256, eval.Options{Scheme: eval.Disjoint, Ctx: 64})
	if err != nil {
		fmt.Println(err)
		return
	}
	text := strings.Repeat("Light is refracted by the prism. ", 10)
	if err := e.Document(context.Background(), "prism.txt", strings.NewReader(text), nil); err != nil {
		fmt.Println(err)
		return
	}
	r := e.Report()
	fmt.Printf("%s ctx %d: %d tokens, %d bytes, perplexity/V %.2f\n", r.Window.Scheme, r.Window.Ctx, r.Tokens, r.Bytes, r.PPL/50257)
	// Output: disjoint ctx 64: 81 tokens, 330 bytes, perplexity/V 1.02
}

// Score held-out token ids as training's periodic evaluation does, capped
// at 50 tokens: the report says how many of how many were scored.
func ExampleTokens() {
	tok, _ := tokenizer.Builtin("gpt2")
	m, _ := model.New(model.Config{ModelType: model.GPT2, VocabSize: tok.VocabSize(), NEmbd: 32, NLayer: 1, NHead: 2, NPositions: 64}, 1)
	ids := tok.Encode([]byte(strings.Repeat("Light is refracted by the prism. ", 10)))
	r, err := eval.Tokens(context.Background(), m, tok, 50256, ids, eval.Options{Ctx: 64, MaxTokens: 50})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d of %d tokens, %d bytes, perplexity/V %.2f\n", r.Tokens, r.TokensAvailable, r.Bytes, r.PPL/50257)
	// Output: 50 of 81 tokens, 206 bytes, perplexity/V 1.03
}
