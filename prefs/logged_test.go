package prefs

import (
	"strings"
	"testing"
)

func TestReadLoggedPairsErrors(t *testing.T) {
	good := `{"policy_chosen": -1, "policy_rejected": -2, "ref_chosen": -1.5, "ref_rejected": -2.5, "chosen_len": 2, "rejected_len": 3}`
	cases := []struct {
		name, input string
		fields      LogFields
		want        string
	}{
		{"empty", "", LogFields{}, "no records"},
		{"not json", good + "\n{oops\n", LogFields{}, "line 2: not a JSON object"},
		{"array", "[1, 2]\n", LogFields{}, "line 1: not a JSON object"},
		{"missing", good + "\n\n" + `{"policy_chosen": -1, "policy_rejected": -2}`, LogFields{Reference: true}, `line 3: missing field "ref_chosen"`},
		{"string", `{"policy_chosen": "-1", "policy_rejected": -2}`, LogFields{}, `line 1: field "policy_chosen" = "-1": want a number`},
		{"positive", `{"policy_chosen": 0.5, "policy_rejected": -2}`, LogFields{}, `line 1: field "policy_chosen" = 0.5: a log-probability must be finite and ≤ 0`},
		{"empty completion", good + "\n" + strings.Replace(good, `"rejected_len": 3`, `"rejected_len": 0`, 1), LogFields{Lengths: true}, `line 2: field "rejected_len" = 0: want a whole number of tokens ≥ 1`},
		{"fractional length", strings.Replace(good, `"chosen_len": 2`, `"chosen_len": 2.5`, 1), LogFields{Lengths: true}, `line 1: field "chosen_len" = 2.5`},
		{"null", `{"policy_chosen": null, "policy_rejected": -2}`, LogFields{}, `line 1: field "policy_chosen" = null: want a number`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadLoggedPairs(strings.NewReader(c.input), c.fields)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestReadLoggedKeepsLineNumbers(t *testing.T) {
	in := "\n" + `{"policy_chosen": -1, "policy_rejected": -2, "extra": [1]}` + "\n\n  \n" + `{"policy_chosen": -3, "policy_rejected": -4}` + "\n"
	pairs, err := ReadLoggedPairs(strings.NewReader(in), LogFields{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pairs) != 2 || pairs[0].Line != 2 || pairs[1].Line != 5 || pairs[1].PolicyRejected != -4 {
		t.Fatalf("got %+v", pairs)
	}
}

func TestReadLoggedKTO(t *testing.T) {
	in := `{"policy_chosen": -1, "policy_rejected": -2, "ref_chosen": -1.5, "ref_rejected": -2.5, "policy_kl": -7, "ref_kl": -8}
{"policy": -3, "ref": -3.5, "label": false}
{"policy": -3, "ref": -3.5, "label": true, "policy_kl": -1, "ref_kl": -1}`
	ex, err := ReadLoggedKTO(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []LoggedExample{
		{Line: 1, Policy: -1, Ref: -1.5, Desirable: true, HasKL: true, PolicyKL: -7, RefKL: -8},
		{Line: 1, Policy: -2, Ref: -2.5},
		{Line: 2, Policy: -3, Ref: -3.5},
		{Line: 3, Policy: -3, Ref: -3.5, Desirable: true, HasKL: true, PolicyKL: -1, RefKL: -1},
	}
	if len(ex) != len(want) {
		t.Fatalf("%d examples, want %d", len(ex), len(want))
	}
	for i := range want {
		if ex[i] != want[i] {
			t.Errorf("example %d = %+v, want %+v", i, ex[i], want[i])
		}
	}
	_, r, err := ScoreKTO(KTO{Beta: 0.1, DesirableWeight: 1, UndesirableWeight: 1}, ex)
	if err != nil {
		t.Fatal(err)
	}
	if r.KL != 0.5 { // Mean(−7+8, −1+1) = 0.5
		t.Errorf("KL = %v, want 0.5", r.KL)
	}
	for _, bad := range []struct{ in, want string }{
		{`{"policy": -3, "ref": -3.5}`, `line 1: missing field "label"`},
		{`{"policy": -3, "ref": -3.5, "label": 1}`, `line 1: field "label" = 1: want true`},
		{`{"policy": -3, "ref": -3.5, "label": true, "policy_kl": -1}`, `line 1: missing field "ref_kl"`},
		{`{"ref": -3.5, "label": true}`, `line 1: missing field "policy_chosen"`},
	} {
		if _, err := ReadLoggedKTO(strings.NewReader(bad.in)); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: error %v, want %q", bad.in, err, bad.want)
		}
	}
}

func TestScorePairsNamesTheLine(t *testing.T) {
	in := `{"policy_chosen": -1, "policy_rejected": -2, "chosen_len": 1, "rejected_len": 1}

{"policy_chosen": 0, "policy_rejected": -2, "chosen_len": 1, "rejected_len": 1}`
	l := ORPO{Lambda: 0.1}
	logged, err := ReadLoggedPairs(strings.NewReader(in), LogFieldsFor(l, false))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = ScorePairs(l, logged, false)
	if err == nil || !strings.HasPrefix(err.Error(), "line 3: policy_chosen = 0: ORPO's odds") {
		t.Fatalf("error %v, want one about line 3", err)
	}
}

// TestScorePairsConvertsReductions: the same pairs logged as sums or as
// averages score the same.
func TestScorePairsConvertsReductions(t *testing.T) {
	sums := `{"policy_chosen": -6, "policy_rejected": -9, "ref_chosen": -5, "ref_rejected": -10, "chosen_len": 3, "rejected_len": 2}`
	avgs := `{"policy_chosen": -2, "policy_rejected": -4.5, "ref_chosen": -1.6666666666666667, "ref_rejected": -5, "chosen_len": 3, "rejected_len": 2}`
	for _, l := range []PairLoss{DPO{Beta: 0.1}, DPO{Beta: 0.1, Type: DPOIPO}, ORPO{Lambda: 0.1}, CPO{Beta: 2, Gamma: 0.5, SimPO: true}} {
		var losses []float64
		for i, in := range []string{sums, avgs} {
			averaged := i == 1
			logged, err := ReadLoggedPairs(strings.NewReader(in), LogFieldsFor(l, averaged))
			if err != nil {
				t.Fatal(err)
			}
			_, s, err := ScorePairs(l, logged, averaged)
			if err != nil {
				t.Fatal(err)
			}
			losses = append(losses, s.Loss)
		}
		if !near(losses[1], losses[0]) {
			t.Errorf("%T: sums give %v, averages %v", l, losses[0], losses[1])
		}
	}
}

func FuzzReadLogged(f *testing.F) {
	f.Add(`{"policy_chosen": -1, "policy_rejected": -2, "ref_chosen": -1.5, "ref_rejected": -2.5, "chosen_len": 2, "rejected_len": 3}`)
	f.Add("{}\n\n{\"policy\": -1, \"ref\": 0, \"label\": true}")
	f.Add(`{"policy_chosen": 1e400}`)
	f.Fuzz(func(t *testing.T, in string) {
		pairs, err := ReadLoggedPairs(strings.NewReader(in), LogFields{Reference: true, Lengths: true})
		if err == nil {
			for _, p := range pairs {
				if p.Line < 1 || p.ChosenLen < 1 || p.RejectedLen < 1 || p.PolicyChosen > 0 || p.RefRejected > 0 {
					t.Fatalf("accepted a bad pair %+v", p)
				}
			}
			if _, _, err := ScorePairs(DPO{Beta: 0.1}, pairs, false); err != nil {
				t.Fatalf("valid pairs did not score: %v", err)
			}
		}
		ex, err := ReadLoggedKTO(strings.NewReader(in))
		if err == nil {
			if _, _, err := ScoreKTO(KTO{Beta: 0.1, DesirableWeight: 1, UndesirableWeight: 1}, ex); err != nil {
				t.Fatalf("valid KTO examples did not score: %v", err)
			}
		}
	})
}
