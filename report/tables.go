package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Table is one table of a page: a title, its column heads and its rows,
// each row as many cells as there are columns.
type Table struct {
	Title   string
	Columns []string
	Rows    [][]Cell
}

// Cell is one table cell: the text shown and, for a number, its value,
// which the page sorts by (Num false: sorted as text).
type Cell struct {
	Text  string
	Value float64
	Num   bool
	Exact string // the number as the JSON has it, shown on hover when Text rounds it
}

// KV reports whether t is a list of fields and values, which the page
// sets side by side.
func (t *Table) KV() bool {
	return len(t.Columns) == 2 && t.Columns[0] == "field" && t.Columns[1] == "value"
}

// longTable is the number of rows above which the page folds a table
// away (a click opens it; printing opens them all).
const longTable = 25

// Long reports whether the page folds t away.
func (t *Table) Long() bool { return len(t.Rows) > longTable }

// textCell is a cell of text.
func textCell(s string) Cell { return Cell{Text: s} }

// numCell is a cell of the number x, shown with format ("" for the
// default: Number's).
func numCell(x float64, format string) Cell {
	if format == "" {
		return Cell{Text: Number(x), Value: x, Num: true}
	}
	return Cell{Text: fmt.Sprintf(format, x), Value: x, Num: true}
}

// Number formats x for a table: an integer as one (no exponent below
// 10¹⁵), anything else with five significant digits.
func Number(x float64) string {
	switch {
	case math.IsNaN(x) || math.IsInf(x, 0):
		return strconv.FormatFloat(x, 'g', -1, 64)
	case x == math.Trunc(x) && math.Abs(x) < 1e15:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return strconv.FormatFloat(x, 'g', 5, 64)
}

// jsonCell is the cell of one JSON value: a number (kept exactly for the
// hover text), a string, a boolean, null as empty, and anything else
// (an array or object that the flattening left) as compact JSON.
func jsonCell(v any) Cell {
	switch x := v.(type) {
	case nil:
		return Cell{}
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return textCell(x.String())
		}
		c := numCell(f, "")
		if c.Text != x.String() {
			c.Exact = x.String()
		}
		return c
	case string:
		return textCell(x)
	case bool:
		return textCell(strconv.FormatBool(x))
	}
	b, _ := json.Marshal(v)
	s := string(b)
	if len(s) > 200 {
		s = s[:197] + "…"
	}
	return textCell(s)
}

// decodeJSON decodes doc keeping numbers as json.Number and objects'
// keys in their order (as ordered).
func decodeJSON(doc []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	v, err := decodeValue(d)
	if err != nil {
		return nil, err
	}
	if _, err := d.Token(); err == nil {
		return nil, fmt.Errorf("more than one JSON value")
	}
	return v, nil
}

// ordered is a JSON object with its keys in the document's order.
type ordered struct {
	keys []string
	vals map[string]any
}

func decodeValue(d *json.Decoder) (any, error) {
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := &ordered{vals: map[string]any{}}
			for d.More() {
				kt, err := d.Token()
				if err != nil {
					return nil, err
				}
				k := kt.(string)
				v, err := decodeValue(d)
				if err != nil {
					return nil, err
				}
				if _, dup := o.vals[k]; !dup {
					o.keys = append(o.keys, k)
				}
				o.vals[k] = v
			}
			_, err := d.Token() // '}'
			return o, err
		case '[':
			a := []any{}
			for d.More() {
				v, err := decodeValue(d)
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
			_, err := d.Token() // ']'
			return a, err
		}
	}
	return tok, nil
}

// MarshalJSON writes the object back with its keys in order, for the
// cells that show a nested value as JSON.
func (o *ordered) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		vb, err := json.Marshal(o.vals[k])
		if err != nil {
			return nil, err
		}
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// JSONTables lays out any JSON document as tables, generically, so that a
// study's --json document shows whatever its study measured:
//
//   - the scalars of an object (and of the objects inside it that hold
//     only scalars, as "outer.inner" rows) form one two-column table,
//     titled by the object's path (title for the document itself);
//   - an array of objects is a table of its own, one row per element,
//     one column per key (the union in first-seen order; nested objects
//     flattened as "outer.inner", arrays inside shown as JSON);
//   - an array of scalars is one row of the scalar table, comma-separated;
//   - objects of scalars side by side with the same keys (two fits of one
//     family, say) are one table, a row each;
//   - any other nested object is laid out the same way under its path.
//
// Keys in skip (at the top level only) are left out: the page shows a
// document's "source" on its own.
func JSONTables(doc []byte, title string, skip ...string) ([]Table, error) {
	v, err := decodeJSON(doc)
	if err != nil {
		return nil, err
	}
	var out []Table
	layout(v, title, skip, &out)
	return out, nil
}

