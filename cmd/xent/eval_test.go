package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xent-dev/xent/internal/provenance"
	"github.com/xent-dev/xent/internal/tinyhf"
)

const evalText = "The Prism of Newton refracts light. Is it not so? In 1704 the Opticks appeared.\n"

func TestEvalJSON(t *testing.T) {
	dir := saveTinyModel(t, strings.Repeat(evalText, 5), 16, 32, 1)
	texts := t.TempDir()
	os.WriteFile(filepath.Join(texts, "a.txt"), []byte(strings.Repeat(evalText, 10)), 0o644)
	os.WriteFile(filepath.Join(texts, "b.go"), []byte("package b\n\n// F is f.\nfunc F() int { return 42 }\n"), 0o644)
	plots := filepath.Join(t.TempDir(), "plots")
	out, stderr, err := runXent(t, "eval", "--model", dir, "--data", texts, "--window", "strided", "--ctx", "16", "--stride", "8",
		"--json", "--plots", plots, "--base", dir)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, key := range []string{"tokens", "bytes", "mean_nll", "mean_nll_stderr", "ppl", "word_ppl", "byte_ppl", "bpb", "bpc",
		"top1_acc", "window", "calibration", "by_class", "by_frequency", "by_position", "base", "tokens_available"} {
		if _, ok := r[key]; !ok {
			t.Errorf("--json has no %q", key)
		}
	}
	src, _ := r["source"].(map[string]any)
	if model, _ := src["model"].(map[string]any); model["path"] != dir || len(model["weights_sha256"].(string)) != 64 || src["base"] == nil || src["data"] != texts {
		t.Errorf("source %v: want the model %s with its weights' hash, the base, and the data %s", src, dir, texts)
	}
	if build, _ := src["xent"].(map[string]any); build["kernels"] == "" || build["go"] == "" {
		t.Errorf("source names no build: %v", src)
	}
	w := r["window"].(map[string]any)
	if w["scheme"] != "strided" || w["ctx"] != 16.0 || w["stride"] != 8.0 || r["documents"] != 2.0 {
		t.Errorf("window %v, documents %v", w, r["documents"])
	}
	classes := map[string]bool{}
	for _, c := range r["by_class"].([]any) {
		classes[c.(map[string]any)["class"].(string)] = true
	}
	if !classes["keyword"] || !classes["function word"] {
		t.Errorf("classes %v: want Go's and English's", classes)
	}
	if src := r["by_frequency"].(map[string]any)["source"]; src != "evaluated text" {
		t.Errorf("frequency source %v for a model without training counts", src)
	}
	if !strings.Contains(stderr, "xent eval: bytes 849/849 (100%)") || !strings.Contains(stderr, "mean NLL") {
		t.Errorf("stderr (not a terminal) has no final progress line over the 849 bytes:\n%s", stderr)
	}
	if !strings.Contains(stderr, "no training-token counts") {
		t.Errorf("stderr does not say the counts come from the evaluated text:\n%s", stderr)
	}
	b := r["base"].(map[string]any)
	if kl := b["kl_base_model"].(map[string]any); kl["mean"].(float64) > 1e-6 || b["kl_model_base_mean"].(float64) > 1e-6 || b["same_top_p"] != 1.0 {
		t.Errorf("a model against itself: %v", b)
	}
	for _, f := range []string{"reliability.svg", "position.svg"} {
		if st, err := os.Stat(filepath.Join(plots, f)); err != nil || st.Size() == 0 {
			t.Errorf("plot %s: %v", f, err)
		}
	}
}

