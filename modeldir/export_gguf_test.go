package modeldir

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xent-dev/xent/format/gguf"
	"github.com/xent-dev/xent/internal/npmcache"
	"github.com/xent-dev/xent/internal/tinyhf"
	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/tokenizer"
)

// memModel is tinyhf's family name with a vocabulary of 320 tokens and
// a small byte-level tokenizer (smallTokenizer), built in memory with
// random weights and norm weights (Gemma's about 0, the others' about
// 1), so that a round trip costs milliseconds, not a GPT-2 vocabulary.
func memModel(t *testing.T, name string, seed uint64) *Pretrained {
	t.Helper()
	spec, err := tinyhf.Find(name)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(spec.Config)
	if err != nil {
		t.Fatal(err)
	}
	var cfg model.Config
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	cfg.VocabSize = 320
	m, err := model.New(cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 9))
	for _, p := range m.Params() {
		if strings.HasSuffix(p.Name, "norm.weight") || strings.Contains(p.Name, "ln_") {
			for i := range p.Data {
				p.Data[i] += 0.3 * float32(rng.NormFloat64())
			}
		}
	}
	return &Pretrained{Model: m, Tokenizer: smallTokenizer(t), Dir: name, Kind: HuggingFace, BOSTokenID: 256, EOSTokenIDs: []int32{256, 1}, AddBOS: true}
}

