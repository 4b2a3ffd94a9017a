package loss_test

import (
	"fmt"

	"github.com/xent-dev/xent/loss"
)

func ExampleCrossEntropy() {
	// Two positions over a vocabulary of 4; the second target is ignored.
	logits := []float32{
		2, 0, 0, 0,
		0, 1, 0, 0,
	}
	res, err := loss.CrossEntropy(loss.F32(logits, 2, 4), loss.Targets{Index: []int32{0, loss.DefaultIgnoreIndex}}, loss.Options{})
	if err != nil {
		panic(err)
	}
	fmt.Printf("loss %.4f over %d kept rows\n", res.Loss, res.Count)
	// Output: loss 0.3408 over 1 kept rows
}

func ExampleCrossEntropyForwardBackward() {
	// The training path: the gradient overwrites the logits in place.
	logits := []float32{
		1, 2, 3,
		3, 2, 1,
	}
	x := loss.F32(logits, 2, 3)
	res, err := loss.CrossEntropyForwardBackward(x, loss.Targets{Index: []int32{2, 0}}, loss.Options{LabelSmoothing: 0.1}, []float32{1}, x)
	if err != nil {
		panic(err)
	}
	fmt.Printf("loss %.4f\n", res.Loss)
	fmt.Printf("dlogits row 0: %.4f\n", logits[:3])
	// Output:
	// loss 0.5076
	// dlogits row 0: [0.0283 0.1057 -0.1340]
}

func ExampleCompare() {
	p := loss.FromProbs([]float32{0.5, 0.5}, 1, 2)
	q := loss.FromProbs([]float32{0.9, 0.1}, 1, 2)
	d, err := loss.Compare(p, q, 1)
	if err != nil {
		panic(err)
	}
	fmt.Printf("H(P)=%.4f KL(P‖Q)=%.4f KL(Q‖P)=%.4f JS=%.4f\n", d.EntropyP[0], d.KL[0], d.ReverseKL[0], d.JS[0])
	// Output: H(P)=0.6931 KL(P‖Q)=0.5108 KL(Q‖P)=0.3681 JS=0.1017
}

func ExampleTotals() {
	t := loss.Totals{Nats: 693.1, Tokens: 250, Bytes: 1000}
	ppl, _ := t.Perplexity()
	bpb, _ := t.BitsPerByte()
	fmt.Printf("perplexity %.2f, %.3f bits per byte\n", ppl, bpb)
	// Output: perplexity 16.00, 1.000 bits per byte
}

func ExampleRowScorer() {
	// One position of a model and of a base model (uniform) over a
	// vocabulary of 4, the target class 1. Each KL names its direction.
	model := []float32{0, 2, 1, 0}
	base := []float32{0, 0, 0, 0}
	s := loss.RowScorer{Rank: true, Entropy: true}
	r, err := s.Score(model, base, 1)
	if err != nil {
		panic(err)
	}
	fmt.Printf("NLL %.4f, rank %d, top %d (p %.4f), entropy %.4f\n", r.NLL, r.Rank, r.Top, r.TopProb, r.Entropy)
	fmt.Printf("KL(base ‖ model) %.4f, KL(model ‖ base) %.4f, same top %v\n", r.KLBaseModel, r.KLModelBase, r.SameTop())
	// Output:
	// NLL 0.4938, rank 1, top 1 (p 0.6103), entropy 1.0487
	// KL(base ‖ model) 0.3575, KL(model ‖ base) 0.3376, same top false
}
