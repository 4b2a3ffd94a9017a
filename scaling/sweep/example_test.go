package sweep_test

import (
	"fmt"

	"github.com/xent-dev/xent/scaling/sweep"
)

// Plan lays out an IsoFLOP grid for measured costs within a time budget.
func ExamplePlan() {
	costs := []sweep.Cost{
		{Shape: sweep.Shape{Layers: 1, Width: 32}, NonEmbed: 12768, SecPerToken: 30e-6, EvalSec: 0.5},
		{Shape: sweep.Shape{Layers: 2, Width: 48}, NonEmbed: 56640, SecPerToken: 60e-6, EvalSec: 0.5},
		{Shape: sweep.Shape{Layers: 3, Width: 64}, NonEmbed: 150080, SecPerToken: 90e-6, EvalSec: 0.5},
	}
	grid := sweep.Grid{Levels: 3, Ratio: 3, MinSteps: 20, MinTPP: 2, MaxTPP: 1000}
	plan, err := sweep.Plan(costs, grid, 1024, 600)
	if err != nil {
		fmt.Println(err)
		return
	}
	var total float64
	for _, p := range plan {
		total += p.Est
	}
	fmt.Printf("%d runs, estimated %.0f s of 600\n", len(plan), total)
	first, last := plan[0], plan[len(plan)-1]
	fmt.Printf("first: %s for %d steps at budget %d; last: %s for %d steps at budget %d\n",
		first.Shape, first.Steps, first.Level, last.Shape, last.Steps, last.Level)
	// Output:
	// 7 runs, estimated 595 s of 600
	// first: 1x32 for 910 steps at budget 0; last: 3x64 for 697 steps at budget 2
}
