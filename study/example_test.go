package study_test

import (
	"fmt"

	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/study"
)

func ExampleRunExposure() {
	m, err := model.New(model.Config{ModelType: "llama", VocabSize: 64, HiddenSize: 16, IntermediateSize: 32,
		NumHiddenLayers: 1, NumAttentionHeads: 2, RMSNormEps: 1e-5, RopeTheta: 10000,
		MaxPositionEmbeddings: 32, TieWordEmbeddings: true}, 1)
	if err != nil {
		panic(err)
	}
	held := make([]int32, 200) // a held-out token stream
	for i := range held {
		held[i] = int32(i * i % 64)
	}
	o := study.ExposureOptions{Prefixes: []int{4, 8}, Own: 4, Continuation: 8, Horizon: 12, Temperature: 1, Seed: 1}
	docs, err := study.Documents(held, o.DocLength(), 5)
	if err != nil {
		panic(err)
	}
	e, err := study.RunExposure(m, docs, o)
	if err != nil {
		panic(err)
	}
	first := e.Curve[0] // distance 1: the free-running context is still the true one
	fmt.Println(len(docs), "documents of", o.DocLength(), "tokens;", len(e.Rows), "rows;", len(e.Curve), "curve points")
	fmt.Println("distance 1 agrees with teacher forcing:", first.Greedy == first.TeacherForced && first.GreedyDisagree == 0)
	// Output:
	// 5 documents of 20 tokens; 2 rows; 12 curve points
	// distance 1 agrees with teacher forcing: true
}
