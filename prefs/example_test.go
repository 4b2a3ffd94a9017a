package prefs_test

import (
	"fmt"

	"github.com/xent-dev/xent/prefs"
)

// A DPO step on two pairs: the loss, the implicit rewards, and the gradient
// that goes back into the policy's sequence log-probabilities.
func ExampleDPO() {
	p := prefs.Pairs{
		PolicyChosen: []float64{-12.0, -30.5}, PolicyRejected: []float64{-14.0, -29.0},
		RefChosen: []float64{-12.5, -30.0}, RefRejected: []float64{-13.5, -29.5},
	}
	dpo := prefs.DPO{Beta: 0.1}
	r, _ := dpo.Forward(p)
	g, _ := dpo.Backward(p)
	fmt.Printf("loss %.4f  accuracy %.2f  margin %.3f\n", r.Loss, r.Accuracy(), r.Margin())
	fmt.Printf("dL/d chosen %.4f  dL/d rejected %.4f\n", g.Chosen, g.Rejected)
	// Output:
	// loss 0.6944  accuracy 0.50  margin 0.000
	// dL/d chosen [-0.0238 -0.0262]  dL/d rejected [0.0238 0.0262]
}

// Sequence log-probabilities from token log-probabilities [B, T]: the
// prompt's positions are masked out, the completion's are summed (or
// averaged, for IPO, ORPO and SimPO).
func ExampleSequenceLogProbs() {
	tokenLogps := []float32{ // [2, 4]
		-9, -0.5, -1.5, 0,
		-7, -8, -2.0, -1.0,
	}
	mask := []bool{ // completion tokens
		false, true, true, false,
		false, false, true, true,
	}
	sum, n, _ := prefs.SequenceLogProbs(tokenLogps, mask, 2, 4, false)
	avg, _, _ := prefs.SequenceLogProbs(tokenLogps, mask, 2, 4, true)
	fmt.Println(sum, avg, n)
	// Output: [-2 -3] [-1 -1.5] [2 2]
}

// ORPO needs no reference model, and stays exact as a probability nears 1.
func ExampleORPO() {
	p := prefs.Pairs{
		PolicyChosen:   []float64{-1e-12, -0.7}, // length-averaged log-probabilities
		PolicyRejected: []float64{-2.3, -0.9},
		ChosenLengths:  []int{4, 6},
	}
	r, _ := prefs.ORPO{Lambda: 0.1}.Forward(p)
	fmt.Printf("nll %.4f  odds-ratio terms %.4f  loss %.4f\n", r.NLL, r.Losses, r.Loss)
	// Output: nll 0.4200  odds-ratio terms [0.0000 0.0527]  loss 0.4464
}

// The PPO clipped surrogate over two rows of response tokens.
func ExamplePPO() {
	b := prefs.RolloutBatch{
		LogP:       []float64{-1.0, -0.2, -2.0, -1.1},
		OldLogP:    []float64{-1.5, -0.2, -1.0, -1.0},
		Advantages: []float64{1.0, 0.5, -1.0, 2.0},
		Mask:       []bool{true, true, true, false},
		B:          2, T: 2,
	}
	r, _ := prefs.PPO{ClipLow: 0.2, ClipHigh: 0.2}.Forward(b)
	fmt.Printf("loss %.4f  clipped %.2f  approx KL %.4f\n", r.Loss, r.ClipFraction, r.ApproxKL)
	// Output: loss -0.3000  clipped 0.67  approx KL 0.1667
}
