package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xent-dev/xent/internal/tinyhf"
	"github.com/xent-dev/xent/modeldir"
)

const tinyCorpus = "Light is refracted by the prism, and the colours are separated. "

// tinyCorpusFile writes tinyCorpus 200 times to a file in a fresh
// directory, with the token cache in another.
func tinyCorpusFile(t *testing.T) (root, corpus string, text []byte) {
	t.Helper()
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // the token cache goes there
	root = t.TempDir()
	text = []byte(strings.Repeat(tinyCorpus, 200))
	corpus = filepath.Join(root, "corpus.txt")
	if err := os.WriteFile(corpus, text, 0o644); err != nil {
		t.Fatal(err)
	}
	return root, corpus, text
}

// tinyModelDir writes a small random model with a BPE trained on
// tinyCorpus (context 48) and returns its directory and the corpus file.
func tinyModelDir(t *testing.T) (dir, corpus string) {
	t.Helper()
	_, corpus, text := tinyCorpusFile(t)
	return saveTinyModel(t, string(text), 16, 48, 3), corpus
}

func TestGenerateStreamsTheSameTextForTheSameSeed(t *testing.T) {
	dir, _ := tinyModelDir(t)
	args := []string{"generate", "--model", dir, "--prompt", "Light is", "--max-tokens", "20", "--top-k", "40", "--seed", "5"}
	a, stderr, err := runXent(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	if len(strings.TrimSpace(a)) == 0 || !strings.Contains(stderr, "3-token prompt") && !strings.Contains(stderr, "-token prompt") {
		t.Fatalf("stdout %q, stderr %q", a, stderr)
	}
	b, _, _ := runXent(t, args...)
	if a != b {
		t.Errorf("same seed, different text:\n%q\n%q", a, b)
	}
	c, _, _ := runXent(t, append(args[:len(args)-1], "6")...)
	if c == a {
		t.Errorf("seeds 5 and 6 gave the same 20 tokens %q", a)
	}
}

func TestGenerateJSON(t *testing.T) {
	dir, _ := tinyModelDir(t)
	stdout, _, err := runXent(t, "generate", "--model", dir, "--prompt", "the colours", "--max-tokens", "12",
		"--temperature", "0", "--samples", "2", "--metrics", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		PromptTokens int `json:"prompt_tokens"`
		Samples      []struct {
			Text   string `json:"text"`
			Tokens []struct {
				ID      int32   `json:"id"`
				Text    string  `json:"text"`
				LogProb float64 `json:"logprob"`
				Rank    int     `json:"rank"`
			} `json:"tokens"`
			MeanLogProb float64 `json:"mean_logprob"`
		} `json:"samples"`
		Metrics *struct {
			Tokens  int     `json:"tokens"`
			SeqRep4 float64 `json:"seq_rep_4"`
		} `json:"metrics"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v in %q", err, stdout)
	}
	if len(rep.Samples) != 2 || rep.Metrics == nil || rep.PromptTokens < 1 {
		t.Fatalf("report %+v", rep)
	}
	total := 0
	for _, s := range rep.Samples {
		var text string
		var sum float64
		for _, tk := range s.Tokens {
			if tk.Rank != 1 || tk.LogProb > 0 { // greedy, no penalty: always the top token
				t.Fatalf("greedy token %+v", tk)
			}
			text += tk.Text
			sum += tk.LogProb
		}
		if text != s.Text || len(s.Tokens) == 0 || abs(sum/float64(len(s.Tokens))-s.MeanLogProb) > 1e-9 {
			t.Fatalf("sample %+v", s)
		}
		total += len(s.Tokens)
	}
	if rep.Metrics.Tokens != total || rep.Samples[0].Text != rep.Samples[1].Text {
		t.Errorf("metrics over %d tokens of %d; greedy samples differ: %q %q", rep.Metrics.Tokens, total, rep.Samples[0].Text, rep.Samples[1].Text)
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestGenerateErrors(t *testing.T) {
	dir, _ := tinyModelDir(t)
	long := filepath.Join(t.TempDir(), "long.txt")
	os.WriteFile(long, []byte(strings.Repeat(tinyCorpus, 20)), 0o644)
	base := []string{"generate", "--model", dir, "--prompt", "Light"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{append(base, "--temperature", "-0.5"), "--temperature -0.5"},
		{append(base, "--top-p", "0"), "--top-p 0"},
		{append(base, "--top-p", "1.5"), "--top-p 1.5"},
		{append(base, "--top-k", "-2"), "top-k -2"},
		{append(base, "--min-p", "3"), "min-p 3"},
		{append(base, "--penalty-window", "-1"), "penalty window -1"},
		{append(base, "--repetition-penalty", "0"), "--repetition-penalty 0"},
		{append(base, "--order", "top-k,penalties"), "--order"},
		{append(base, "--max-tokens", "100"), "--max-tokens 100"},
		{append(base, "--wobble"), "unknown flag: --wobble"},
		{[]string{"generate", "--model", dir, "--prompt-file", long}, "longer than the model's context of 48"},
		{[]string{"generate", "--model", dir}, "--prompt"},
		{[]string{"generate", "--prompt", "x"}, "--model is required"},
		{[]string{"generate", "--model", filepath.Join(dir, "nope"), "--prompt", "x"}, "nope"},
	} {
		if _, _, err := runXent(t, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one with %q", tc.args[1:], err, tc.want)
		}
	}
	// An empty prompt starts from the BOS token.
	if _, _, err := runXent(t, "generate", "--model", dir, "--prompt", "", "--max-tokens", "3"); err != nil {
		t.Errorf("empty prompt: %v", err)
	}
}

func TestStudyCommands(t *testing.T) {
	dir, corpus := tinyModelDir(t)
	plot := filepath.Join(t.TempDir(), "curve.svg")
	stdout, _, err := runXent(t, "study", "exposure", "--model", dir, "--data", corpus, "--docs", "3",
		"--prefixes", "4,8", "--own", "4", "--continuation", "8", "--horizon", "16", "--plot", plot)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, "teacher-forced") || !strings.Contains(stdout, "error compounding") {
		t.Errorf("exposure table:\n%s", stdout)
	}
	if _, err := os.Stat(plot); err != nil {
		t.Errorf("no plot: %v", err)
	}
	stdout, _, err = runXent(t, "study", "repetition", "--model", dir, "--data", corpus, "--docs", "2",
		"--prompt-len", "8", "--new-tokens", "16", "--repetition-penalties", "1,2", "--frequency-penalties", "", "--presence-penalties", "0.5", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Rows []struct {
			Setting string  `json:"setting"`
			SeqRep4 float64 `json:"seq_rep_4"`
			NLL     float64 `json:"nll"`
		} `json:"rows"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || len(rep.Rows) != 3 || rep.Rows[2].Setting != "presence 0.5" || !(rep.Rows[0].NLL > 0) {
		t.Errorf("repetition: %+v (%v) from %q", rep, err, stdout)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"study", "exposure", "--model", dir, "--data", corpus, "--prefixes", "40"}, "context of 48"},
		{[]string{"study", "exposure", "--data", corpus}, "--model is required"},
		{[]string{"study", "repetition", "--model", dir, "--data", corpus, "--repetition-penalties", "0"}, "> 0"},
		{[]string{"study", "repetition", "--model", dir, "--data", corpus, "--temperature", "-1"}, "temperature"},
		{[]string{"study", "repetition", "--model", dir, "--data", corpus, "--frequency-penalties", "0.5,x"}, `"x" is not a number`},
	} {
		if _, _, err := runXent(t, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.args[1:], err, tc.want)
		}
	}
}

