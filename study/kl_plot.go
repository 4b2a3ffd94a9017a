package study

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/xent-dev/xent/internal/plotfile"
)

// Plot writes the toy's figure, atomically: the target density p and the
// forward and reverse Gaussian fits over the grid.
func (t Toy) Plot(path string) error {
	p := plot.New()
	p.Title.Text = "one Gaussian fitted to two: forward KL covers, reverse KL seeks"
	p.X.Label.Text = "x"
	p.Y.Label.Text = "density"
	// About a thousand points are plenty for the eye.
	// The x range shows both modes and both fits, not the grid's far tails.
	o, f := t.Options, t.Forward
	lo := min(o.Means[0]-4*o.Widths[0], o.Means[1]-4*o.Widths[1], f.Mu-3*f.Sigma)
	hi := max(o.Means[0]+4*o.Widths[0], o.Means[1]+4*o.Widths[1], f.Mu+3*f.Sigma)
	stride := max(1, len(t.x)/1000)
	series := func(y func(i int) float64) plotter.XYs {
		var pts plotter.XYs
		for i := 0; i < len(t.x); i += stride {
			if t.x[i] >= lo && t.x[i] <= hi {
				pts = append(pts, plotter.XY{X: t.x[i], Y: y(i)})
			}
		}
		return pts
	}
	normal := func(f ToyFit) func(int) float64 {
		return func(i int) float64 { return math.Exp(logNormal(t.x[i], f.Mu, f.Sigma)) }
	}
	dashed := []vg.Length{vg.Points(5), vg.Points(3)}
	for k, s := range []struct {
		name   string
		y      func(int) float64
		dashes []vg.Length
	}{
		{"target p (two modes)", func(i int) float64 { return t.p[i] / t.dx }, nil},
		{"q = argmin KL(p‖q): forward", normal(t.Forward), dashed},
		{"q = argmin KL(q‖p): reverse", normal(t.Reverse), nil},
	} {
		l, err := plotter.NewLine(series(s.y))
		if err != nil {
			return err
		}
		l.Color = plotutil.Color(k)
		l.Dashes = s.dashes
		l.Width = vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(s.name, l)
	}
	p.Add(plotter.NewGrid())
	p.Legend.Top, p.Legend.Left = true, true
	p.Y.Min, p.Y.Max = 0, 1.25*p.Y.Max // room for the legend
	return plotfile.Save(p, 7*vg.Inch, 4.5*vg.Inch, path)
}

// Plot writes the distillation's figure, atomically: for the teacher's
// top-k ranks, the mean probability the teacher and each student give the
// teacher's rank-r token, and beside it each model's mean entropy.
func (d Distillation) Plot(path string) error {
	names := []string{"teacher"}
	probs := [][]float64{d.Teacher.RankProb}
	entropy := []float64{d.Teacher.Entropy}
	for _, s := range d.Students {
		names = append(names, s.Direction+" KL student")
		probs = append(probs, s.RankProb)
		entropy = append(entropy, s.Entropy)
	}
	ranks := plot.New()
	ranks.Title.Text = "probability given to the teacher's top-k tokens"
	ranks.X.Label.Text = "the teacher's rank of the token"
	ranks.Y.Label.Text = "mean probability"
	w := vg.Points(14)
	for i, p := range probs {
		b, err := plotter.NewBarChart(plotter.Values(p), w)
		if err != nil {
			return err
		}
		b.Color = plotutil.Color(i)
		b.LineStyle.Width = 0
		b.Offset = w * vg.Length(float64(i)-float64(len(probs)-1)/2)
		ranks.Add(b)
		ranks.Legend.Add(names[i], b)
	}
	labels := make([]string, len(probs[0]))
	for r := range labels {
		labels[r] = fmt.Sprint(r + 1)
	}
	ranks.NominalX(labels...)
	ranks.Legend.Top = true
	ranks.Y.Min, ranks.Y.Max = 0, 1.3*ranks.Y.Max // room for the legend
	ranks.Add(plotter.NewGrid())

	ent := plot.New()
	ent.Title.Text = "mean entropy of the next-token distribution"
	ent.Y.Label.Text = "nats"
	for i, h := range entropy {
		b, err := plotter.NewBarChart(plotter.Values{h}, vg.Points(30))
		if err != nil {
			return err
		}
		b.Color = plotutil.Color(i)
		b.LineStyle.Width = 0
		b.XMin = float64(i)
		ent.Add(b)
	}
	ent.NominalX(names...)
	ent.Y.Min, ent.Y.Max = 0, 1.1*ent.Y.Max
	ent.Add(plotter.NewGrid())

	c, err := plotfile.Canvas(path, 10*vg.Inch, 4.5*vg.Inch)
	if err != nil {
		return err
	}
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: 6 * vg.Millimeter, PadY: vg.Millimeter,
		PadTop: 2 * vg.Millimeter, PadBottom: 2 * vg.Millimeter, PadLeft: 2 * vg.Millimeter, PadRight: 2 * vg.Millimeter}
	grid := [][]*plot.Plot{{ranks, ent}}
	canvases := plot.Align(grid, tiles, draw.New(c))
	ranks.Draw(canvases[0][0])
	ent.Draw(canvases[0][1])
	return plotfile.Write(path, c)
}
