// Package report writes one self-contained HTML page about a directory
// that xent wrote: a checkpoint of xent train (its config, the loss
// curves, the held-out evaluation with every table of xent eval) or the
// --plots directory of xent's studies (each study's tables and figures).
//
// The page needs nothing but itself: the styles and the small script that
// sorts tables are inline, the figures drawn from the data are inline SVG,
// and the figure files found in the directory are embedded as data: URIs
// (as images, so nothing in a file can run script in the page). It prints
// on paper as it reads on screen, without the contents and sort marks.
//
// The layout is generic where the data is: a study's --json document is
// laid out by JSONTables whatever its fields, so a new study shows without
// a change here as long as it writes study-NAME.json (StudyFile) beside
// its figures.
package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"path/filepath"

	"github.com/xent-dev/xent/internal/version"
)

//go:embed page.html
var pageHTML string

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	// svg is an SVG drawn by this package (drawn), trusted as HTML.
	"svg": func(b []byte) template.HTML { return template.HTML(b) },
	// dataURI is a data: URI made by readFigure from a figure file's bytes.
	"dataURI": func(s string) template.URL { return template.URL(s) },
}).Parse(pageHTML))

// Render writes the page as HTML to w.
func (p *Page) Render(w io.Writer) error {
	sections, err := p.Sections()
	if err != nil {
		return err
	}
	if len(sections) == 0 {
		return fmt.Errorf("report: %s: nothing to show", p.Dir)
	}
	view := struct {
		Title, Dir, Build string
		Notes             []string
		Sections          []Section
	}{
		Title:    "xent report: " + filepath.Base(filepath.Clean(p.Dir)),
		Dir:      p.Dir,
		Build:    "written by " + version.Get().String(),
		Notes:    p.Notes,
		Sections: sections,
	}
	return pageTemplate.Execute(w, view)
}
