package main

import (
	"strings"
	"testing"

	"github.com/xent-dev/xent/data"
)

func TestStudyPosttrain(t *testing.T) {
	text, err := data.Builtin("opticks")
	if err != nil {
		t.Fatal(err)
	}
	base := saveTinyModel(t, string(text[:40000]), 32, 160, 7)
	stdout, stderr, err := runXent(t, "study", "posttrain", "--model", base, "--methods", "dpo,orpo", "--steps", "2", "--batch", "4", "--json")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	r := decodeJSON(t, stdout)
	methods := r["methods"].([]any)
	if len(methods) != 2 || methods[0].(map[string]any)["reference"] != "model" || r["base"].(map[string]any)["reward_accuracy_vs_base"] != "nan" {
		t.Errorf("report %v", r)
	}
	stdout, _, err = runXent(t, "study", "posttrain", "--model", base, "--methods", "simpo", "--steps", "1", "--batch", "2")
	if err != nil || !strings.Contains(stdout, "| SimPO | no |") {
		t.Errorf("table %q, error %v", stdout, err)
	}
	for _, c := range []struct{ args, want string }{
		{"--methods ppo", `--methods: "ppo" is not one of`},
		{"--model /nonexistent", "train a base model first"},
		{"--held-out-share 1", "--held-out-share 1"},
	} {
		args := append([]string{"study", "posttrain", "--model", base}, strings.Fields(c.args)...)
		if _, _, err := runXent(t, args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.args, err, c.want)
		}
	}
}
