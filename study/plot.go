package study

import (
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/xent-dev/xent/internal/plotfile"
)

// Plot writes the error-compounding curve as an SVG, atomically: the NLL
// of the true token by distance from the prefix (teacher-forced, greedy
// and sampled free-running contexts) above the top-1 disagreement with
// teacher forcing.
func (e Exposure) Plot(path string) error {
	series := func(y func(CurvePoint) float64) plotter.XYs {
		pts := make(plotter.XYs, len(e.Curve))
		for i, c := range e.Curve {
			pts[i] = plotter.XY{X: float64(c.Distance), Y: y(c)}
		}
		return pts
	}
	nll := plot.New()
	nll.Title.Text = "NLL of the true token under each context"
	nll.Y.Label.Text = "nats"
	disagree := plot.New()
	disagree.Title.Text = "top-1 disagreement with teacher forcing"
	disagree.X.Label.Text = "distance from the prefix (tokens)"
	disagree.Y.Label.Text = "share of positions"
	dashed := []vg.Length{vg.Points(4), vg.Points(2)}
	for _, s := range []struct {
		p      *plot.Plot
		name   string
		y      func(CurvePoint) float64
		colour int
		dashes []vg.Length
	}{
		{nll, "teacher-forced", func(c CurvePoint) float64 { return c.TeacherForced }, 0, nil},
		{nll, "greedy free-running", func(c CurvePoint) float64 { return c.Greedy }, 1, nil},
		{nll, "sampled free-running", func(c CurvePoint) float64 { return c.Sampled }, 2, dashed},
		{disagree, "greedy", func(c CurvePoint) float64 { return c.GreedyDisagree }, 1, nil},
		{disagree, "sampled", func(c CurvePoint) float64 { return c.SampledDisagree }, 2, dashed},
	} {
		l, err := plotter.NewLine(series(s.y))
		if err != nil {
			return err
		}
		l.Color = plotutil.Color(s.colour)
		l.Dashes = s.dashes
		s.p.Add(l)
		s.p.Legend.Add(s.name, l)
	}
	for _, p := range []*plot.Plot{nll, disagree} {
		p.Add(plotter.NewGrid())
		p.Legend.Top = true
	}
	disagree.Y.Min, disagree.Y.Max = 0, 1
	return writeStacked(path, 6*vg.Inch, 7*vg.Inch, nll, disagree)
}

// writeStacked draws plots one above the other, aligned, on a w × h
// figure and writes it to path atomically (its extension names the format).
func writeStacked(path string, w, h vg.Length, plots ...*plot.Plot) error {
	c, err := plotfile.Canvas(path, w, h)
	if err != nil {
		return err
	}
	tiles := draw.Tiles{Rows: len(plots), Cols: 1, PadX: vg.Millimeter, PadY: 4 * vg.Millimeter,
		PadTop: 2 * vg.Millimeter, PadBottom: 2 * vg.Millimeter, PadLeft: 2 * vg.Millimeter, PadRight: 2 * vg.Millimeter}
	grid := make([][]*plot.Plot, len(plots))
	for i, p := range plots {
		grid[i] = []*plot.Plot{p}
	}
	canvases := plot.Align(grid, tiles, draw.New(c))
	for i := range grid {
		grid[i][0].Draw(canvases[i][0])
	}
	return plotfile.Write(path, c)
}