// smallTokenizer is a byte-level BPE of GPT-2's pre-tokenizer: the 256
// bytes, <|endoftext|> (256, special) and a few merges.
func smallTokenizer(t *testing.T) *tokenizer.Tokenizer {
	t.Helper()
	var runes []rune // GPT-2's bytes_to_unicode
	n := 0
	for b := range 256 {
		if b >= '!' && b <= '~' || b >= 0xA1 && b <= 0xAC || b >= 0xAE {
			runes = append(runes, rune(b))
		} else {
			runes = append(runes, rune(256+n))
			n++
		}
	}
	v := tokenizer.GGUFVocab{Model: "gpt2", Pre: "gpt-2"}
	for _, r := range runes {
		v.Tokens, v.Types = append(v.Tokens, string(r)), append(v.Types, 1)
	}
	v.Tokens, v.Types = append(v.Tokens, "<|endoftext|>"), append(v.Types, 3)
	for _, m := range []string{"Ġ t", "h e", "Ġt he", "i n", "Ġ a", "e r", "o n", "Ġ s", "1 2", "12 3"} {
		l, r, _ := strings.Cut(m, " ")
		v.Merges = append(v.Merges, m)
		v.Tokens, v.Types = append(v.Tokens, l+r), append(v.Types, 1)
	}
	tok, err := tokenizer.LoadGGUF(v)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestExportGGUF exports each tinyhf family (memModel) as f32 and loads
// the file back: the logits must be exactly those of the source's
// inference twin (Llama 3's within 1e-5: rope_freqs.weight holds the
// llama3 divisors rounded to float32), the tokenizer must give the same
// ids, BOS/EOS/AddBOS must survive; the f16 and q8_0 files of the
// permuted (llama) and transposed (gpt2) families must load with logits
// near the source's, and a GGUF file exports again to the same file.
func TestExportGGUF(t *testing.T) {
	text := []byte("The GGUF file's tokenizer: 12345 tokens, don't   split\n\twrongly ünïcödé 😀.")
	for _, name := range []string{"smollm2-135m", "llama-3.1-8b", "llama-3.2-1b", "mistral-7b-v0.1", "qwen2.5-0.5b", "qwen3-0.6b", "phi-3-mini-4k", "gemma-2b", "gemma-2-2b", "gemma-3-1b", "gpt2"} {
		for _, typ := range []string{"f32", "bf16", "f16", "q8_0"} {
			if typ != "f32" && name != "smollm2-135m" && name != "gpt2" {
				continue
			}
			t.Run(name+"/"+typ, func(t *testing.T) {
				ref := memModel(t, name, 5)
				path := filepath.Join(t.TempDir(), "m.gguf")
				info, err := ExportGGUF(ref, path, typ, false)
				if err != nil {
					t.Fatal(err)
				}
				if info.Vocab != "gpt2" || info.Pre != "gpt-2" {
					t.Errorf("vocabulary %s, pre %q; want gpt2, gpt-2", info.Vocab, info.Pre)
				}
				got, err := Load(path)
				if err != nil {
					t.Fatal(err)
				}
				if got.BOSTokenID != ref.BOSTokenID || got.AddBOS != ref.AddBOS || !slices.Equal(got.EOSTokenIDs, ref.EOSTokenIDs[:1]) {
					t.Errorf("BOS %d, AddBOS %v, EOS %v; want %d, %v, %v", got.BOSTokenID, got.AddBOS, got.EOSTokenIDs, ref.BOSTokenID, ref.AddBOS, ref.EOSTokenIDs[:1])
				}
				ids := ref.Tokenizer.Encode(text)
				if back := got.Tokenizer.Encode(text); !slices.Equal(back, ids) {
					t.Fatalf("ids %v, want %v", back, ids)
				}
				want, err := inferenceTwin(t, ref.Model).Logits(ids, 1, len(ids))
				if err != nil {
					t.Fatal(err)
				}
				logits, err := got.Model.Logits(ids, 1, len(ids))
				if err != nil {
					t.Fatal(err)
				}
				var worst float64
				for i := range logits {
					worst = max(worst, math.Abs(float64(logits[i]-want[i])))
				}
				limit := 0.0
				switch {
				case typ != "f32":
					limit = 0.05
				case strings.HasPrefix(name, "llama-3"):
					limit = 1e-5
				}
				if worst > limit {
					t.Errorf("logits differ from the source's by up to %g (allowed %g)", worst, limit)
				}
				t.Logf("%s: %s, %d tensors, largest logit difference %.3g", typ, info.Arch, info.Tensors, worst)
				if typ != "f32" && typ != "q8_0" || name == "phi-3-mini-4k" {
					return // phi3: llama.cpp, and xent reading its file, ignore the sliding window it holds
				}
				again := filepath.Join(t.TempDir(), "m.gguf") // general.name is the file's
				if _, err := ExportGGUF(got, again, typ, false); err != nil {
					t.Fatal(err)
				}
				a, err1 := os.ReadFile(path)
				b, err2 := os.ReadFile(again)
				if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
					t.Errorf("exporting the GGUF file again (%s) gives a different file (%d and %d bytes)", typ, len(a), len(b))
				}
			})
		}
	}
	t.Run("gpt2-vocabulary", func(t *testing.T) {
		ref := tinyModel(t, "smollm2-135m", 5) // a directory with GPT-2's real vocabulary
		path := filepath.Join(t.TempDir(), "m.gguf")
		if _, err := ExportGGUF(ref, path, "f32", false); err != nil {
			t.Fatal(err)
		}
		got, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		ids := ref.Tokenizer.Encode(text)
		if back := got.Tokenizer.Encode(text); !slices.Equal(back, ids) {
			t.Fatalf("ids %v, want %v", back, ids)
		}
	})
}

