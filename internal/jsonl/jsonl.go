// Package jsonl reads JSON Lines records for commands that take a .jsonl
// file: every non-blank line is one JSON object, and every error names the
// line (1-based, counting blank lines) and the field, so that a bad record
// stops the run where it is instead of silently dropping out and shifting
// the records after it.
package jsonl

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// Record is one JSON object and the line it came from.
type Record struct {
	Line   int
	Fields map[string]json.RawMessage
}

// maxLine bounds one line (64 MiB).
const maxLine = 64 << 20

// Read parses every non-blank line of r as a JSON object. No record at all
// is an error.
func Read(r io.Reader) ([]Record, error) {
	var recs []Record
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	n := 0
	for sc.Scan() {
		n++
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(text, &fields); err != nil || fields == nil {
			return nil, fmt.Errorf("line %d: not a JSON object", n)
		}
		recs = append(recs, Record{Line: n, Fields: fields})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", n+1, err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("no records (the input is empty)")
	}
	return recs, nil
}

// Has reports whether the record has the field.
func (r Record) Has(name string) bool {
	_, ok := r.Fields[name]
	return ok
}

// Decode decodes field name into v; want says what the field must be, for
// the error. A missing field, null, and a value of the wrong type are
// errors naming the line and the field.
func (r Record) Decode(name string, v any, want string) error {
	raw, ok := r.Fields[name]
	if !ok {
		return fmt.Errorf("line %d: missing field %q", r.Line, name)
	}
	// json.Unmarshal leaves v untouched for null: refuse it rather than read a zero.
	if string(bytes.TrimSpace(raw)) == "null" || json.Unmarshal(raw, v) != nil {
		return r.Errorf(name, "want %s", want)
	}
	return nil
}

// Float reads a number.
func (r Record) Float(name string) (float64, error) {
	var x float64
	err := r.Decode(name, &x, "a number")
	return x, err
}

// String reads a string.
func (r Record) String(name string) (string, error) {
	var s string
	err := r.Decode(name, &s, "a string")
	return s, err
}

// Bool reads true or false.
func (r Record) Bool(name string) (bool, error) {
	var b bool
	err := r.Decode(name, &b, "true or false")
	return b, err
}

// Errorf is an error about field name of this record, quoting its value.
func (r Record) Errorf(name, format string, args ...any) error {
	value := string(r.Fields[name])
	if len(value) > 60 {
		value = value[:57] + "..."
	}
	return fmt.Errorf("line %d: field %q = %s: %s", r.Line, name, value, fmt.Sprintf(format, args...))
}
