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

// One Gaussian fitted to a two-Gaussian mixture: the forward KL's fit is
// the mixture's mean and standard deviation, spread over both modes; the
// reverse KL's sits on the heavier mode with its width.
func ExampleRunToy() {
	t, err := study.RunToy(study.DefaultToy)
	if err != nil {
		panic(err)
	}
	for _, f := range []study.ToyFit{t.Forward, t.Reverse} {
		fmt.Printf("%s: μ %.2f, σ %.2f, covers %.0f%% of p\n", f.Name, f.Mu, f.Sigma, 100*f.Covered)
	}
	// Output:
	// forward KL(p‖q): μ 0.60, σ 2.00, covers 100% of p
	// reverse KL(q‖p): μ 2.00, σ 0.60, covers 62% of p
}
