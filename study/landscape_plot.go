package study

import (
	"fmt"
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/xent-dev/xent/internal/plotfile"
)

// PlotLine writes the loss along the line θ(α) as an SVG (or the format
// path's extension names), atomically: training and held-out loss
// against α, with α = 0 (the initial weights) and α = 1 (the trained
// ones) marked.
func (l Landscape) PlotLine(path string) error {
	if len(l.Line) == 0 {
		return fmt.Errorf("study: landscape: no line to plot")
	}
	p := plot.New()
	p.Title.Text = "loss along (1−α)·θ₀ + α·θ₁, run " + l.Base
	p.X.Label.Text = "α (0: initial weights, 1: trained)"
	p.Y.Label.Text = "loss (nats/token)"
	p.Add(plotter.NewGrid())
	lo, hi := math.Inf(1), math.Inf(-1)
	for k, s := range []struct {
		name string
		y    func(LinePoint) float64
	}{
		{"train (fixed batches)", func(q LinePoint) float64 { return q.Train }},
		{"held-out", func(q LinePoint) float64 { return q.HeldOut }},
	} {
		xys := make(plotter.XYs, len(l.Line))
		for i, q := range l.Line {
			xys[i] = plotter.XY{X: q.Alpha, Y: s.y(q)}
			lo, hi = math.Min(lo, xys[i].Y), math.Max(hi, xys[i].Y)
		}
		ln, pts, err := plotter.NewLinePoints(xys)
		if err != nil {
			return err
		}
		ln.Color, pts.Color, pts.Shape = plotutil.Color(k), plotutil.Color(k), plotutil.Shape(k)
		p.Add(ln, pts)
		p.Legend.Add(s.name, ln, pts)
	}
	for _, a := range []float64{0, 1} {
		m, err := plotter.NewLine(plotter.XYs{{X: a, Y: lo}, {X: a, Y: hi}})
		if err != nil {
			return err
		}
		m.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
		m.Color = color.Gray{Y: 128}
		p.Add(m)
	}
	p.Legend.Top = true
	p.Legend.XOffs = -vg.Inch / 2 // clear of the mark at α = 1
	return plotfile.Save(p, 6*vg.Inch, 4*vg.Inch, path)
}

// sliceGrid is a Slice as gonum's GridXYZ: columns a, rows b.
type sliceGrid struct{ s Slice }

func (g sliceGrid) Dims() (c, r int)   { return len(g.s.Coords), len(g.s.Coords) }
func (g sliceGrid) Z(c, r int) float64 { return g.s.Train[r][c] }
func (g sliceGrid) X(c int) float64    { return g.s.Coords[c] }
func (g sliceGrid) Y(r int) float64    { return g.s.Coords[r] }

