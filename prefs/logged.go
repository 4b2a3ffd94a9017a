package prefs

import (
	"io"
	"math"

	"github.com/xent-dev/xent/internal/jsonl"
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

// logp reads a log-probability: a finite number ≤ 0.
func logp(r jsonl.Record, name string) (float64, error) {
	x, err := r.Float(name)
	if err != nil {
		return 0, err
	}
	if !(x <= 0) || math.IsInf(x, 0) {
		return 0, r.Errorf(name, "a log-probability must be finite and ≤ 0")
	}
	return x, nil
}

// completionLength reads a completion length: a whole number ≥ 1.
func completionLength(r jsonl.Record, name string) (int, error) {
	const want = "want a whole number of tokens ≥ 1 (an empty completion has nothing to score)"
	var n int
	if err := r.Decode(name, &n, want[len("want "):]); err != nil {
		return 0, err
	}
	if n < 1 {
		return 0, r.Errorf(name, want)
	}
	return n, nil
}

// pair reads the four log-probabilities of a pair line (the reference's
// only when asked).
func pair(l jsonl.Record, f LogFields) (LoggedPair, error) {
	p := LoggedPair{Line: l.Line}
	var err error
	read := func(dst *float64, name string) {
		if err == nil {
			*dst, err = logp(l, name)
		}
	}
	readLen := func(dst *int, name string) {
		if err == nil {
			*dst, err = completionLength(l, name)
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
	lines, err := jsonl.Read(r)
	if err != nil {
		return nil, err
	}
	pairs := make([]LoggedPair, len(lines))
	for i, l := range lines {
		if pairs[i], err = pair(l, f); err != nil {
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
	lines, err := jsonl.Read(r)
	if err != nil {
		return nil, err
	}
	var out []LoggedExample
	for _, l := range lines {
		var kl LoggedExample
		if l.Has("policy_kl") || l.Has("ref_kl") {
			kl.HasKL = true
			if kl.PolicyKL, err = logp(l, "policy_kl"); err != nil {
				return nil, err
			}
			if kl.RefKL, err = logp(l, "ref_kl"); err != nil {
				return nil, err
			}
		}
		if l.Has("policy_chosen") || !l.Has("policy") {
			p, err := pair(l, LogFields{Reference: true})
			if err != nil {
				return nil, err
			}
			chosen, rejected := kl, LoggedExample{Line: l.Line}
			chosen.Line, chosen.Policy, chosen.Ref, chosen.Desirable = l.Line, p.PolicyChosen, p.RefChosen, true
			rejected.Policy, rejected.Ref = p.PolicyRejected, p.RefRejected
			out = append(out, chosen, rejected)
			continue
		}
		e := kl
		e.Line = l.Line
		if e.Policy, err = logp(l, "policy"); err != nil {
			return nil, err
		}
		if e.Ref, err = logp(l, "ref"); err != nil {
			return nil, err
		}
		if err := l.Decode("label", &e.Desirable, "true (desirable) or false"); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}
