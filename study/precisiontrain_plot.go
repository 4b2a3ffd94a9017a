package study

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// Plot writes the runs' loss curves as an SVG (or the format path's
// extension names), atomically: above, each run's training loss as a
// moving mean over Window steps (solid) and its held-out loss at each
// evaluation (dashed, with points); below, on a log scale, the gap |low −
// f32| against the seed spread |f32 seed 2 − f32|, in training (moving
// means) and held out (dashed, a zero left out), with the step where the
// training curves part marked.
func (res *TrainPrecision) Plot(path string) error {
	if len(res.Steps) == 0 {
		return fmt.Errorf("study: precision-train: no steps to plot")
	}
	o := res.Options
	names := [3]string{"f32", res.Arithmetic, fmt.Sprintf("f32 seed %d", o.SpreadSeed)}
	curves := plot.New()
	curves.Title.Text = fmt.Sprintf("loss: training (%d-step moving mean, solid) and held-out (dashed)", o.Window)
	curves.Y.Label.Text = "nats/token"
	gaps := plot.New()
	gaps.Title.Text = fmt.Sprintf("gap against the seed spread: training (%d-step moving means) and held-out", o.Window)
	gaps.X.Label.Text = "optimizer step"
	gaps.Y.Label.Text = "nats"
	gaps.Y.Scale, gaps.Y.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: 1}
	dashed := []vg.Length{vg.Points(4), vg.Points(2)}
	for k := range 3 {
		var train, held plotter.XYs
		loss := make([]float64, len(res.Steps))
		for i, s := range res.Steps {
			loss[i] = [3]float64{s.F32, s.Low, s.F32Seed2}[k]
		}
		for i, m := range movingMean(loss, o.Window) {
			train = append(train, plotter.XY{X: float64(i + 1), Y: m})
		}
		for _, e := range res.Evals {
			held = append(held, plotter.XY{X: float64(e.Step), Y: [3]float64{e.F32, e.Low, e.F32Seed2}[k]})
		}
		l, err := plotter.NewLine(train)
		if err != nil {
			return err
		}
		l.Color = plotutil.Color(k)
		if k == 0 { // under the low-precision run's line, which is close to it
			l.Width = 3 * l.Width
		}
		curves.Add(l)
		curves.Legend.Add(names[k], l)
		if len(held) > 0 {
			hl, pts, err := plotter.NewLinePoints(held)
			if err != nil {
				return err
			}
			hl.Color, pts.Color, hl.Dashes = plotutil.Color(k), plotutil.Color(k), dashed
			pts.Shape = plotutil.Shape(k)
			curves.Add(hl, pts)
		}
	}
	var gap, spread, heldGap, heldSpread plotter.XYs
	for _, s := range res.Steps {
		gap = append(gap, plotter.XY{X: float64(s.Step), Y: math.Max(s.Gap, plotFloor)})
		spread = append(spread, plotter.XY{X: float64(s.Step), Y: math.Max(s.SeedSpread, plotFloor)})
	}
	for _, e := range res.Evals { // a zero has no place on the log scale
		if e.Gap != 0 {
			heldGap = append(heldGap, plotter.XY{X: float64(e.Step), Y: math.Abs(e.Gap)})
		}
		if e.SeedSpread != 0 {
			heldSpread = append(heldSpread, plotter.XY{X: float64(e.Step), Y: e.SeedSpread})
		}
	}
	for _, s := range []struct {
		name   string
		xys    plotter.XYs
		colour int
		held   bool
	}{
		{fmt.Sprintf("training |%s − f32|", res.Arithmetic), gap, 1, false},
		{fmt.Sprintf("training |f32 seed %d − f32|", o.SpreadSeed), spread, 2, false},
		{fmt.Sprintf("held-out |%s − f32|", res.Arithmetic), heldGap, 1, true},
		{fmt.Sprintf("held-out |f32 seed %d − f32|", o.SpreadSeed), heldSpread, 2, true},
	} {
		if len(s.xys) == 0 {
			continue
		}
		if !s.held {
			l, err := plotter.NewLine(s.xys)
			if err != nil {
				return err
			}
			l.Color = plotutil.Color(s.colour)
			gaps.Add(l)
			gaps.Legend.Add(s.name, l)
			continue
		}
		l, pts, err := plotter.NewLinePoints(s.xys)
		if err != nil {
			return err
		}
		l.Color, pts.Color, l.Dashes = plotutil.Color(s.colour), plotutil.Color(s.colour), dashed
		pts.Shape = plotutil.Shape(s.colour)
		gaps.Add(l, pts)
		gaps.Legend.Add(s.name, l, pts)
	}
	if o.Tolerance > 0 {
		l, err := plotter.NewLine(plotter.XYs{{X: 1, Y: o.Tolerance}, {X: float64(len(res.Steps)), Y: o.Tolerance}})
		if err != nil {
			return err
		}
		l.Dashes = dashed
		gaps.Add(l)
		gaps.Legend.Add("tolerance", l)
	}
	if res.PartsAt > 0 {
		s := res.Steps[res.PartsAt-1]
		pts, err := plotter.NewScatter(plotter.XYs{{X: float64(s.Step), Y: math.Max(s.Gap, plotFloor)}})
		if err != nil {
			return err
		}
		pts.Shape = plotutil.Shape(1)
		pts.Radius = vg.Points(4)
		gaps.Add(pts)
		gaps.Legend.Add(fmt.Sprintf("parts at step %d", s.Step), pts)
	}
	for _, p := range []*plot.Plot{curves, gaps} {
		p.Add(plotter.NewGrid())
	}
	curves.Legend.Top = true
	// Two decades of room below the lowest gap for the legend.
	lowest := math.Inf(1)
	for _, xys := range []plotter.XYs{gap, spread, heldGap, heldSpread} {
		for _, p := range xys {
			lowest = math.Min(lowest, p.Y)
		}
	}
	gaps.Y.Min = lowest / 100
	return writeStacked(path, 7*vg.Inch, 7*vg.Inch, curves, gaps)
}
