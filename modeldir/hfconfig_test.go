package modeldir

import (
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/tokenizer"
)

var updateHF = flag.Bool("update-hf", false, "rewrite testdata/hfwrite's directories (then run testdata/hfwrite/gen.py)")

// hfWriteCases are directories xent writes, one per family (and an untied
// Llama head, and an xent train checkpoint), with small tokenizers whose
// special tokens are GPT-2's, Llama 3's and Gemma's.
var hfWriteCases = []struct {
	name    string
	cfg     model.Config
	special []string
	extra   map[string]any
}{
	{"gpt2-train", model.Config{ModelType: model.GPT2, VocabSize: 320, NEmbd: 16, NLayer: 2, NHead: 4, NPositions: 16},
		[]string{"<|endoftext|>"}, map[string]any{"xent": map[string]any{"steps": 1}}},
	{"llama", llamaLike(model.Llama, true), []string{"<|begin_of_text|>", "<|end_of_text|>"}, nil},
	{"llama-untied", llamaLike(model.Llama, false), []string{"<|begin_of_text|>", "<|end_of_text|>"}, nil},
	{"mistral", withWindow(llamaLike(model.Mistral, false), 4), []string{"<|endoftext|>"}, nil},
	{"qwen2", llamaLike(model.Qwen2, true), []string{"<|endoftext|>"}, nil},
	{"qwen3", llamaLike(model.Qwen3, true), []string{"<|endoftext|>"}, nil},
	{"phi3", llamaLike(model.Phi3, false), []string{"<|endoftext|>"}, nil},
	{"gemma", llamaLike(model.Gemma, true), []string{"<bos>", "<eos>"}, nil},
	{"gemma2", gemma2Like(), []string{"<bos>", "<eos>"}, nil},
	{"gemma3_text", gemma3Like(), []string{"<bos>", "<eos>"}, nil},
}

func llamaLike(kind string, tied bool) model.Config {
	return model.Config{ModelType: kind, VocabSize: 320, HiddenSize: 16, IntermediateSize: 24, NumHiddenLayers: 2,
		NumAttentionHeads: 4, NumKeyValueHeads: 2, MaxPositionEmbeddings: 16, RMSNormEps: 1e-6, RopeTheta: 1e4,
		TieWordEmbeddings: tied}
}

func withWindow(c model.Config, w int) model.Config { c.SlidingWindow = &w; return c }

func gemma2Like() model.Config {
	c := withWindow(llamaLike(model.Gemma2, true), 4)
	c.HeadDim, c.QueryPreAttnScalar, c.AttnLogitSoftcapping, c.FinalLogitSoftcapping = 8, 8, 50, 30
	return c
}

func gemma3Like() model.Config {
	c := withWindow(llamaLike(model.Gemma3Text, true), 4)
	c.NumHiddenLayers, c.HeadDim, c.QueryPreAttnScalar, c.SlidingWindowPattern, c.RopeLocalBaseFreq = 3, 8, 8, 3, 100
	return c
}

// hfTokens are the token ids the golden logits are computed for.
var hfTokens = []int32{1, 7, 300, 45, 2, 99, 250, 3, 17, 64, 128, 5}

// TestTransformersReadsWhatXentWrites checks that the directories WriteFiles
// writes are those committed under testdata/hfwrite, which
// testdata/hfwrite/gen.py read the way transformers does (architectures,
// tie_word_embeddings against the tensors present, torch_dtype, bos and eos
// ids against generation_config.json and tokenizer_config.json) and ran
// through the PyTorch twins of model/testdata/gen.py; and that xent's
// logits on the committed directory equal the twin's.
func TestTransformersReadsWhatXentWrites(t *testing.T) {
	text := bytes.Repeat([]byte("the quick brown fox jumps over the lazy dog; a cat sat on the mat. "), 20)
	for _, tc := range hfWriteCases {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := tokenizer.Train([][]byte{text}, tokenizer.TrainOptions{VocabSize: 300, Pattern: tokenizer.GPT2, Special: tc.special})
			if err != nil {
				t.Fatal(err)
			}
			m, err := model.New(tc.cfg, 7)
			if err != nil {
				t.Fatal(err)
			}
			for i, p := range m.Params() { // visible norms and biases
				for j := range p.Data {
					p.Data[j] += 0.05 * float32(math.Sin(float64(3*i+j)))
				}
			}
			dir := filepath.Join("testdata", "hfwrite", tc.name)
			got := t.TempDir()
			if *updateHF {
				os.RemoveAll(dir)
				os.MkdirAll(dir, 0o755)
				got = dir
			}
			if err := WriteFiles(got, m, tok, tc.extra); err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{ConfigFile, WeightsFile, TokenizerFile, GenerationFile, TokenizerConfigFile} {
				a, err := os.ReadFile(filepath.Join(got, name))
				if err != nil {
					t.Fatal(err)
				}
				b, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(a, b) {
					t.Errorf("%s differs from the committed one (rerun with -update-hf, then testdata/hfwrite/gen.py)", name)
				}
			}
			var golden struct {
				Tokens []int32
				Logits []float32
			}
			raw, err := os.ReadFile(filepath.Join(dir, "golden.json"))
			if err != nil {
				t.Fatalf("%v (run /usr/bin/python3 modeldir/testdata/hfwrite/gen.py)", err)
			}
			if err := json.Unmarshal(raw, &golden); err != nil {
				t.Fatal(err)
			}
			p, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			logits, err := p.Model.Logits(golden.Tokens, 1, len(golden.Tokens))
			if err != nil {
				t.Fatal(err)
			}
			var worst, scale float64
			for i := range logits {
				worst = max(worst, math.Abs(float64(logits[i]-golden.Logits[i])))
				scale = max(scale, math.Abs(float64(golden.Logits[i])))
			}
			if len(logits) != len(golden.Logits) || worst > 1e-4*scale {
				t.Errorf("logits differ from the twin's by %.3g (scale %.3g, %d vs %d values)", worst, scale, len(logits), len(golden.Logits))
			}
		})
	}
}

// TestGemma3ExplicitFields checks that a gemma3_text model whose Config
// leaves fields at zero (no head_dim, no window, no query_pre_attn_scalar)
// is written so that it reads back as the same model, not with
// Gemma3TextConfig's defaults in those fields.
func TestGemma3ExplicitFields(t *testing.T) {
	cfg := model.Config{ModelType: model.Gemma3Text, VocabSize: 320, HiddenSize: 16, IntermediateSize: 24,
		NumHiddenLayers: 2, NumAttentionHeads: 4, MaxPositionEmbeddings: 16, TieWordEmbeddings: true}
	m, err := model.New(cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.Train([][]byte{[]byte("a b c a b c")}, tokenizer.TrainOptions{VocabSize: 260, Pattern: tokenizer.GPT2, Special: []string{"<bos>", "<eos>"}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := WriteFiles(dir, m, tok, nil); err != nil {
		t.Fatal(err)
	}
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	tokens := []int32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	want, err := m.Logits(tokens, 1, len(tokens))
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.Model.Logits(tokens, 1, len(tokens))
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("logit %d: %g read back, %g written", i, got[i], want[i])
		}
	}
}
