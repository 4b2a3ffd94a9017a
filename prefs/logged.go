package prefs

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
)

// Logged log-probabilities: one JSON object per line, as any framework can
// dump them, so that a run can be checked against these formulas. The
// log-probabilities are sums over the completion's tokens, unless the
// caller says they are already length averages.
//
//	pairs:     {"policy_chosen": -12.3, "policy_rejected": -15.1,
//	            "ref_chosen": -12.9, "ref_rejected": -14.2,
//	            "chosen_len": 7, "rejected_len": 9}
//	KTO, also: {"policy": -12.3, "ref": -12.9, "label": true,
//	            "policy_kl": -20.1, "ref_kl": -19.8}
//
// Extra fields are ignored; blank lines are skipped. A line with a missing
// field, a value that is not a number, a log-probability above 0 or a
// length below 1 is an error naming the line and the field: a bad line
// never silently drops out and shifts the pairs after it.

// LoggedPair is one line of a log of preference pairs.
type LoggedPair struct {
	Line                         int // 1-based line number in the input
	PolicyChosen, PolicyRejected float64
	RefChosen, RefRejected       float64 // 0 when not required
	ChosenLen, RejectedLen       int     // 0 when not required
}

// LoggedExample is one KTO example; a paired line gives two, both with its
// line number.
type LoggedExample struct {
	Line            int
	Policy, Ref     float64
	Desirable       bool
	HasKL           bool // the line carried policy_kl and ref_kl
	PolicyKL, RefKL float64
}

// LogFields says which fields a pair line must carry.
type LogFields struct {
	Reference bool // ref_chosen and ref_rejected
	Lengths   bool // chosen_len and rejected_len
}

// logLine is one parsed JSON object and its line number.
type logLine struct {
	n      int
	fields map[string]json.RawMessage
}

// readLines parses every non-blank line of r as a JSON object.
func readLines(r io.Reader) ([]logLine, error) {
	var lines []logLine
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 64*1024*1024)
	for n := 1; sc.Scan(); n++ {
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(text, &fields); err != nil || fields == nil {
			return nil, fmt.Errorf("line %d: not a JSON object", n)
		}
		lines = append(lines, logLine{n: n, fields: fields})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading line %d: %w", len(lines)+1, err)
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("no lines to score")
	}
	return lines, nil
}

func (l logLine) has(name string) bool {
	_, ok := l.fields[name]
	return ok
}

// logp reads a log-probability: a finite number ≤ 0.
func (l logLine) logp(name string) (float64, error) {
	raw, ok := l.fields[name]
	if !ok {
		return 0, fmt.Errorf("line %d: missing field %q", l.n, name)
	}
	var x float64
	if err := decodeValue(raw, &x); err != nil {
		return 0, fmt.Errorf("line %d: field %q = %s: want a number", l.n, name, raw)
	}
	if !(x <= 0) || math.IsInf(x, 0) {
		return 0, fmt.Errorf("line %d: field %q = %v: a log-probability must be finite and ≤ 0", l.n, name, x)
	}
	return x, nil
}

// decodeValue decodes a JSON value into v, refusing null (which
// json.Unmarshal would silently leave as the zero value).
func decodeValue(raw json.RawMessage, v any) error {
	if string(bytes.TrimSpace(raw)) == "null" {
		return fmt.Errorf("null")
	}
	return json.Unmarshal(raw, v)
}

// length reads a completion length: an integer ≥ 1.
func (l logLine) length(name string) (int, error) {
	raw, ok := l.fields[name]
	if !ok {
		return 0, fmt.Errorf("line %d: missing field %q", l.n, name)
	}
	var n int
	if err := decodeValue(raw, &n); err != nil || n < 1 {
		return 0, fmt.Errorf("line %d: field %q = %s: want a whole number of tokens ≥ 1 (an empty completion has nothing to score)", l.n, name, raw)
	}
	return n, nil
}

// pair reads the four log-probabilities of a pair line (the reference's
// only when asked).
func (l logLine) pair(f LogFields) (LoggedPair, error) {
	p := LoggedPair{Line: l.n}
	var err error
	read := func(dst *float64, name string) {
		if err == nil {
			*dst, err = l.logp(name)
		}
	}
	readLen := func(dst *int, name string) {
		if err == nil {
			*dst, err = l.length(name)
		}
	}
	read(&p.PolicyChosen, "policy_chosen")
	read(&p.PolicyRejected, "policy_rejected")
	if f.Reference {
		read(&p.RefChosen, "ref_chosen")
		read(&p.RefRejected, "ref_rejected")
	}
	if f.Lengths {
		readLen(&p.ChosenLen, "chosen_len")
		readLen(&p.RejectedLen, "rejected_len")
	}
	return p, err
}

// ReadLoggedPairs reads a log of preference pairs, one per line.
func ReadLoggedPairs(r io.Reader, f LogFields) ([]LoggedPair, error) {
	lines, err := readLines(r)
	if err != nil {
		return nil, err
	}
	pairs := make([]LoggedPair, len(lines))
	for i, l := range lines {
		if pairs[i], err = l.pair(f); err != nil {
			return nil, err
		}
	}
	return pairs, nil
}

// ReadLoggedKTO reads a log of KTO examples: a line is either a pair
// (policy_chosen, policy_rejected, ref_chosen, ref_rejected: a desirable
// and an undesirable example) or one example (policy, ref, label). Either
// may carry policy_kl and ref_kl, a mismatched completion's log-probabilities
// for the KL estimate.
func ReadLoggedKTO(r io.Reader) ([]LoggedExample, error) {
	lines, err := readLines(r)
	if err != nil {
		return nil, err
	}
	var out []LoggedExample
	for _, l := range lines {
		var kl LoggedExample
		if l.has("policy_kl") || l.has("ref_kl") {
			kl.HasKL = true
			if kl.PolicyKL, err = l.logp("policy_kl"); err != nil {
				return nil, err
			}
			if kl.RefKL, err = l.logp("ref_kl"); err != nil {
				return nil, err
			}
		}
		if l.has("policy_chosen") || !l.has("policy") {
			p, err := l.pair(LogFields{Reference: true})
			if err != nil {
				return nil, err
			}
			chosen, rejected := kl, LoggedExample{Line: l.n}
			chosen.Line, chosen.Policy, chosen.Ref, chosen.Desirable = l.n, p.PolicyChosen, p.RefChosen, true
			rejected.Policy, rejected.Ref = p.PolicyRejected, p.RefRejected
			out = append(out, chosen, rejected)
			continue
		}
		e := kl
		e.Line = l.n
		if e.Policy, err = l.logp("policy"); err != nil {
			return nil, err
		}
		if e.Ref, err = l.logp("ref"); err != nil {
			return nil, err
		}
		raw, ok := l.fields["label"]
		if !ok {
			return nil, fmt.Errorf("line %d: missing field \"label\"", l.n)
		}
		if err := decodeValue(raw, &e.Desirable); err != nil {
			return nil, fmt.Errorf("line %d: field \"label\" = %s: want true (desirable) or false", l.n, raw)
		}
		out = append(out, e)
	}
	return out, nil
}
