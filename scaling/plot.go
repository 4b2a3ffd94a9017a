package scaling

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/xent-dev/xent/internal/plotfile"
)

// logGrid is a fitted surface sampled on a grid that is geometric in N
// (columns) and D (rows), for gonum's contour plotter.
type logGrid struct {
	ns, ds []float64
	z      [][]float64 // [len(ds)][len(ns)]
}

func (g logGrid) Dims() (c, r int)   { return len(g.ns), len(g.ds) }
func (g logGrid) Z(c, r int) float64 { return g.z[r][c] }
func (g logGrid) X(c int) float64    { return g.ns[c] }
func (g logGrid) Y(r int) float64    { return g.ds[r] }
func geomSpace(lo, hi float64, n int) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = lo * math.Pow(hi/lo, float64(i)/float64(n-1))
	}
	return xs
}

// PlotChinchilla draws the runs on log axes of N and D, the fitted
// surface's iso-loss contours, and its efficient frontier (N_opt(C),
// D_opt(C)); the format (.svg, .png or .pdf) follows path's extension. The file
// is written atomically.
func PlotChinchilla(path string, runs []Run, law Chinchilla) error {
	nLo, nHi, dLo, dHi := math.Inf(1), 0.0, math.Inf(1), 0.0
	lLo, lHi := math.Inf(1), 0.0
	for _, r := range runs {
		nLo, nHi, dLo, dHi = min(nLo, r.N), max(nHi, r.N), min(dLo, r.D), max(dHi, r.D)
		lLo, lHi = min(lLo, r.Loss), max(lHi, r.Loss)
	}
	// A margin of a factor 2 around the data.
	nLo, nHi, dLo, dHi = nLo/2, nHi*2, dLo/2, dHi*2
	const cells = 80
	g := logGrid{ns: geomSpace(nLo, nHi, cells), ds: geomSpace(dLo, dHi, cells)}
	finite := true // gonum's contours panic on a surface with NaN or ±Inf
	for _, d := range g.ds {
		row := make([]float64, cells)
		for c, n := range g.ns {
			row[c] = law.Loss(n, d)
			finite = finite && !math.IsNaN(row[c]) && !math.IsInf(row[c], 0)
		}
		g.z = append(g.z, row)
	}

	p := plot.New()
	p.Title.Text = fmt.Sprintf("L(N, D) = %.3g + %.3g/N^%.3g + %.3g/D^%.3g", law.E, law.A, law.Alpha, law.B, law.Beta)
	p.X.Label.Text = "N (parameters)"
	p.Y.Label.Text = "D (tokens)"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.LogTicks{Prec: -1}, plot.LogTicks{Prec: -1}
	p.Legend.Top, p.Legend.Left = true, true
	p.Add(plotter.NewGrid())

	// Iso-loss contours at levels spread over the runs' losses.
	levels := 6
	if !finite {
		levels = 0
		p.Title.Text += "\n(not finite over this range: no contours)"
	}
	for i := range levels {
		lv := lLo + (lHi-lLo)*(float64(i)+0.5)/float64(levels)
		c := plotter.NewContour(g, []float64{lv}, nil)
		style := draw.LineStyle{Color: plotutil.Color(i), Width: vg.Points(1)}
		c.LineStyles = []draw.LineStyle{style}
		p.Add(c)
		p.Legend.Add(fmt.Sprintf("L = %.3f", lv), &plotter.Line{LineStyle: style})
	}

	// The efficient frontier across the plotted compute.
	if _, err := law.Allocation(); err == nil {
		var front plotter.XYs
		for _, c := range geomSpace(6*nLo*dLo, 6*nHi*dHi, 200) {
			n, d, _ := law.Optimal(c)
			if n >= nLo && n <= nHi && d >= dLo && d <= dHi {
				front = append(front, plotter.XY{X: n, Y: d})
			}
		}
		if len(front) > 1 {
			l, err := plotter.NewLine(front)
			if err != nil {
				return err
			}
			l.Width = vg.Points(2)
			l.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
			p.Add(l)
			p.Legend.Add("compute-optimal N, D", l)
		}
	}

	pts := make(plotter.XYs, len(runs))
	for i, r := range runs {
		pts[i] = plotter.XY{X: r.N, Y: r.D}
	}
	s, err := plotter.NewScatter(pts)
	if err != nil {
		return err
	}
	s.GlyphStyle.Shape = draw.CircleGlyph{}
	s.GlyphStyle.Radius = vg.Points(2.5)
	p.Add(s)
	p.Legend.Add("runs", s)
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = nLo, nHi, dLo, dHi
	return savePlot(p, path)
}

// PlotKaplan draws the runs' loss against N, D or C on log-log axes, the
// envelope the law was fitted to, and the fitted power law.
func PlotKaplan(path string, runs []Run, fit KaplanFit, v Variable) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("L(%s) = (%.3g/%s)^%.4f", v, fit.Law.Scale, v, fit.Law.Alpha)
	p.X.Label.Text = map[Variable]string{ByN: "N (parameters)", ByD: "D (tokens)", ByC: "C (FLOPs)"}[v]
	p.Y.Label.Text = "loss (nats/token)"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.LogTicks{Prec: -1}, plot.LogTicks{Prec: 3}
	p.Add(plotter.NewGrid())
	all := make(plotter.XYs, len(runs))
	xLo, xHi := math.Inf(1), 0.0
	for i, r := range runs {
		all[i] = plotter.XY{X: v.Of(r), Y: r.Loss}
		xLo, xHi = min(xLo, v.Of(r)), max(xHi, v.Of(r))
	}
	env := make(plotter.XYs, len(fit.Points))
	for i, r := range fit.Points {
		env[i] = plotter.XY{X: v.Of(r), Y: r.Loss}
	}
	var line plotter.XYs
	for _, x := range geomSpace(xLo, xHi, 100) {
		line = append(line, plotter.XY{X: x, Y: fit.Law.Loss(x)})
	}
	sAll, err := plotter.NewScatter(all)
	if err != nil {
		return err
	}
	sAll.GlyphStyle.Color = color.Gray{Y: 150}
	sEnv, err := plotter.NewScatter(env)
	if err != nil {
		return err
	}
	sEnv.GlyphStyle.Shape = draw.CircleGlyph{}
	sEnv.GlyphStyle.Radius = vg.Points(3)
	l, err := plotter.NewLine(line)
	if err != nil {
		return err
	}
	l.Color = color.RGBA{R: 200, A: 255}
	p.Add(sAll, sEnv, l)
	p.Legend.Add("runs", sAll)
	p.Legend.Add("envelope (fitted)", sEnv)
	p.Legend.Add("power law", l)
	return savePlot(p, path)
}

// savePlot writes p atomically in the format of path's extension.
func savePlot(p *plot.Plot, path string) error {
	if err := plotfile.Save(p, 7*vg.Inch, 5*vg.Inch, path); err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	return nil
}
