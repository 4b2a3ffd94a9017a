package eval

import (
	"fmt"
	"image/color"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/xent-dev/xent/internal/plotfile"
)

// PlotSize is the side of WritePlots' square figures.
const PlotSize = 5 * vg.Inch

// WritePlots writes the reliability diagram (reliability.FORMAT) and the
// loss by position (position.FORMAT) into dir; format is "svg" or "png".
// It returns the paths written.
func (r Report) WritePlots(dir, format string) ([]string, error) {
	if err := plotfile.CheckFormat(format); err != nil {
		return nil, fmt.Errorf("eval: %w", err)
	}
	rel, err := r.ReliabilityPlot()
	if err != nil {
		return nil, err
	}
	pos, err := r.PositionPlot()
	if err != nil {
		return nil, err
	}
	var paths []string
	for name, p := range map[string]*plot.Plot{"reliability": rel, "position": pos} {
		path := filepath.Join(dir, name+"."+format)
		if err := plotfile.Save(p, PlotSize, PlotSize, path); err != nil {
			return nil, fmt.Errorf("eval: %w", err)
		}
		paths = append(paths, path)
	}
	return paths, nil
}

// ReliabilityPlot draws each bin's accuracy as a bar over its confidence
// range, its mean confidence as a point, and the diagonal of perfect
// calibration.
func (r Report) ReliabilityPlot() (*plot.Plot, error) {
	p := plot.New()
	c := r.Calibration
	p.Title.Text = fmt.Sprintf("reliability: ECE %.3f, MCE %.3f", c.ECE, c.MCE)
	p.X.Label.Text = "confidence of the top-1 token"
	p.Y.Label.Text = "accuracy"
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	p.Add(plotter.NewGrid())
	var conf plotter.XYs
	for _, b := range c.Bins {
		if b.Count > 0 {
			conf = append(conf, plotter.XY{X: (b.Lo + b.Hi) / 2, Y: b.Confidence})
		}
	}
	diag, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
	if err != nil {
		return nil, err
	}
	diag.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(diag)
	p.Legend.Add("perfect calibration", diag)
	if len(conf) > 0 {
		bars := &plotter.Histogram{LineStyle: plotter.DefaultLineStyle}
		for _, b := range c.Bins {
			bars.Bins = append(bars.Bins, plotter.HistogramBin{Min: b.Lo, Max: b.Hi, Weight: b.Accuracy})
		}
		bars.FillColor = color.NRGBA{R: 90, G: 130, B: 200, A: 160} // not RGBA: its channels are premultiplied, so at most A
		p.Add(bars)
		p.Legend.Add("accuracy", bars)
		pts, err := plotter.NewScatter(conf)
		if err != nil {
			return nil, err
		}
		pts.Color = color.RGBA{R: 200, A: 255}
		p.Add(pts)
		p.Legend.Add("mean confidence", pts)
	}
	p.Legend.Top, p.Legend.Left = true, true
	return p, nil
}

// PositionPlot draws the mean loss by position in the window, on a log₂
// axis of the bucket's first position + 1.
func (r Report) PositionPlot() (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "loss by position in the window"
	p.X.Label.Text = "tokens of context (log scale)"
	p.Y.Label.Text = "mean NLL, nats/token"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Y.Tick.Marker = plotfile.Ticks{}
	p.Add(plotter.NewGrid())
	var pts plotter.XYs
	var ticks []plot.Tick // each bucket's, as few decades carry few log ticks
	for _, row := range r.ByPosition {
		if row.Tokens > 0 {
			pts = append(pts, plotter.XY{X: float64(row.Lo + 1), Y: row.MeanNLL})
			ticks = append(ticks, plot.Tick{Value: float64(row.Lo + 1), Label: strconv.Itoa(row.Lo + 1)})
		}
	}
	if len(ticks) > 1 {
		p.X.Tick.Marker = plot.ConstantTicks(ticks)
	}
	if len(pts) > 0 {
		l, s, err := plotter.NewLinePoints(pts)
		if err != nil {
			return nil, err
		}
		p.Add(l, s)
	}
	return p, nil
}
