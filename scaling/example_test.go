package scaling_test

import (
	"fmt"
	"strings"

	"github.com/xent-dev/xent/scaling"
)

// The compute-optimal model for Chinchilla's budget under Epoch AI's
// replication of Approach 3.
func ExampleChinchilla_Optimal() {
	fit, _ := scaling.LookupPublished("besiroglu2024")
	n, d, _ := fit.Law.Optimal(5.76e23)
	al, _ := fit.Law.Allocation()
	fmt.Printf("N_opt = %.1fB, D_opt = %.2fT, %.0f tokens per parameter\n", n/1e9, d/1e12, d/n)
	fmt.Printf("loss %.3f, N_opt ∝ C^%.3f, D_opt ∝ C^%.3f\n", fit.Law.Loss(n, d), al.A, al.B)
	// Output:
	// N_opt = 72.2B, D_opt = 1.33T, 18 tokens per parameter
	// loss 1.977, N_opt ∝ C^0.513, D_opt ∝ C^0.487
}

func ExampleReadCSV() {
	csv := "params,flops,loss\n1e6,1.2e14,3.5\n"
	runs, err := scaling.ReadCSV(strings.NewReader(csv), "runs.csv", scaling.Columns{})
	fmt.Println(runs[0].N, runs[0].D, err)
	_, err = scaling.ReadCSV(strings.NewReader("params,tokens,loss\n1e6,2e7,-3\n"), "runs.csv", scaling.Columns{})
	fmt.Println(err)
	// Output:
	// 1e+06 2e+07 <nil>
	// runs.csv: line 2, column "loss": -3, want a finite positive number
}

func ExampleFitKaplan() {
	// L(N) = (8.8e13/N)^0.076 exactly, at five sizes.
	law := scaling.PowerLaw{Alpha: 0.076, Scale: 8.8e13}
	var runs []scaling.Run
	for _, n := range []float64{1e6, 1e7, 1e8, 1e9, 1e10} {
		runs = append(runs, scaling.Run{N: n, D: 1e12, C: 6e12 * n, Loss: law.Loss(n)})
	}
	fit, _ := scaling.FitKaplan(runs, scaling.ByN, scaling.Options{})
	fmt.Printf("alpha_N = %.3f, N_c = %.2g\n", fit.Law.Alpha, fit.Law.Scale)
	// Output: alpha_N = 0.076, N_c = 8.8e+13
}

func ExampleFitChinchilla() {
	law := scaling.Chinchilla{E: 1.8, A: 500, B: 2000, Alpha: 0.35, Beta: 0.37}
	var runs []scaling.Run
	for _, n := range []float64{1e7, 3e7, 1e8, 3e8, 1e9} {
		for _, d := range []float64{1e9, 1e10, 1e11} {
			runs = append(runs, scaling.Run{N: n, D: d, C: 6 * n * d, Loss: law.Loss(n, d)})
		}
	}
	// A coarser grid than Hoffmann et al.'s 4,500 starts keeps the example quick.
	grid := scaling.Grid{Alpha: []float64{0.5}, Beta: []float64{0.5}, E: []float64{0, 0.5}, A: []float64{5, 10}, B: []float64{5, 10}}
	fit, _ := scaling.FitChinchilla(runs, scaling.Options{Grid: &grid})
	fmt.Printf("E = %.2f, alpha = %.2f, beta = %.2f, a = %.3f\n", fit.Law.E, fit.Law.Alpha, fit.Law.Beta, fit.Allocation.A)
	// Output: E = 1.80, alpha = 0.35, beta = 0.37, a = 0.514
}
