// Package plotfile writes gonum plots to files, atomically, in the format
// a file's extension names: the one way every xent figure is saved.
package plotfile

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/xent-dev/xent/internal/atomicfile"
)

// Formats are the figure formats, as the --plot-format flag and file
// extensions spell them.
var Formats = []string{"svg", "png", "pdf"}

// CheckFormat refuses a format not in Formats.
func CheckFormat(format string) error {
	for _, f := range Formats {
		if format == f {
			return nil
		}
	}
	return fmt.Errorf("plot format %q: want %s", format, strings.Join(Formats, ", "))
}

// FormatOf is the format path's extension names.
func FormatOf(path string) (string, error) {
	format := strings.ToLower(strings.TrimPrefix(filepath.Ext(path), "."))
	if err := CheckFormat(format); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return format, nil
}

// Canvas is a w × h canvas for path's format.
func Canvas(path string, w, h vg.Length) (vg.CanvasWriterTo, error) {
	format, err := FormatOf(path)
	if err != nil {
		return nil, err
	}
	switch format {
	case "png":
		return vgimg.PngCanvas{Canvas: vgimg.New(w, h)}, nil
	case "pdf":
		return vgpdf.New(w, h), nil
	}
	return vgsvg.New(w, h), nil
}

// Write writes a drawn canvas to path atomically.
func Write(path string, c vg.CanvasWriterTo) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		_, err := c.WriteTo(w)
		return err
	})
}

// Save draws p on a w × h canvas and writes it to path atomically, in
// the format of path's extension.
func Save(p *plot.Plot, w, h vg.Length, path string) error {
	c, err := Canvas(path, w, h)
	if err != nil {
		return err
	}
	p.Draw(draw.New(c))
	return Write(path, c)
}

// SVG draws p on a w × h canvas and returns the SVG document's bytes, for
// a page that embeds the figure rather than link a file.
func SVG(p *plot.Plot, w, h vg.Length) ([]byte, error) {
	c := vgsvg.New(w, h)
	p.Draw(draw.New(c))
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Ticks are gonum's default ticks (plot.DefaultTicks) with labels that
// tell them apart: where the default format prints two labelled ticks
// alike (4.8 and 4.8 for 4.81 and 4.82, over a narrow range), they get
// the fewest decimals that separate them.
type Ticks struct{}

// Ticks implements plot.Ticker.
func (Ticks) Ticks(min, max float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(min, max)
	for prec := 0; prec <= 12 && !distinctLabels(ts); prec++ {
		for i := range ts {
			if ts[i].Label != "" {
				ts[i].Label = strconv.FormatFloat(ts[i].Value, 'f', prec, 64)
			}
		}
	}
	return ts
}

// distinctLabels reports whether no two labelled ticks print alike.
func distinctLabels(ts []plot.Tick) bool {
	seen := map[string]bool{}
	for _, t := range ts {
		if t.Label == "" {
			continue
		}
		if seen[t.Label] {
			return false
		}
		seen[t.Label] = true
	}
	return true
}
