package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/xent-dev/xent/internal/provenance"
	"github.com/xent-dev/xent/modeldir"
)

// writeReport prints a command's result under what produced it. As JSON
// the result's own fields come with a "source" object beside them (a
// result that is not a JSON object goes under "result"), indented when
// indent is set; as a table, the source's lines, a blank line, then the
// table.
func writeReport(w io.Writer, src provenance.Source, asJSON, indent bool, result any, table func(io.Writer) error) error {
	if !asJSON {
		if err := src.WriteTable(w); err != nil {
			return err
		}
		fmt.Fprintln(w)
		return table(w)
	}
	body, err := json.Marshal(result)
	if err != nil {
		return err
	}
	head, err := json.Marshal(src)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	switch {
	case bytes.Equal(body, []byte("{}")):
		fmt.Fprintf(&out, `{"source":%s}`, head)
	case len(body) > 0 && body[0] == '{':
		fmt.Fprintf(&out, `{"source":%s,%s`, head, body[1:])
	default:
		fmt.Fprintf(&out, `{"source":%s,"result":%s}`, head, body)
	}
	if indent {
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, out.Bytes(), "", "  "); err != nil {
			return err
		}
		out = pretty
	}
	out.WriteByte('\n')
	_, err = w.Write(out.Bytes())
	return err
}

// modelSource names the model directory dir for a report; a weight file
// that cannot be read again leaves the hash out rather than fail a
// finished run's report.
func modelSource(dir string) *provenance.Model {
	m, err := modeldir.ModelProvenance(dir)
	if err != nil {
		return &provenance.Model{Path: dir}
	}
	return &m
}
