package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xent-dev/xent/modeldir"
)

func writeFile(t *testing.T, name, s string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// tinyText is the training text of the tiny test models' tokenizer.
var tinyText = strings.Repeat("the light is refracted and the light is not reflected. ", 20)

func TestTuneEveryMethod(t *testing.T) {
	base := saveTinyModel(t, tinyText, 32, 32, 7)
	pairs := writeFile(t, "pairs.jsonl", `{"prompt": "Light", "chosen": " is refracted.", "rejected": " is not refracted."}
{"prompt": "The ray", "chosen": " was reflected.", "rejected": " was not reflected."}
{"prompt": "", "chosen": "Colours can be mixed.", "rejected": "Colours cannot be mixed."}
`)
	sft := writeFile(t, "sft.jsonl", `{"prompt": "Light", "completion": " is refracted."}
{"prompt": "The ray", "completion": " was reflected."}
`)
	kto := writeFile(t, "kto.jsonl", `{"prompt": "Light", "completion": " is refracted.", "label": true}
{"prompt": "Light", "completion": " is not refracted.", "label": false}
{"prompt": "The ray", "completion": " was reflected.", "label": true}
`)
	for _, c := range []struct {
		method, data string
		extra        []string
	}{
		{"sft", sft, nil}, {"dpo", pairs, nil}, {"dpo", pairs, []string{"--precompute-ref", "--loss-type", "ipo"}},
		{"kto", kto, []string{"--precompute-ref"}}, {"orpo", pairs, nil}, {"simpo", pairs, nil},
	} {
		out := filepath.Join(t.TempDir(), "tuned")
		args := append([]string{"tune", c.method, "--model", base, "--data", c.data, "--out", out, "--steps", "3", "--batch", "2", "--log-every", "1", "--json"}, c.extra...)
		stdout, stderr, err := runXent(t, args...)
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", c.method, c.extra, err, stderr)
		}
		r := decodeJSON(t, stdout)
		if r["method"] != c.method || r["steps"].(float64) != 3 || !strings.Contains(stderr, "step 3/3") {
			t.Errorf("%s: report %v, log %q", c.method, r, stderr)
		}
		if _, err := modeldir.Load(out); err != nil {
			t.Errorf("%s: the tuned model does not load: %v", c.method, err)
		}
	}
}

func TestTuneBadData(t *testing.T) {
	base := saveTinyModel(t, tinyText, 32, 32, 7)
	long := strings.Repeat("refracted light ", 40)
	for _, c := range []struct{ method, data, want string }{
		{"dpo", `{"prompt": "a", "chosen": "b"}`, `line 1: missing field "rejected"`},
		{"dpo", "{\"prompt\": \"a\", \"chosen\": \"b\", \"rejected\": \"c\"}\n{\"prompt\": \"a\", \"chosen\": \"b\", \"rejected\": \"\"}", `line 2: field "rejected" = "": an empty completion`},
		{"sft", `{"prompt": "` + long + `", "completion": "b"}`, "line 1: the prompt is"},
		{"kto", `{"prompt": "a", "completion": "b", "label": 1}`, `line 1: field "label"`},
		{"ppo", `{}`, `method "ppo"`},
	} {
		_, _, err := runXent(t, "tune", c.method, "--model", base, "--data", writeFile(t, "d.jsonl", c.data), "--out", filepath.Join(t.TempDir(), "o"))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.method, err, c.want)
		}
	}
}

// tune --out the --model directory is refused, even with --force (it
// wiped the base's metrics, optimizer state and token counts).
func TestTuneRefusesItsOwnModel(t *testing.T) {
	base := saveTinyModel(t, tinyText, 32, 32, 7)
	sft := writeFile(t, "sft.jsonl", `{"prompt": "Light", "completion": " is refracted."}
`)
	before, _ := os.ReadFile(filepath.Join(base, "model.safetensors"))
	for _, extra := range [][]string{nil, {"--force"}} {
		args := append([]string{"tune", "sft", "--model", base, "--data", sft, "--out", base + "/", "--steps", "1", "--batch", "1"}, extra...)
		if _, _, err := runXent(t, args...); err == nil || !strings.Contains(err.Error(), "--model") {
			t.Errorf("--out = --model %v: %v", extra, err)
		}
	}
	if after, _ := os.ReadFile(filepath.Join(base, "model.safetensors")); string(after) != string(before) {
		t.Error("the base model's weights changed")
	}
}

// An interrupted xent tune writes the model tuned so far to --out and
// exits with an error saying so.
func TestTuneInterruptedSaves(t *testing.T) {
	base := saveTinyModel(t, tinyText, 32, 32, 7)
	sft := writeFile(t, "sft.jsonl", `{"prompt": "Light", "completion": " is refracted."}
`)
	out := filepath.Join(t.TempDir(), "tuned")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cmd := newRootCmd()
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	cmd.SetArgs([]string{"tune", "sft", "--model", base, "--data", sft, "--out", out, "--steps", "3", "--batch", "1"})
	err := cmd.ExecuteContext(ctx)
	if err == nil || !strings.Contains(err.Error(), "interrupted at step 0 of 3") || !strings.Contains(err.Error(), out) {
		t.Fatalf("error %v; want the interruption and where the model is", err)
	}
	if _, err := modeldir.Load(out); err != nil {
		t.Errorf("the interrupted run's model does not load: %v", err)
	}
}
