package train

import (
	"encoding/json"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/xent-dev/xent/internal/plotfile"
)

// LossPlotWidth and LossPlotHeight are the loss curve's size.
const LossPlotWidth, LossPlotHeight = 6 * vg.Inch, 4 * vg.Inch

// plotLoss writes the loss curve (LossPlot) to path, as an SVG.
func plotLoss(path string, metrics []json.RawMessage) error {
	p, err := LossPlot(metrics)
	if err != nil {
		return err
	}
	return plotfile.Save(p, LossPlotWidth, LossPlotHeight, path)
}

// LossPlot draws the training loss per step and the held-out loss at each
// evaluation from a run's metrics lines (metrics.jsonl); lines without a
// step's loss or an evaluation's are skipped.
func LossPlot(metrics []json.RawMessage) (*plot.Plot, error) {
	var trainPts, valPts plotter.XYs
	for _, raw := range metrics {
		var m struct {
			Step    int      `json:"step"`
			Loss    *float64 `json:"loss"`
			ValLoss *float64 `json:"val_loss"`
		}
		if json.Unmarshal(raw, &m) != nil {
			continue
		}
		if m.Loss != nil {
			trainPts = append(trainPts, plotter.XY{X: float64(m.Step), Y: *m.Loss})
		}
		if m.ValLoss != nil {
			valPts = append(valPts, plotter.XY{X: float64(m.Step), Y: *m.ValLoss})
		}
	}
	p := plot.New()
	p.Title.Text = "cross-entropy"
	p.X.Label.Text = "step"
	p.Y.Label.Text = "nats / token"
	p.Y.Tick.Marker = plotfile.Ticks{}
	p.Legend.Top = true // the curves fall: the top right is free
	p.Add(plotter.NewGrid())
	if len(trainPts) > 0 {
		l, err := plotter.NewLine(trainPts)
		if err != nil {
			return nil, err
		}
		p.Add(l)
		p.Legend.Add("train", l)
	}
	if len(valPts) > 0 {
		l, pts, err := plotter.NewLinePoints(valPts)
		if err != nil {
			return nil, err
		}
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
		p.Add(l, pts)
		p.Legend.Add("held-out", l, pts)
	}
	return p, nil
}
