package scaling

import (
	"math"
	"math/rand/v2"
)

// synthRuns makes an IsoFLOP-style design: for each of the budgets, model
// sizes spread around the law's optimum, with multiplicative noise of
// relative size sigma on the loss.
func synthRuns(law Chinchilla, budgets []float64, perBudget int, sigma float64, seed uint64) []Run {
	return synthRunsShifted(law, budgets, perBudget, 1, sigma, seed)
}

// synthRunsShifted centres each budget's sizes on shift·N_opt instead.
func synthRunsShifted(law Chinchilla, budgets []float64, perBudget int, shift, sigma float64, seed uint64) []Run {
	rng := rand.New(rand.NewPCG(seed, 1))
	var runs []Run
	for _, c := range budgets {
		nOpt, _, err := law.Optimal(c)
		if err != nil {
			panic(err)
		}
		for i := range perBudget {
			// N from nOpt/8 to nOpt·8 on a log grid.
			f := -math.Log(8) + 2*math.Log(8)*float64(i)/float64(perBudget-1)
			n := shift * nOpt * math.Exp(f)
			d := c / (6 * n)
			l := law.Loss(n, d) * math.Exp(sigma*rng.NormFloat64())
			runs = append(runs, Run{N: n, D: d, C: c, Loss: l})
		}
	}
	return runs
}
