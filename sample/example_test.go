package sample_test

import (
	"fmt"
	"slices"

	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/sample"
)

func ExampleSampler_Choose() {
	// Greedy decoding (temperature 0) with Hugging Face's repetition
	// penalty: token 0 was already said, so its logit 3 becomes 3/1.2 = 2.5
	// and token 1 (2.9) wins.
	sp, err := sample.NewSampler(sample.Settings{RepetitionPenalty: 1.2}, 0)
	if err != nil {
		panic(err)
	}
	logits := []float32{3, 2.9, -1}
	tok, _ := sp.Choose(logits, []int32{0})
	fmt.Println(tok, logits)
	// Output: 1 [2.5 2.9 -1]
}

func ExampleSampler_Process() {
	// Temperature last, as llama.cpp orders its chain, then top-k 2.
	order, err := sample.ParseOrder("penalties,top-k,top-p,min-p,temperature")
	if err != nil {
		panic(err)
	}
	sp, _ := sample.NewSampler(sample.Settings{Temperature: 0.5, TopK: 2, Order: order}, 0)
	logits := []float32{1, 3, 2, 0}
	sp.Process(logits, nil)
	fmt.Println(logits)
	// Output: [-Inf 6 4 -Inf]
}

func ExampleGenerator_Generate() {
	m, err := model.New(model.Config{ModelType: "llama", VocabSize: 50, HiddenSize: 16, IntermediateSize: 32,
		NumHiddenLayers: 1, NumAttentionHeads: 2, RMSNormEps: 1e-5, RopeTheta: 10000,
		MaxPositionEmbeddings: 32, TieWordEmbeddings: true}, 1)
	if err != nil {
		panic(err)
	}
	gen := sample.NewGenerator(m)
	run := func() []int32 {
		sp, _ := sample.NewSampler(sample.Settings{Temperature: 0.8, TopP: 0.95, Seed: 2024}, 0)
		toks, err := gen.Generate([]int32{1, 2, 3}, 10, sp, func(t sample.Token) error {
			_ = t.LogProb // each token streams out as it is chosen, with its log-probability and rank
			return nil
		})
		if err != nil {
			panic(err)
		}
		ids := make([]int32, len(toks))
		for i, t := range toks {
			ids[i] = t.ID
		}
		return ids
	}
	a, b := run(), run()
	fmt.Println(len(a), "tokens; the same seed gives the same ones:", slices.Equal(a, b))
	// Output: 10 tokens; the same seed gives the same ones: true
}

func ExampleSeqRep() {
	// "the cat the cat the": bigrams (the cat) (cat the) (the cat) (cat the),
	// two distinct of four.
	rep, _ := sample.SeqRep([]int32{5, 9, 5, 9, 5}, 2)
	fmt.Printf("seq-rep-2 %.2f\n", rep)
	// Output: seq-rep-2 0.50
}

func ExampleMeasure() {
	conts := []sample.Continuation{{
		Context: []int32{1, 2},
		Tokens:  []sample.Token{{ID: 1, Top: 1, LogProb: -0.5}, {ID: 2, Top: 2, LogProb: -0.7}, {ID: 1, Top: 1, LogProb: -0.3}},
	}}
	d := sample.Measure(conts, 128)
	fmt.Printf("seq-rep-1 %.3f distinct-2 %.3f rep/128 %.2f wrep %.2f mean log-prob %.2f\n",
		d.SeqRep1, d.Distinct2, d.Rep, d.WRep, d.MeanLogProb)
	// Output: seq-rep-1 0.333 distinct-2 1.000 rep/128 1.00 wrep 0.00 mean log-prob -0.50
}
