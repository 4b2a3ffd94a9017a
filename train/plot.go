package train

import (
	"encoding/json"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/xent-dev/xent/internal/plotfile"
)

// plotLoss draws the training loss per step and the validation loss at
// each evaluation from the metrics lines, as an SVG.
func plotLoss(path string, metrics []json.RawMessage) error {
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
	p.Add(plotter.NewGrid())
	if len(trainPts) > 0 {
		l, err := plotter.NewLine(trainPts)
		if err != nil {
			return err
		}
		p.Add(l)
		p.Legend.Add("train", l)
	}
	if len(valPts) > 0 {
		l, pts, err := plotter.NewLinePoints(valPts)
		if err != nil {
			return err
		}
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
		p.Add(l, pts)
		p.Legend.Add("held-out", l, pts)
	}
	return plotfile.Save(p, 6*vg.Inch, 4*vg.Inch, path)
}
