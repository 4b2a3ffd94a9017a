package plotfile

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

// TestSaveEachFormat writes one plot in every format and checks each
// file starts with its format's magic bytes.
func TestSaveEachFormat(t *testing.T) {
	dir := t.TempDir()
	magic := map[string][]byte{"svg": []byte("<?xml"), "png": []byte("\x89PNG"), "pdf": []byte("%PDF")}
	for _, f := range Formats {
		p := plot.New()
		p.Title.Text = "a figure"
		path := filepath.Join(dir, "fig."+f)
		if err := Save(p, 3*vg.Inch, 2*vg.Inch, path); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, magic[f]) {
			t.Errorf("%s starts %q", path, b[:min(8, len(b))])
		}
	}
	if err := Save(plot.New(), vg.Inch, vg.Inch, filepath.Join(dir, "fig.jpeg")); err == nil || !strings.Contains(err.Error(), "want svg, png, pdf") {
		t.Errorf("a .jpeg: err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "fig.jpeg")); err == nil {
		t.Error("a refused format left a file")
	}
}
