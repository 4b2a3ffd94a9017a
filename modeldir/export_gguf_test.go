package modeldir

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestExportGGUF exports each tinyhf family as f32 and loads the file
// back: the logits must be exactly the source model's (within the
// tolerance the test names for the families whose round trip rounds),
// the tokenizer must give the same ids, BOS/EOS/AddBOS must survive, and
// the q8_0 and f16 files must load with logits near the original's.
func TestExportGGUF(t *testing.T) {
	text := []byte("The GGUF file's tokenizer: 12345 tokens, don't   split\n\twrongly ünïcödé 😀.")
	for _, name := range []string{"smollm2-135m", "llama-3.1-8b", "llama-3.2-1b", "mistral-7b-v0.1", "qwen2.5-0.5b", "qwen3-0.6b", "phi-3-mini-4k", "gemma-2b", "gemma-2-2b", "gemma-3-1b", "gpt2"} {
		for _, typ := range []string{"f32", "f16", "q8_0"} {
			if typ != "f32" && (testing.Short() || name != "smollm2-135m" && name != "gpt2") {
				continue // the permuted and the transposed families
			}
			t.Run(name+"/"+typ, func(t *testing.T) {
				t.Parallel()
				ref := tinyModel(t, name, 5)
				path := filepath.Join(t.TempDir(), "m.gguf")
				info, err := ExportGGUF(ref, path, typ, false)
				if err != nil {
					t.Fatal(err)
				}
				if info.Vocab != "gpt2" || info.Pre != "gpt-2" {
					t.Errorf("vocabulary %s, pre %q; want gpt2, gpt-2 (tinyhf's tokenizer is GPT-2's)", info.Vocab, info.Pre)
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
					limit = 1e-4 // rope_freqs.weight holds the llama3 divisors rounded to float32
				}
				if worst > limit {
					t.Errorf("logits differ from the source's by up to %g (allowed %g)", worst, limit)
				}
				t.Logf("%s: %s, %d tensors, largest logit difference %.3g", typ, info.Arch, info.Tensors, worst)
			})
		}
	}
}

// TestExportGGUFRefusals checks that an existing file is kept without
// --force and replaced with it, and that a name without .gguf is refused.
func TestExportGGUFRefusals(t *testing.T) {
	ref := tinyModel(t, "smollm2-135m", 5)
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
