package jsonl

import (
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	recs, err := Read(strings.NewReader("\n{\"a\": 1, \"s\": \"x\", \"b\": true}\n  \n{\"a\": -2.5}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].Line != 2 || recs[1].Line != 4 {
		t.Fatalf("records %+v", recs)
	}
	if a, err := recs[1].Float("a"); err != nil || a != -2.5 {
		t.Errorf("Float = %v, %v", a, err)
	}
	if s, err := recs[0].String("s"); err != nil || s != "x" {
		t.Errorf("String = %q, %v", s, err)
	}
	if b, err := recs[0].Bool("b"); err != nil || !b {
		t.Errorf("Bool = %v, %v", b, err)
	}
}

func TestErrors(t *testing.T) {
	cases := []struct {
		in, want string
		read     func(Record) error
	}{
		{"", "no records", nil},
		{"{\"a\": 1}\n[1]", "line 2: not a JSON object", nil},
		{"{\"a\": 1}\n\n{\"a\": 1", "line 3: not a JSON object", nil},
		{"{\"b\": 1}", `line 1: missing field "a"`, func(r Record) error { _, err := r.Float("a"); return err }},
		{"{\"a\": null}", `line 1: field "a" = null: want a number`, func(r Record) error { _, err := r.Float("a"); return err }},
		{"{\"a\": \"1\"}", `line 1: field "a" = "1": want a number`, func(r Record) error { _, err := r.Float("a"); return err }},
		{"{\"a\": 1}", `line 1: field "a" = 1: want a string`, func(r Record) error { _, err := r.String("a"); return err }},
		{"{\"a\": 1e999}", `line 1: field "a" = 1e999: want a number`, func(r Record) error { _, err := r.Float("a"); return err }},
	}
	for _, c := range cases {
		recs, err := Read(strings.NewReader(c.in))
		if err == nil && c.read != nil {
			err = c.read(recs[len(recs)-1])
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.in, err, c.want)
		}
	}
}

func FuzzRead(f *testing.F) {
	f.Add("{\"a\": 1}\n\n{\"b\": [1, {\"c\": null}]}")
	f.Add("{")
	f.Fuzz(func(t *testing.T, in string) {
		recs, err := Read(strings.NewReader(in))
		if err != nil {
			return
		}
		last := 0
		for _, r := range recs {
			if r.Line <= last || r.Fields == nil {
				t.Fatalf("record %+v after line %d", r, last)
			}
			last = r.Line
			for name := range r.Fields {
				_, _ = r.Float(name)
				_, _ = r.String(name)
			}
		}
	})
}