// TestGenerateBF16 checks that --bf16 decodes (over the rounded weights)
// the requested number of tokens, deterministically for a seed.
func TestGenerateBF16(t *testing.T) {
	dir, _ := tinyModelDir(t)
	args := []string{"generate", "--model", dir, "--prompt", "Light is", "--max-tokens", "12", "--seed", "3", "--bf16", "--json"}
	a, stderr, err := runXent(t, args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	b, _, _ := runXent(t, args...)
	if a != b || strings.Count(a, `"logprob"`) < 12 {
		t.Errorf("--bf16 output is not the same twice or has no log-probabilities:\n%s\n%s", a, b)
	}
}

// tinyHFDir writes internal/tinyhf's directory name (a GPT-2 tokenizer of
// 50,257 tokens, the vocabulary padded to 50,304) into a fresh directory.
func tinyHFDir(t *testing.T, name string) string {
	t.Helper()
	spec, err := tinyhf.Find(name)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), name)
	if err := tinyhf.Write(dir, spec, 1); err != nil {
		t.Fatal(err)
	}
	return dir
}

// generateJSON runs xent generate --json with args after --model dir.
func generateJSON(t *testing.T, dir string, args ...string) generateReport {
	t.Helper()
	stdout, stderr, err := runXent(t, append([]string{"generate", "--model", dir, "--json"}, args...)...)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	var r generateReport
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	return r
}

