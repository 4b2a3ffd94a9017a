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

// plotFloor is where the log-scale plots put an error of zero.
const plotFloor = 1e-10

// Plot writes the synthetic rows' errors against V as an SVG (or the
// format path's extension names), atomically: one column per logit
// spread, the mean |Δloss| above the gradient's relative L2 error, one
// line per arithmetic, log-log, and the legend in a last column; with a
// step change, the loss panels carry |loss change of one optimizer step|
// as a dashed line. Errors of zero are drawn at 1e-10.
func (p Precision) Plot(path string) error {
	var spreads []float64
	for _, r := range p.Rows {
		if r.Logits == "synthetic" && !containsFloat(spreads, r.Spread) {
			spreads = append(spreads, r.Spread)
		}
	}
	if len(spreads) == 0 {
		return fmt.Errorf("study: precision: no synthetic rows to plot")
	}
	var vocabs []float64
	for _, r := range p.Rows {
		if r.Logits == "synthetic" && !containsFloat(vocabs, float64(r.V)) {
			vocabs = append(vocabs, float64(r.V))
		}
	}
	var vTicks []plot.Tick
	for _, v := range vocabs {
		label := fmt.Sprint(v)
		if int(v)%1024 == 0 {
			label = fmt.Sprintf("%dk", int(v)/1024)
		}
		vTicks = append(vTicks, plot.Tick{Value: v, Label: label})
	}
	// One column per spread, and a last one for the legend.
	legend := plot.New()
	legend.HideAxes()
	legend.Legend.Top, legend.Legend.Left = true, true
	legend.Legend.TextStyle.Font.Size = vg.Points(11)
	blank := plot.New()
	blank.HideAxes()
	plots := [][]*plot.Plot{make([]*plot.Plot, len(spreads)+1), make([]*plot.Plot, len(spreads)+1)}
	plots[0][len(spreads)], plots[1][len(spreads)] = legend, blank
	for c, sd := range spreads {
		lp, gp := plot.New(), plot.New()
		lp.Title.Text = fmt.Sprintf("logit std %g: loss error", sd)
		lp.Y.Label.Text = "mean |loss − loss₆₄| (nats)"
		gp.Title.Text = fmt.Sprintf("logit std %g: gradient error", sd)
		gp.Y.Label.Text = "‖g − g₆₄‖ / ‖g₆₄‖"
		for _, q := range []*plot.Plot{lp, gp} {
			q.X.Label.Text = "vocabulary V"
			q.X.Scale, q.Y.Scale = plot.LogScale{}, plot.LogScale{}
			q.X.Tick.Marker, q.Y.Tick.Marker = plot.ConstantTicks(vTicks), plot.LogTicks{Prec: 1}
			q.Add(plotter.NewGrid())
		}
		for k, a := range Arithmetics {
			var lxy, gxy plotter.XYs
			for _, r := range p.Rows {
				if r.Logits == "synthetic" && r.Arithmetic == a.Name && r.Spread == sd {
					lxy = append(lxy, plotter.XY{X: float64(r.V), Y: math.Max(r.LossAbsMean, plotFloor)})
					gxy = append(gxy, plotter.XY{X: float64(r.V), Y: math.Max(r.GradRelL2, plotFloor)})
				}
			}
			for _, s := range []struct {
				q   *plot.Plot
				xys plotter.XYs
			}{{lp, lxy}, {gp, gxy}} {
				l, pts, err := plotter.NewLinePoints(s.xys)
				if err != nil {
					return err
				}
				l.Color, pts.Color = plotutil.Color(k), plotutil.Color(k)
				pts.Shape = plotutil.Shape(k)
				s.q.Add(l, pts)
				if c == 0 && s.q == lp {
					legend.Legend.Add(a.Name, l, pts)
				}
			}
		}
		if p.Step != nil && p.Step.Change != 0 {
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, r := range p.Rows {
				if r.Logits == "synthetic" {
					lo, hi = math.Min(lo, float64(r.V)), math.Max(hi, float64(r.V))
				}
			}
			y := math.Abs(p.Step.Change)
			l, err := plotter.NewLine(plotter.XYs{{X: lo, Y: y}, {X: hi, Y: y}})
			if err != nil {
				return err
			}
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
			lp.Add(l)
			if c == 0 {
				legend.Legend.Add("|Δloss| of one optimizer step", l)
			}
		}
		plots[0][c], plots[1][c] = lp, gp
	}
	c, err := plotfile.Canvas(path, vg.Length(len(spreads)+1)*3.5*vg.Inch, 7*vg.Inch)
	if err != nil {
		return err
	}
	tiles := draw.Tiles{Rows: 2, Cols: len(spreads) + 1, PadX: 4 * vg.Millimeter, PadY: 4 * vg.Millimeter,
		PadTop: 2 * vg.Millimeter, PadBottom: 2 * vg.Millimeter, PadLeft: 2 * vg.Millimeter, PadRight: 2 * vg.Millimeter}
	canvases := plot.Align(plots, tiles, draw.New(c))
	for i := range plots {
		for j := range plots[i] {
			plots[i][j].Draw(canvases[i][j])
		}
	}
	return plotfile.Write(path, c)
}

func containsFloat(xs []float64, x float64) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