// PlotSlice writes the training loss on the slice as a heat map with
// contour lines and a colour bar, atomically. Colours span the loss from
// its minimum to its 90th percentile (the edges of a wide slice can be
// far above the rest; the top tenth of the points are grey);
// the contours are ten levels evenly over the same range.
func (l Landscape) PlotSlice(path string) error {
	s := l.Slice
	n := len(s.Coords)
	if n < 2 || len(s.Train) != n {
		return fmt.Errorf("study: landscape: no slice to plot")
	}
	var all []float64
	for _, row := range s.Train {
		if len(row) != n {
			return fmt.Errorf("study: landscape: the slice's rows are not %d long", n)
		}
		all = append(all, row...)
	}
	slices.Sort(all)
	lo, top := all[0], all[len(all)*9/10]
	if !(top > lo) {
		top = lo + 1
	}
	cm := moreland.ExtendedBlackBody()
	cm.SetMin(lo)
	cm.SetMax(top)
	pal := cm.Palette(64)
	heat := plotter.NewHeatMap(sliceGrid{s}, pal)
	heat.Min, heat.Max = lo, top
	heat.Overflow = color.Gray{Y: 200} // above the colour scale
	levels := make([]float64, 10)
	for i := range levels {
		levels[i] = lo + (top-lo)*float64(i+1)/float64(len(levels)+1)
	}
	contour := plotter.NewContour(sliceGrid{s}, levels, nil)
	contour.LineStyles[0].Color = plotutil.Color(1)
	contour.LineStyles[0].Width = vg.Points(0.75)

	p := plot.New()
	p.Title.Text = "train loss around θ₁ (×, run " + l.Base + "), filter-normalised directions"
	p.X.Label.Text = "a (along d₁)"
	p.Y.Label.Text = "b (along d₂)"
	p.Add(heat, contour)
	centreMark, err := plotter.NewScatter(plotter.XYs{{X: 0, Y: 0}})
	if err != nil {
		return err
	}
	centreMark.Shape = draw.CrossGlyph{}
	centreMark.Radius = vg.Points(5)
	centreMark.Color = color.White
	p.Add(centreMark)

	bar := plot.New()
	bar.Title.Text = "nats/token"
	bar.X.Label.Text = "grey: above"
	bar.X.Tick.Marker = plot.ConstantTicks(nil)
	bar.X.LineStyle.Width = 0
	bar.Y.Padding = 0
	var ticks []plot.Tick
	for i := range 5 {
		v := lo + (top-lo)*float64(i)/4
		ticks = append(ticks, plot.Tick{Value: v, Label: fmt.Sprintf("%.3f", v)})
	}
	bar.Y.Tick.Marker = plot.ConstantTicks(ticks)
	cb := &plotter.ColorBar{ColorMap: cm, Vertical: true}
	bar.Add(cb)

	c, err := plotfile.Canvas(path, 7*vg.Inch, 6*vg.Inch)
	if err != nil {
		return err
	}
	dc := draw.New(c)
	main := draw.Crop(dc, 0, -1.3*vg.Inch, 0, 0)
	side := draw.Crop(dc, 6*vg.Inch, 0, 0.5*vg.Inch, -0.8*vg.Inch)
	p.Draw(main)
	bar.Draw(side)
	return plotfile.Write(path, c)
}

// PlotSharpness writes each run's λ_max against its held-out loss, a
// marker per run named in the legend, atomically.
func (l Landscape) PlotSharpness(path string) error {
	if len(l.Runs) == 0 {
		return fmt.Errorf("study: landscape: no runs to plot")
	}
	p := plot.New()
	p.Title.Text = "sharpness and held-out loss at the end of each run"
	p.X.Label.Text = "λ_max of the train loss's Hessian"
	p.Y.Label.Text = "held-out loss (nats/token)"
	p.Add(plotter.NewGrid())
	for i, r := range l.Runs {
		sc, err := plotter.NewScatter(plotter.XYs{{X: r.LambdaMax, Y: r.HeldOut}})
		if err != nil {
			return err
		}
		sc.Color, sc.Shape, sc.Radius = plotutil.Color(i), plotutil.Shape(i), vg.Points(4)
		p.Add(sc)
		p.Legend.Add(r.Run, sc)
	}
	p.Legend.Top = true
	// Headroom above the points for the legend, a line per run.
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range l.Runs {
		lo, hi = math.Min(lo, r.HeldOut), math.Max(hi, r.HeldOut)
	}
	if hi == lo {
		hi, lo = hi+0.05, lo-0.05
	}
	p.Y.Min, p.Y.Max = lo-0.05*(hi-lo), hi+(hi-lo)*0.09*float64(len(l.Runs)+1)
	p.X.Padding, p.Y.Padding = vg.Points(20), vg.Points(10)
	// Close values (λ_max 14.84 and 15.44) must not share a tick label.
	p.X.Tick.Marker, p.Y.Tick.Marker = plotfile.Ticks{}, plotfile.Ticks{}
	return plotfile.Save(p, 6*vg.Inch, 4.5*vg.Inch, path)
}