func TestEvalTable(t *testing.T) {
	dir := saveTinyModel(t, strings.Repeat(evalText, 5), 16, 32, 1)
	text := filepath.Join(t.TempDir(), "a.txt")
	os.WriteFile(text, []byte(strings.Repeat(evalText, 10)), 0o644)
	out, stderr, err := runXent(t, "eval", "--model", dir, "--data", text, "--window", "llamacpp", "--ctx", "16")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	sum, err := provenance.HashFiles(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{dir + " (weights sha256 " + sum[:12] + ")", "data       " + text, "build      xent ",
		"llamacpp, ctx 16", "mean NLL", "bits per byte", "ECE", "capitalised word", "position in window"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestEvalBadInput(t *testing.T) {
	dir := saveTinyModel(t, strings.Repeat(evalText, 5), 16, 32, 1)
	other := saveTinyModel(t, strings.Repeat("completely other words make another vocabulary entirely\n", 5), 16, 32, 2)
	text := filepath.Join(t.TempDir(), "a.txt")
	os.WriteFile(text, []byte(evalText), 0o644)
	short := filepath.Join(t.TempDir(), "short.txt")
	os.WriteFile(short, []byte("Light."), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--data", text}, "--model is required"},
		{[]string{"--model", dir}, "exactly one of --data and --corpus"},
		{[]string{"--model", dir, "--data", text, "--corpus", "opticks"}, "exactly one of --data and --corpus"},
		{[]string{"--model", dir, "--data", text, "--window", "rolling"}, `unknown windowing scheme "rolling"`},
		{[]string{"--model", dir, "--data", text, "--ctx", "64"}, "context 64 is outside [2, 32]"},
		{[]string{"--model", dir, "--data", text, "--base", other}, "tokenizer"},
		{[]string{"--model", dir, "--data", text, "--classes", "rust"}, `--classes "rust"`},
		{[]string{"--model", filepath.Join(dir, "nope"), "--data", text}, "not a model directory"},
		{[]string{"--model", dir, "--data", filepath.Join(dir, "none*.txt")}, "no such file"},
		{[]string{"--model", dir, "--data", short, "--window", "llamacpp"}, "no token was scored"},
		{[]string{"--model", dir, "--data", text, "--stride", "-3"}, "--stride -3"},
		{[]string{"--model", dir, "--data", text, "--threads", "-1"}, "--threads -1"},
		{[]string{"--model", dir, "--data", text, "--plot-format", "jpeg"}, `plot format "jpeg"`},
	} {
		_, _, err := runXent(t, append([]string{"eval"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.args, err, tc.want)
		}
	}
}

// TestEvalLlamaCppBOS checks that --window llamacpp takes llama.cpp's BOS
// rule from the model directory: a Qwen2.5-shaped directory adds no BOS,
// and with a tokenizer_config.json that adds it (a LlamaTokenizerFast with
// add_bos_token, as transformers reads it) it does (and names it).
func TestEvalLlamaCppBOS(t *testing.T) {
	spec, err := tinyhf.Find("qwen2.5-0.5b")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "qwen")
	if err := tinyhf.Write(dir, spec, 1); err != nil {
		t.Fatal(err)
	}
	text := filepath.Join(t.TempDir(), "a.txt")
	os.WriteFile(text, []byte(strings.Repeat(evalText, 4)), 0o644)
	run := func() map[string]any {
		out, stderr, err := runXent(t, "eval", "--model", dir, "--data", text, "--window", "llamacpp", "--context", "16", "--json")
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		var r map[string]any
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		return r
	}
	plain := run()
	if w := plain["window"].(map[string]any); w["add_bos"] != nil {
		t.Errorf("Qwen2.5 without add_bos_token: window %v, want no add_bos", w)
	}
	os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), []byte(`{"add_bos_token": true, "tokenizer_class": "LlamaTokenizerFast", "bos_token": "<|endoftext|>"}`), 0o644)
	withBOS := run()
	if w := withBOS["window"].(map[string]any); w["add_bos"] != true {
		t.Errorf("add_bos_token true: window %v, want add_bos", w)
	}
	if plain["mean_nll"] == withBOS["mean_nll"] {
		t.Errorf("BOS before the text and over each chunk's first token changed nothing: mean NLL %v", plain["mean_nll"])
	}
}

// TestEvalDTypeCompute checks --dtype and --compute on a bfloat16
// directory: the source names the weights and compute that ran, f32
// compute on bf16 weights gives the mean NLL of the widened weights to
// float32 rounding, bf16 compute one near it, and bf16 compute on widened
// weights is refused.
func TestEvalDTypeCompute(t *testing.T) {
	spec, err := tinyhf.Find("llama-3.2-1b")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "llama")
	if err := tinyhf.Write(dir, spec, 1); err != nil {
		t.Fatal(err)
	}
	text := filepath.Join(t.TempDir(), "a.txt")
	os.WriteFile(text, []byte(evalText), 0o644)
	run := func(args ...string) (map[string]any, float64) {
		out, stderr, err := runXent(t, append([]string{"eval", "--model", dir, "--data", text, "--context", "32", "--json"}, args...)...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, stderr)
		}
		var r struct {
			Source  provenance.Source `json:"source"`
			MeanNLL float64           `json:"mean_nll"`
		}
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		return r.Source.Settings.(map[string]any), r.MeanNLL
	}
	s32, nll32 := run("--compute", "f32")
	if s32["weights"] != "bf16" || s32["compute"] != "f32" {
		t.Errorf("--compute f32: settings %v", s32)
	}
	w32, wnll := run("--dtype", "f32")
	if w32["weights"] != "f32" || w32["compute"] != "f32" {
		t.Errorf("--dtype f32: settings %v", w32)
	}
	if d := nll32 - wnll; d > 1e-5 || d < -1e-5 {
		t.Errorf("f32 compute on bf16 weights: mean NLL %v, on the widened weights %v", nll32, wnll)
	}
	s16, nll16 := run("--compute", "bf16")
	if s16["weights"] != "bf16" || s16["compute"] != "bf16" {
		t.Errorf("--compute bf16: settings %v", s16)
	}
	if d := nll16 - nll32; d > 1e-2 || d < -1e-2 {
		t.Errorf("bf16 compute: mean NLL %v, f32 compute's %v", nll16, nll32)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--dtype", "f32", "--compute", "bf16"}, "bf16 compute needs bfloat16 weights"},
		{[]string{"--compute", "fp8"}, `--compute "fp8"`},
		{[]string{"--dtype", "f16"}, `--dtype "f16"`},
	} {
		_, _, err := runXent(t, append([]string{"eval", "--model", dir, "--data", text, "--context", "32"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.args, err, tc.want)
		}
	}
}