// TestExportVocab exports real tokenizers' vocabularies (those
// TestLoadGGUFModels in package tokenizer reads), reads them back as
// loadGGUF does, and checks the kind and pre name the converter gives
// each and the ids on texts beyond the check texts: Llama 2's and Gemma
// 3's SentencePiece vocabularies (with and without the space prefix),
// Llama 3's and Qwen 3's byte-level ones (Qwen 3's and Gemma 3's, of
// 150k and 262k tokens, without -short only).
func TestExportVocab(t *testing.T) {
	texts := []string{"Hello, world! It's 2025: 1234567 tokens.", "  indented\n\tcode(x, y) -> z  ", "naïve café 東京 🚀🚀", "I'VE 'told you'RE"}
	for _, c := range []struct{ name, model, pre string }{
		{"llama2", "llama", "default"}, {"llama3", "gpt2", "llama-bpe"}, {"qwen3", "gpt2", "qwen2"}, {"gemma3", "llama", "default"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if testing.Short() && (c.name == "qwen3" || c.name == "gemma3") {
				t.Skip("a large vocabulary")
			}
			tok, err := tokenizer.LoadHFFile(npmcache.TokenizerFile(t, c.name))
			if err != nil {
				t.Fatal(err)
			}
			kv, info, err := ggufVocabKV(tok, tok.VocabSize(), 1, []int32{2}, true)
			if err != nil {
				t.Fatal(err)
			}
			if info.model != c.model || info.pre != c.pre {
				t.Errorf("%s, pre %q; want %s, %q", info.model, info.pre, c.model, c.pre)
			}
			var buf bytes.Buffer
			if err := gguf.Write(&buf, kv, nil); err != nil {
				t.Fatal(err)
			}
			f, err := gguf.Parse(buf.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			back, err := ggufTokenizer(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, text := range texts {
				if got, want := back.Encode([]byte(text)), tok.Encode([]byte(text)); !slices.Equal(got, want) {
					t.Errorf("%q: %v, want %v", text, got, want)
				}
			}
		})
	}
}

// TestExportGGUFRefusals checks that an existing file is kept without
// --force and replaced with it, and that a name without .gguf is refused.
func TestExportGGUFRefusals(t *testing.T) {
	ref := memModel(t, "smollm2-135m", 5)
	dir := t.TempDir()
	path := filepath.Join(dir, "m.gguf")
	if err := os.WriteFile(path, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ExportGGUF(ref, path, "f32", false); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("existing file: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "mine" {
		t.Errorf("the existing file was changed")
	}
	if _, err := ExportGGUF(ref, path, "f32", true); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err != nil {
		t.Fatal(err)
	}
	if _, err := ExportGGUF(ref, filepath.Join(dir, "m.bin"), "f32", false); err == nil || !strings.Contains(err.Error(), ".gguf") {
		t.Errorf("no .gguf: %v", err)
	}
	if _, err := ExportGGUF(ref, filepath.Join(dir, "n.gguf"), "q4_0", false); err == nil || !strings.Contains(err.Error(), `"q4_0"`) {
		t.Errorf("q4_0: %v", err)
	}
}

// TestExportGGUFRope round-trips the RoPE variants the converter writes
// as keys or tensors (linear and yarn as rope.scaling.*, longrope as
// Phi-3's rope_factors_*) and Gemma 2 and 3 without a sliding window, f32
// logits exactly the source's (longrope's within 1e-6: its attention
// factor is stored as a float32).
func TestExportGGUFRope(t *testing.T) {
	text := []byte("the rotary embedding, scaled 123 ways")
	for _, c := range []struct{ name, family, scaling string }{
		{"linear", "smollm2-135m", `{"rope_type":"linear","factor":2}`},
		{"yarn", "qwen2.5-0.5b", `{"rope_type":"yarn","factor":4,"beta_fast":16}`},
		{"longrope", "phi-3-mini-4k", `{"type":"longrope","short_factor":[1,1.5,2,2.5,3,3.5,4,4.5],"long_factor":[2,2,2,2,3,3,3,3]}`},
		// No sliding_window: xent's Gemma 3 keeps the local RoPE on the
		// sliding layers, and the file says so with a window as long as
		// the context (llama.cpp would drop both without one).
		{"gemma3-no-window", "gemma-3-1b", `null`},
		{"gemma2-no-window", "gemma-2-2b", `null`},
	} {
		t.Run(c.name, func(t *testing.T) {
			ref := memModel(t, c.family, 3)
			cfg := ref.Model.Config
			cfg.RopeScaling = json.RawMessage(c.scaling)
			switch c.name {
			case "longrope":
				cfg.MaxPositionEmbeddings, cfg.OriginalMaxPositionEmbeddings = 8192, 4096
			case "gemma3-no-window", "gemma2-no-window":
				cfg.SlidingWindow = nil
			}
			m, err := model.New(cfg, 3)
			if err != nil {
				t.Fatal(err)
			}
			ref.Model = m
			path := filepath.Join(t.TempDir(), "m.gguf")
			if _, err := ExportGGUF(ref, path, "f32", false); err != nil {
				t.Fatal(err)
			}
			got, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			ids := ref.Tokenizer.Encode(text)
			want, err := inferenceTwin(t, ref.Model).Logits(ids, 1, len(ids))
			if err != nil {
				t.Fatal(err)
			}
			logits, err := got.Model.Logits(ids, 1, len(ids))
			if err != nil {
				t.Fatal(err)
			}
			tol := 0.0
			if c.name == "longrope" {
				tol = 1e-6 // rope.scaling.attn_factor is a float32, as the converter writes it
			}
			for i := range logits {
				if math.Abs(float64(logits[i]-want[i])) > tol {
					t.Fatalf("logit %d = %g, the source's %g", i, logits[i], want[i])
				}
			}
		})
	}
}

// TestLoadGGUFRefusalsNew checks that what llama.cpp would compute and
// xent does not is refused by key or tensor.
func TestLoadGGUFRefusalsNew(t *testing.T) {
	for _, c := range []struct {
		family string
		edit   func(kv []gguf.KV, ts []gguf.TensorData) ([]gguf.KV, []gguf.TensorData)
		want   string
	}{
		{"gemma-2-2b", addKV(u32("gemma2.attention.sliding_window_pattern", 3)), `key "gemma2.attention.sliding_window_pattern" is 3`},
		{"llama-3.1-8b", addKV(str("llama.rope.scaling.type", "linear"), f32("llama.rope.scaling.factor", 2)), `"rope_freqs.weight" with rope.scaling.type linear`},
		{"smollm2-135m", addKV(str("llama.rope.scaling.type", "yarn"), f32("llama.rope.scaling.factor", 2), f32("llama.rope.scaling.yarn_ext_factor", 0.5)), `key "llama.rope.scaling.yarn_ext_factor" is not read`},
		{"smollm2-135m", addKV(str("llama.rope.scaling.type", "yarn"), f32("llama.rope.scaling.factor", 2), u32("llama.rope.scaling.original_context_length", 4096)), `xent's YaRN takes the context`},
		{"smollm2-135m", addKV(f32("llama.attn_logit_softcapping", 30)), `key "llama.attn_logit_softcapping": llama.cpp's llama does not read it`},
		{"smollm2-135m", addKV(str("llama.rope.scaling.type", "longrope")), `llama.cpp reads the factors only for phi3`},
		{"phi-3-mini-4k", addKV(f32("phi3.rope.scaling.yarn_beta_fast", 3)), `reads yarn_* keys only for yarn`},
		{"gemma-2b", func(kv []gguf.KV, ts []gguf.TensorData) ([]gguf.KV, []gguf.TensorData) {
			for _, t := range ts {
				if t.Name == "token_embd.weight" {
					t.Name = "output.weight"
					ts = append(ts, t)
				}
			}
			return kv, ts
		}, `tie the head to the embedding`},
	} {
		t.Run(c.want, func(t *testing.T) {
			ref := memModel(t, c.family, 2)
			kv, ts, _, err := ggufExport(ref, "f32", "m")
			if err != nil {
				t.Fatal(err)
			}
			kv, ts = c.edit(kv, ts)
			path := filepath.Join(t.TempDir(), "m.gguf")
			if err := gguf.WriteFile(path, kv, ts); err != nil {
				t.Fatal(err)
			}
			if _, err := Load(path); err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("got %v, want an error naming %s and containing %q", err, path, c.want)
			}
		})
	}
}

// addKV returns an edit that sets the given keys, replacing any the file
// has.
func addKV(add ...gguf.KV) func([]gguf.KV, []gguf.TensorData) ([]gguf.KV, []gguf.TensorData) {
	return func(kv []gguf.KV, ts []gguf.TensorData) ([]gguf.KV, []gguf.TensorData) {
		for _, a := range add {
			kv = slices.DeleteFunc(kv, func(p gguf.KV) bool { return p.Key == a.Key })
			kv = append(kv, a)
		}
		return kv, ts
	}
}

// TestExportGGUFWithoutConfigBOS: a model whose config names no BOS (an
// xent checkpoint written before checkpoints recorded one) exports the
// BOS xent eval uses, so that llama.cpp does not take its own default.
func TestExportGGUFWithoutConfigBOS(t *testing.T) {
	ref := memModel(t, "smollm2-135m", 5)
	ref.BOSTokenID, ref.Kind = -1, Xent
	want, err := ref.BOS()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.gguf")
	if _, err := ExportGGUF(ref, path, "f32", false); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.BOSTokenID != want {
		t.Errorf("the file's BOS is %d; want %d, the tokenizer's", got.BOSTokenID, want)
	}
}
