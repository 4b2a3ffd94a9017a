package study

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/xent-dev/xent/internal/plotfile"
)

// Plot writes the reliability diagrams of every run in one figure, as an
// SVG (or the format path's extension names), atomically: above, each
// non-empty confidence bin's accuracy against its mean confidence, with
// the diagonal of perfect calibration (below it: overconfident); below,
// the share of held-out tokens whose top-1 confidence falls in each bin
// (log scale; empty bins left out).
// One colour per ε; a seed's runs share a dash pattern.
func (s Smoothing) Plot(path string) error {
	if len(s.Runs) == 0 {
		return fmt.Errorf("study: smoothing: no runs to plot")
	}
	rel, share := plot.New(), plot.New()
	rel.Title.Text = "reliability of every run (one colour per ε, one dash pattern per seed)"
	rel.X.Label.Text = "mean confidence of the top-1 token in the bin"
	rel.Y.Label.Text = "accuracy in the bin"
	share.X.Label.Text = "confidence of the top-1 token (bin of 1/15)"
	share.Y.Label.Text = "share of tokens in the bin"
	rel.X.Min, rel.X.Max, rel.Y.Min, rel.Y.Max = 0, 1, 0, 1
	share.X.Min, share.X.Max = 0, 1
	share.Y.Scale = plot.LogScale{}
	share.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	diag, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
	if err != nil {
		return err
	}
	diag.Color = color.Gray{Y: 90}
	diag.Dashes = []vg.Length{vg.Points(1), vg.Points(2)}
	rel.Add(plotter.NewGrid(), diag)
	rel.Legend.Add("perfect calibration", diag)
	share.Add(plotter.NewGrid())
	colour := map[float64]int{}
	for i, e := range s.Options.Epsilons {
		colour[e] = i
	}
	seed := map[uint64]int{}
	for i, x := range s.Options.Seeds {
		seed[x] = i
	}
	lowest := 1.0 // the smallest share of a non-empty bin
	for _, r := range s.Runs {
		var acc, frac plotter.XYs
		var n int64
		for _, b := range r.Bins {
			n += b.Count
		}
		for _, b := range r.Bins {
			if b.Count > 0 {
				acc = append(acc, plotter.XY{X: b.Confidence, Y: b.Accuracy})
				frac = append(frac, plotter.XY{X: (b.Lo + b.Hi) / 2, Y: float64(b.Count) / float64(n)})
				lowest = min(lowest, float64(b.Count)/float64(n))
			}
		}
		style := func(l *plotter.Line) {
			l.Color = plotutil.Color(colour[r.Epsilon])
			l.Dashes = plotutil.Dashes(seed[r.Seed])
			l.Width = vg.Points(1.2)
		}
		l, pts, err := plotter.NewLinePoints(acc)
		if err != nil {
			return err
		}
		style(l)
		pts.Color, pts.Shape, pts.Radius = l.Color, draw.CircleGlyph{}, vg.Points(1.5)
		rel.Add(l, pts)
		f, err := plotter.NewLine(frac)
		if err != nil {
			return err
		}
		style(f)
		share.Add(f)
		if seed[r.Seed] == 0 {
			rel.Legend.Add(fmt.Sprintf("ε %g", r.Epsilon), l)
		}
	}
	share.Y.Min, share.Y.Max = lowest/2, 1.5 // the log axis: a range that holds every share
	rel.Legend.Top, rel.Legend.Left = true, true
	rel.Legend.XOffs, rel.Legend.YOffs = vg.Points(6), -vg.Points(6)
	c, err := plotfile.Canvas(path, 6*vg.Inch, 8*vg.Inch)
	if err != nil {
		return err
	}
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadX: vg.Millimeter, PadY: 4 * vg.Millimeter,
		PadTop: 2 * vg.Millimeter, PadBottom: 2 * vg.Millimeter, PadLeft: 2 * vg.Millimeter, PadRight: 2 * vg.Millimeter}
	dc := draw.New(c)
	for i, p := range []*plot.Plot{rel, share} {
		p.Draw(tiles.At(dc, 0, i))
	}
	return plotfile.Write(path, c)
}