// layout appends the tables of v, at path, to out.
func layout(v any, path string, skip []string, out *[]Table) {
	switch x := v.(type) {
	case *ordered:
		kv := Table{Title: path, Columns: []string{"field", "value"}}
		at := len(*out)
		*out = append(*out, kv) // first; filled after the recursion below
		var nested []func()
		alike := alikeObjects(x, skip)
		for _, k := range x.keys {
			if slices.Contains(skip, k) {
				continue
			}
			val := x.vals[k]
			if group, ok := alike[k]; ok {
				if group[0] == k { // the group's table, once
					nested = append(nested, func() { *out = append(*out, alikeTable(x, group, path)) })
				}
				continue
			}
			switch y := val.(type) {
			case *ordered:
				if flat, ok := flatScalars(y, k); ok {
					kv.Rows = append(kv.Rows, flat...)
					continue
				}
				nested = append(nested, func() { layout(y, join(path, k), nil, out) })
			case []any:
				if scalars(y) {
					kv.Rows = append(kv.Rows, []Cell{textCell(k), scalarList(y)})
					continue
				}
				nested = append(nested, func() { layout(y, join(path, k), nil, out) })
			default:
				kv.Rows = append(kv.Rows, []Cell{textCell(k), jsonCell(val)})
			}
		}
		(*out)[at] = kv
		for _, f := range nested {
			f()
		}
		if len(kv.Rows) == 0 { // only nested tables: drop the empty one
			*out = append((*out)[:at], (*out)[at+1:]...)
		}
	case []any:
		if len(x) == 0 {
			return
		}
		if !objects(x) {
			// mixed or nested arrays: one row per element, as JSON
			t := Table{Title: path, Columns: []string{"#", "value"}}
			for i, e := range x {
				t.Rows = append(t.Rows, []Cell{numCell(float64(i), ""), jsonCell(e)})
			}
			*out = append(*out, t)
			return
		}
		t := Table{Title: path}
		rows := make([]map[string]any, len(x))
		for i, e := range x {
			rows[i] = map[string]any{}
			flatten(e.(*ordered), "", rows[i], &t.Columns)
		}
		for _, r := range rows {
			cells := make([]Cell, len(t.Columns))
			for j, c := range t.Columns {
				cells[j] = jsonCell(r[c])
			}
			t.Rows = append(t.Rows, cells)
		}
		*out = append(*out, t)
	default:
		*out = append(*out, Table{Title: path, Columns: []string{"value"}, Rows: [][]Cell{{jsonCell(v)}}})
	}
}

// alikeObjects finds the fields of o that are objects of scalars with the
// same keys, two or more of them (three fits of one family, say): each
// such field maps to its group's keys, in order, for one table with a row
// per field.
func alikeObjects(o *ordered, skip []string) map[string][]string {
	bySig := map[string][]string{}
	var sigs []string
	for _, k := range o.keys {
		y, ok := o.vals[k].(*ordered)
		if !ok || slices.Contains(skip, k) || len(y.keys) == 0 {
			continue
		}
		if _, flat := flatScalars(y, k); !flat {
			continue
		}
		sig := strings.Join(y.keys, "\x00")
		if _, seen := bySig[sig]; !seen {
			sigs = append(sigs, sig)
		}
		bySig[sig] = append(bySig[sig], k)
	}
	out := map[string][]string{}
	for _, sig := range sigs {
		if g := bySig[sig]; len(g) > 1 {
			for _, k := range g {
				out[k] = g
			}
		}
	}
	return out
}

// alikeTable is the table of o's alike fields group: a row per field.
func alikeTable(o *ordered, group []string, path string) Table {
	keys := o.vals[group[0]].(*ordered).keys
	first := "name"
	if slices.Contains(keys, first) {
		first = "field"
	}
	t := Table{Title: join(path, strings.Join(group, ", ")), Columns: append([]string{first}, keys...)}
	for _, k := range group {
		y := o.vals[k].(*ordered)
		row := []Cell{textCell(k)}
		for _, c := range keys {
			if a, ok := y.vals[c].([]any); ok {
				row = append(row, scalarList(a))
			} else {
				row = append(row, jsonCell(y.vals[c]))
			}
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// flatScalars is o's fields as "prefix.key" rows when o holds only
// scalars (or arrays of them).
func flatScalars(o *ordered, prefix string) ([][]Cell, bool) {
	var rows [][]Cell
	for _, k := range o.keys {
		switch y := o.vals[k].(type) {
		case *ordered:
			return nil, false
		case []any:
			if !scalars(y) {
				return nil, false
			}
			rows = append(rows, []Cell{textCell(prefix + "." + k), scalarList(y)})
		default:
			rows = append(rows, []Cell{textCell(prefix + "." + k), jsonCell(y)})
		}
	}
	return rows, true
}

// flatten puts o's fields into row under "prefix.key" names, nested
// objects flattened, adding new names to columns.
func flatten(o *ordered, prefix string, row map[string]any, columns *[]string) {
	for _, k := range o.keys {
		name := k
		if prefix != "" {
			name = prefix + "." + k
		}
		if y, ok := o.vals[k].(*ordered); ok {
			flatten(y, name, row, columns)
			continue
		}
		if y, ok := o.vals[k].([]any); ok && scalars(y) {
			row[name] = scalarList(y).Text
		} else {
			row[name] = o.vals[k]
		}
		if !slices.Contains(*columns, name) {
			*columns = append(*columns, name)
		}
	}
}

func scalars(a []any) bool {
	for _, e := range a {
		switch e.(type) {
		case *ordered, []any:
			return false
		}
	}
	return true
}

func objects(a []any) bool {
	for _, e := range a {
		if _, ok := e.(*ordered); !ok {
			return false
		}
	}
	return true
}

// scalarList is a cell listing an array of scalars.
func scalarList(a []any) Cell {
	parts := make([]string, len(a))
	for i, e := range a {
		parts[i] = jsonCell(e).Text
	}
	return textCell(strings.Join(parts, ", "))
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + " › " + k
}
