package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// prefsGolden is one DPO case of prefs/testdata/goldens.json (PyTorch,
// TRL v0.24.0's formula).
type prefsGolden struct {
	Name           string
	Beta           float64
	Type           string
	LabelSmoothing float64   `json:"label_smoothing"`
	ReferenceFree  bool      `json:"reference_free"`
	PolicyChosen   []float64 `json:"policy_chosen"`
	PolicyRejected []float64 `json:"policy_rejected"`
	RefChosen      []float64 `json:"ref_chosen"`
	RefRejected    []float64 `json:"ref_rejected"`
	Losses         []float64
	Loss           float64
}

// TestPrefsScoreMatchesGoldens logs the golden DPO cases as JSONL, with a
// blank line in the middle, and checks every line's loss and the summary.
func TestPrefsScoreMatchesGoldens(t *testing.T) {
	raw, err := os.ReadFile("../../prefs/testdata/goldens.json")
	if err != nil {
		t.Fatal(err)
	}
	var g struct{ DPO []prefsGolden }
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, c := range g.DPO {
		if c.ReferenceFree || c.Type == "ipo" {
			continue // IPO's goldens are already averages; reference-free has its own flag
		}
		var b strings.Builder
		for i := range c.PolicyChosen {
			fmt.Fprintf(&b, `{"policy_chosen": %v, "policy_rejected": %v, "ref_chosen": %v, "ref_rejected": %v}`+"\n",
				c.PolicyChosen[i], c.PolicyRejected[i], c.RefChosen[i], c.RefRejected[i])
			if i == 0 {
				b.WriteString("\n")
			}
		}
		path := filepath.Join(t.TempDir(), "log.jsonl")
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		stdout, _, err := runXent(t, "prefs", "score", "--type", "dpo", "--loss-type", c.Type,
			"--beta", fmt.Sprint(c.Beta), "--label-smoothing", fmt.Sprint(c.LabelSmoothing), path)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		lines := strings.Split(strings.TrimSpace(stdout), "\n")
		if len(lines) != len(c.Losses)+1 {
			t.Fatalf("%s: %d output lines for %d pairs", c.Name, len(lines), len(c.Losses))
		}
		for i, want := range c.Losses {
			var got struct {
				Line int
				Loss float64
			}
			if err := json.Unmarshal([]byte(lines[i]), &got); err != nil {
				t.Fatal(err)
			}
			wantLine := i + 1
			if i > 0 {
				wantLine++ // the blank line
			}
			if got.Line != wantLine || math.Abs(got.Loss-want) > 1e-6*math.Abs(want) {
				t.Errorf("%s: output %d = %+v, want line %d loss %v", c.Name, i, got, wantLine, want)
			}
		}
		var sum struct{ Summary struct{ Loss float64 } }
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); err != nil {
			t.Fatal(err)
		}
		if math.Abs(sum.Summary.Loss-c.Loss) > 1e-6*math.Abs(c.Loss) {
			t.Errorf("%s: summary loss %v, want %v", c.Name, sum.Summary.Loss, c.Loss)
		}
		checked++
	}
	if checked < 10 {
		t.Fatalf("only %d golden cases checked", checked)
	}
}

func TestPrefsScoreEveryType(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.jsonl")
	log := `{"policy_chosen": -12, "policy_rejected": -14, "ref_chosen": -12.5, "ref_rejected": -13.5, "chosen_len": 4, "rejected_len": 5}
{"policy_chosen": -30.5, "policy_rejected": -29, "ref_chosen": -30, "ref_rejected": -29.5, "chosen_len": 9, "rejected_len": 8, "policy_kl": -40, "ref_kl": -41}
`
	if err := os.WriteFile(path, []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"dpo", "kto", "orpo", "simpo", "cpo"} {
		stdout, stderr, err := runXent(t, "prefs", "score", "--type", typ, path)
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		lines := strings.Split(strings.TrimSpace(stdout), "\n")
		sum := decodeJSON(t, lines[len(lines)-1])["summary"].(map[string]any)
		if sum["type"] != typ || !strings.Contains(stderr, "xent prefs score") {
			t.Errorf("%s: summary %v, stderr %q", typ, sum, stderr)
		}
		if typ == "kto" && (len(lines) != 5 || sum["kl"].(float64) != 1) {
			t.Errorf("kto: %d lines, KL %v; want 4 examples and KL 1", len(lines)-1, sum["kl"])
		}
	}
}

func TestPrefsScoreBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) string {
		path := filepath.Join(dir, "bad.jsonl")
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	good := `{"policy_chosen": -1, "policy_rejected": -2, "ref_chosen": -1, "ref_rejected": -2, "chosen_len": 1, "rejected_len": 1}` + "\n"
	cases := []struct {
		args []string
		log  string
		want string
	}{
		{[]string{"--type", "dpo"}, good + `{"policy_chosen": -1, "policy_rejected": -2, "ref_chosen": -1}`, `line 2: missing field "ref_rejected"`},
		{[]string{"--type", "dpo"}, good + "\n" + `{"policy_chosen": -1, "policy_rejected": "x", "ref_chosen": -1, "ref_rejected": -2}`, `line 3: field "policy_rejected" = "x": want a number`},
		{[]string{"--type", "orpo"}, good + `{"policy_chosen": -1, "policy_rejected": -2, "chosen_len": 0, "rejected_len": 1}`, `line 2: field "chosen_len" = 0`},
		{[]string{"--type", "simpo"}, good + `{"policy_chosen": 3, "policy_rejected": -2, "chosen_len": 1, "rejected_len": 1}`, `line 2: field "policy_chosen" = 3`},
		{[]string{"--type", "orpo"}, `{"policy_chosen": 0, "policy_rejected": -2, "chosen_len": 1, "rejected_len": 1}`, `line 1: policy_chosen = 0`},
		{[]string{"--type", "dpo", "--loss-type", "robust", "--label-smoothing", "0.5"}, good, "must lie in [0, 0.5)"},
		{[]string{"--type", "dpo", "--loss-type", "exo"}, good, "--loss-type"},
		{[]string{"--type", "ppo"}, good, `--type "ppo"`},
		{[]string{"--type", "kto"}, `{"policy": -1, "ref": -1}`, `line 1: missing field "label"`},
	}
	for _, c := range cases {
		_, _, err := runXent(t, append(append([]string{"prefs", "score"}, c.args...), write(c.log))...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one containing %q", c.args, err, c.want)
		}
	}
}
