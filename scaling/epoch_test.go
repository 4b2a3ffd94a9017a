package scaling

import (
	"math"
	"os"
	"testing"
)

// TestFitEpochReplication fits Approach 3 to the 245 points Epoch AI
// extracted from Hoffmann et al.'s Figure 4 (testdata/README.md says where
// they come from), after dropping the five highest-loss runs as Epoch did,
// and lands on their published fit.
func TestFitEpochReplication(t *testing.T) {
	f, err := os.Open("testdata/epoch_svg_extracted_data.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// D = C/(6N), as Epoch's notebook computes "Training Tokens".
	runs, err := ReadCSV(f, "epoch", Columns{N: "Model Size", C: "Training FLOP", Loss: "loss"})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 245 {
		t.Fatalf("%d runs, want Epoch's 245", len(runs))
	}
	kept, dropped, err := ExcludeHighestLoss(runs, 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range dropped {
		if r.Loss < 3.44 {
			t.Errorf("dropped %+v: Epoch's five highest losses are all above 3.44", r)
		}
	}
	fit, err := FitChinchilla(kept, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := fit.Law
	t.Logf("E = %.4f, A = %.2f, B = %.2f, alpha = %.4f, beta = %.4f (%d of %d starts converged, objective %.6g)",
		got.E, got.A, got.B, got.Alpha, got.Beta, fit.Converged, fit.Starts, fit.Objective)
	// Epoch's published fit (Besiroglu et al. 2024; built in, with E
	// rounded to 1.82, as besiroglu2024). Their notebook got it from a
	// maximum-likelihood variant (a fitted scale on Huber-distributed
	// residuals, BFGS from Hoffmann's estimate); its cell that replicates
	// Approach 3 as here (Huber δ = 1e-3 loss, L-BFGS-B from Hoffmann's
	// grid) gives E = 1.8172, A = 477.84, B = 2143.86, α = 0.3473,
	// β = 0.3672. A and B are the loosely determined parameters (bootstrap
	// standard errors of 26% and 62% in Epoch's notebook) and the two
	// methods differ by 1% and 3% in them, so A and B are held to 5% of
	// the published values and E, α and β to 1%. Dropping the five runs a
	// first fit describes worst instead ([ExcludeLargestResidual]) gives
	// B = 2408, 15% off.
	want := Chinchilla{E: 1.8172, A: 482.01, B: 2085.43, Alpha: 0.3478, Beta: 0.3658}
	for _, c := range []struct {
		name      string
		got, want float64
		rel       float64
	}{
		{"E", got.E, want.E, 0.01},
		{"A", got.A, want.A, 0.05},
		{"B", got.B, want.B, 0.05},
		{"alpha", got.Alpha, want.Alpha, 0.01},
		{"beta", got.Beta, want.Beta, 0.01},
	} {
		if math.Abs(c.got-c.want) > c.rel*c.want {
			t.Errorf("%s = %.4f, want %.4f within %.0f%%", c.name, c.got, c.want, 100*c.rel)
		}
	}
}