// TestGenerateBOSAndStops checks, on a Qwen2.5-shaped directory: that the
// prompt starts with BOS only when tokenizer_config.json says the
// vocabulary adds it (a LlamaTokenizerFast with add_bos_token: the
// tokenizer's Template, as transformers builds it); that generation stops at an eos_token_id of
// generation_config.json (one greedy decoding picks first) and at a --stop
// string, which is not printed; and that the ids padded past the tokenizer
// are the ones never sampled.
func TestGenerateBOSAndStops(t *testing.T) {
	dir := tinyHFDir(t, "qwen2.5-0.5b")
	args := []string{"--prompt", "Light is", "--temperature", "0", "--max-tokens", "24"}
	free := generateJSON(t, dir, args...)
	os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), []byte(`{"add_bos_token": true, "tokenizer_class": "LlamaTokenizerFast", "bos_token": "<|endoftext|>"}`), 0o644)
	withBOS := generateJSON(t, dir, args...)
	if withBOS.PromptTokens != free.PromptTokens+1 {
		t.Errorf("add_bos_token true: a %d-token prompt, without it %d; want one more (BOS)", withBOS.PromptTokens, free.PromptTokens)
	}
	os.Remove(filepath.Join(dir, "tokenizer_config.json"))

	text := free.Samples[0].Text
	toks := free.Samples[0].Tokens
	if len(toks) < 6 || len(text) < 12 {
		t.Fatalf("greedy decoding gave %d tokens, %q: too few to cut", len(toks), text)
	}
	stopAt := toks[3].ID
	firstStop := slices.IndexFunc(toks, func(g generatedToken) bool { return g.ID == stopAt })
	os.WriteFile(filepath.Join(dir, "generation_config.json"), []byte(fmt.Sprintf(`{"eos_token_id": [7, %d]}`, stopAt)), 0o644)
	eos := generateJSON(t, dir, args...)
	if got := len(eos.Samples[0].Tokens); got != firstStop {
		t.Errorf("eos_token_id [7, %d]: %d tokens generated, want the %d before it", stopAt, got, firstStop)
	}
	os.Remove(filepath.Join(dir, "generation_config.json"))

	stop := text[5:9]
	cut := generateJSON(t, dir, append(args, "--stop", "never there", "--stop", stop)...)
	if want := text[:strings.Index(text, stop)]; cut.Samples[0].Text != want {
		t.Errorf("--stop %q: text %q, want %q", stop, cut.Samples[0].Text, want)
	}
	plain, _, err := runXent(t, append([]string{"generate", "--model", dir}, append(args, "--stop", stop)...)...)
	if err != nil || plain != text[:strings.Index(text, stop)]+"\n" {
		t.Errorf("--stop %q streamed %q (%v), want %q", stop, plain, err, text[:strings.Index(text, stop)]+"\n")
	}

	p, err := modeldir.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	never := undecodable(p)
	if len(never) != 50304-50257 || never[0] != 50257 || never[len(never)-1] != 50303 {
		t.Errorf("undecodable ids %d..%d (%d of them), want the padding 50257..50303", never[0], never[len(never)-1], len(never))
	}
}
