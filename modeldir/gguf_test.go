package modeldir

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xent-dev/xent/format/gguf"
	"github.com/xent-dev/xent/internal/tinyhf"
	"github.com/xent-dev/xent/model"
)

// ggufArch is the general.architecture llama.cpp's converter gives each
// tinyhf family that loadGGUF reads.
var ggufArch = map[string]string{"smollm2-135m": "llama", "qwen2.5-0.5b": "qwen2", "qwen3-0.6b": "qwen3", "gpt2": "gpt2"}

// writeTestGGUF writes p as llama.cpp's converter would (convert_hf_to_gguf.py
// at the commit format/gguf names): its names (gguf.FileName), Llama's Q/K
// rows permuted, GPT-2's Conv1D weights transposed, the hyper-parameters
// under "<arch>.*", and the tokenizer as a gpt2 vocabulary of pre "gpt-2"
// (memModel's and tinyhf's tokenizers are byte-level with GPT-2's pattern). Matrices whose rows are whole blocks are
// stored as typ, the rest as f32, as llama-quantize keeps norms in f32.
// edit, if not nil, changes the file before it is written. It returns p's parameters as the file holds them, decoded again.
func writeTestGGUF(t *testing.T, p *Pretrained, arch string, typ gguf.Type, path string, edit func(kv []gguf.KV, ts []gguf.TensorData) ([]gguf.KV, []gguf.TensorData)) map[string][]float32 {
	t.Helper()
	c := p.Model.Config
	u32 := func(k string, v int) gguf.KV {
		return gguf.KV{Key: arch + "." + k, Value: gguf.Value{Type: gguf.Uint32, V: uint32(v)}}
	}
	f32 := func(k string, v float64) gguf.KV {
		return gguf.KV{Key: arch + "." + k, Value: gguf.Value{Type: gguf.Float32, V: float32(v)}}
	}
	kv := []gguf.KV{{Key: "general.architecture", Value: gguf.Value{Type: gguf.String, V: arch}}}
	heads, kvHeads := c.NumAttentionHeads, c.NumKeyValueHeads
	if arch == "gpt2" {
		heads = c.NHead
		kv = append(kv, u32("context_length", c.NPositions), u32("embedding_length", c.NEmbd), u32("feed_forward_length", 4*c.NEmbd),
			u32("block_count", c.NLayer), u32("attention.head_count", c.NHead), f32("attention.layer_norm_epsilon", c.LayerNormEpsilon))
	} else {
		kv = append(kv, u32("context_length", c.MaxPositionEmbeddings), u32("embedding_length", c.HiddenSize),
			u32("feed_forward_length", c.IntermediateSize), u32("block_count", c.NumHiddenLayers),
			u32("attention.head_count", heads), u32("attention.head_count_kv", kvHeads),
			f32("rope.freq_base", c.RopeTheta), f32("attention.layer_norm_rms_epsilon", c.RMSNormEps))
		if c.HeadDim != 0 {
			kv = append(kv, u32("attention.key_length", c.HeadDim), u32("attention.value_length", c.HeadDim))
		}
	}
	var hf bytes.Buffer
	if err := p.Tokenizer.SaveHF(&hf); err != nil {
		t.Fatal(err)
	}
	var tj struct {
		AddedTokens []struct {
			ID      int    `json:"id"`
			Content string `json:"content"`
		} `json:"added_tokens"`
		Model struct {
			Vocab  map[string]int  `json:"vocab"`
			Merges json.RawMessage `json:"merges"`
		} `json:"model"`
	}
	if err := json.Unmarshal(hf.Bytes(), &tj); err != nil {
		t.Fatal(err)
	}
	tokens := make([]string, p.Tokenizer.VocabSize())
	types := make([]int32, len(tokens))
	for s, id := range tj.Model.Vocab {
		tokens[id], types[id] = s, 1
	}
	for _, a := range tj.AddedTokens {
		tokens[a.ID], types[a.ID] = a.Content, 3
	}
	var merges []string
	if err := json.Unmarshal(tj.Model.Merges, &merges); err != nil {
		merges = nil
		var pairs [][2]string
		if err := json.Unmarshal(tj.Model.Merges, &pairs); err != nil {
			t.Fatal(err)
		}
		for _, m := range pairs {
			merges = append(merges, m[0]+" "+m[1])
		}
	}
	kv = append(kv,
		gguf.KV{Key: "tokenizer.ggml.model", Value: gguf.Value{Type: gguf.String, V: "gpt2"}},
		gguf.KV{Key: "tokenizer.ggml.pre", Value: gguf.Value{Type: gguf.String, V: "gpt-2"}},
		gguf.KV{Key: "tokenizer.ggml.tokens", Value: gguf.Value{Type: gguf.Array, Elem: gguf.String, V: tokens}},
		gguf.KV{Key: "tokenizer.ggml.token_type", Value: gguf.Value{Type: gguf.Array, Elem: gguf.Int32, V: types}},
		gguf.KV{Key: "tokenizer.ggml.merges", Value: gguf.Value{Type: gguf.Array, Elem: gguf.String, V: merges}},
		gguf.KV{Key: "tokenizer.ggml.bos_token_id", Value: gguf.Value{Type: gguf.Uint32, V: uint32(endOfText(t, p))}},
		gguf.KV{Key: "tokenizer.ggml.eos_token_id", Value: gguf.Value{Type: gguf.Uint32, V: uint32(endOfText(t, p))}},
	)
	held := map[string][]float32{}
	var tensors []gguf.TensorData
	for _, prm := range p.Model.Params() {
		name, err := gguf.FileName(arch, prm.Name)
		if err != nil {
			t.Fatal(err)
		}
		vals, shape := prm.Data, prm.Shape // C order
		if arch == "gpt2" && len(shape) == 2 && !strings.HasPrefix(prm.Name, "w") {
			in, out := shape[0], shape[1]
			tr := make([]float32, len(vals))
			for i := range in {
				for o := range out {
					tr[o*in+i] = vals[i*out+o]
				}
			}
			vals, shape = tr, []int{out, in}
		}
		dims := make([]int64, len(shape))
		for i, s := range shape {
			dims[len(dims)-1-i] = int64(s)
		}
		tt := gguf.F32
		if len(dims) == 2 && dims[0]%int64(typ.BlockSize()) == 0 {
			tt = typ
		}
		data, err := gguf.Encode(tt, vals)
		if err != nil {
			t.Fatal(err)
		}
		back := make([]float32, len(vals))
		if err := gguf.Dequantize(tt, data, back); err != nil {
			t.Fatal(err)
		}
		if arch == "gpt2" && len(prm.Shape) == 2 && !strings.HasPrefix(prm.Name, "w") {
			in, out := prm.Shape[0], prm.Shape[1]
			hfOrder := make([]float32, len(back))
			for o := range out {
				for i := range in {
					hfOrder[i*out+o] = back[o*in+i]
				}
			}
			back = hfOrder
		}
		held[prm.Name] = back
		if arch == "llama" && (strings.Contains(name, ".attn_q.") || strings.Contains(name, ".attn_k.")) {
			h := heads
			if strings.Contains(name, ".attn_k.") {
				h = kvHeads
			}
			row := len(data) / shape[0]
			if data, err = gguf.PermuteRows(data, row, h); err != nil {
				t.Fatal(err)
			}
		}
		tensors = append(tensors, gguf.TensorData{Name: name, Type: tt, Dims: dims, Data: data})
	}
	if edit != nil {
		kv, tensors = edit(kv, tensors)
	}
	if err := gguf.WriteFile(path, kv, tensors); err != nil {
		t.Fatal(err)
	}
	return held
}

// TestLoadGGUF writes a GGUF file from each tinyhf family llama.cpp
// converts to llama, qwen2, qwen3 or gpt2, in f32 and q8_0, and loads it:
// every parameter must be what the file holds, put back in Hugging Face's
// order (exactly the safetensors directory's for f32), the logits exactly
// those of the directory's model holding the file's values, the q8_0
// logits near the original's, and the tokenizer must give the
// directory's ids.
func TestLoadGGUF(t *testing.T) {
	text := []byte("The GGUF file's tokenizer: 12345 tokens, don't   split\n\twrongly <|endoftext|> ünïcödé 😀.")
	for _, name := range []string{"smollm2-135m", "qwen2.5-0.5b", "qwen3-0.6b", "gpt2"} {
		for _, typ := range []gguf.Type{gguf.F32, gguf.Q8_0} {
			t.Run(name+"/"+typ.String(), func(t *testing.T) {
				ref := memModel(t, name, 11)
				eot := endOfText(t, ref)
				path := filepath.Join(t.TempDir(), name+".gguf")
				held := writeTestGGUF(t, ref, ggufArch[name], typ, path, nil)
				got, err := LoadWith(path, Options{F32: true}) // the file's values widened; TestGGUFBlocks checks the blocks
				if err != nil {
					t.Fatal(err)
				}
				if got.Kind != GGUF || got.BOSTokenID != eot || len(got.EOSTokenIDs) != 1 || got.EOSTokenIDs[0] != eot || got.AddBOS {
					t.Errorf("Kind %q, BOS %d, EOS %v, AddBOS %v; want gguf, %d, [%d], false", got.Kind, got.BOSTokenID, got.EOSTokenIDs, got.AddBOS, eot, eot)
				}
				if !got.Model.Inference() {
					t.Errorf("a GGUF file loads as an inference-only model (no random init, no gradients)")
				}
				params, err := ggufParams(path)
				if err != nil || len(params) != len(held) {
					t.Fatalf("%d parameters, want %d: %v", len(params), len(held), err)
				}
				for _, p := range params {
					want := held[p.Name]
					for i := range p.Data {
						if p.Data[i] != want[i] {
							t.Fatalf("%s[%d] = %g, the file holds %g", p.Name, i, p.Data[i], want[i])
						}
					}
				}
				wantIDs, err := ref.Tokenizer.EncodeSpecial(text, []string{"<|endoftext|>"})
				if err != nil {
					t.Fatal(err)
				}
				ids, err := got.Tokenizer.EncodeSpecial(text, []string{"<|endoftext|>"})
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(ids, wantIDs) {
					t.Fatalf("GGUF tokenizer: %v\nwant %v", ids, wantIDs)
				}
				orig, err := inferenceTwin(t, ref.Model).Logits(ids, 1, len(ids))
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range ref.Model.Params() {
					copy(p.Data, held[p.Name])
				}
				same, err := inferenceTwin(t, ref.Model).Logits(ids, 1, len(ids))
				if err != nil {
					t.Fatal(err)
				}
				logits, err := got.Model.Logits(ids, 1, len(ids))
				if err != nil {
					t.Fatal(err)
				}
				var worst float64
				for i := range logits {
					if logits[i] != same[i] {
						t.Fatalf("logit %d = %g, the directory's model with the file's values gives %g", i, logits[i], same[i])
					}
					worst = max(worst, math.Abs(float64(logits[i]-orig[i])))
				}
				if typ == gguf.F32 && worst != 0 {
					t.Errorf("f32: logits differ from the safetensors directory's by up to %g", worst)
				}
				if worst > 0.05 {
					t.Errorf("%s: logits differ from the original's by up to %g", typ, worst)
				}
				t.Logf("%s: largest logit difference from the original %.3g", typ, worst)
			})
		}
	}
}

// TestLoadGGUFRefusals checks that a GGUF file loadGGUF cannot read whole
// is refused with the tensor or key at fault named.
func TestLoadGGUFRefusals(t *testing.T) {
	ref := memModel(t, "smollm2-135m", 3)
	setKV := func(key string, v gguf.Value) func([]gguf.KV, []gguf.TensorData) ([]gguf.KV, []gguf.TensorData) {
		return func(kv []gguf.KV, ts []gguf.TensorData) ([]gguf.KV, []gguf.TensorData) {
			for i := range kv {
				if kv[i].Key == key {
					kv[i].Value = v
				}
			}
			return kv, ts
		}
	}
	extra := func(name string, dims []int64) func([]gguf.KV, []gguf.TensorData) ([]gguf.KV, []gguf.TensorData) {
		return func(kv []gguf.KV, ts []gguf.TensorData) ([]gguf.KV, []gguf.TensorData) {
			n := int64(1)
			for _, d := range dims {
				n *= d
			}
			return kv, append(ts, gguf.TensorData{Name: name, Type: gguf.F32, Dims: dims, Data: make([]byte, 4*n)})
		}
	}
	for _, c := range []struct {
		name string
		edit func([]gguf.KV, []gguf.TensorData) ([]gguf.KV, []gguf.TensorData)
		want string
	}{
		{"missing", func(kv []gguf.KV, ts []gguf.TensorData) ([]gguf.KV, []gguf.TensorData) {
			return kv, slices.DeleteFunc(ts, func(t gguf.TensorData) bool { return t.Name == "blk.1.ffn_up.weight" })
		}, `no tensor "blk.1.ffn_up.weight"`},
		{"extra", extra("blk.5.ffn_up.weight", []int64{48, 128}), `tensor "blk.5.ffn_up.weight" has no place`},
		{"rope_freqs", extra("rope_freqs.weight", []int64{8}), `tensor "rope_freqs.weight": value 0 is 0, not a positive divisor`},
		{"pre", setKV("tokenizer.ggml.pre", gguf.Value{Type: gguf.String, V: "falcon"}), `tokenizer.ggml.pre "falcon"`},
		{"bos", setKV("tokenizer.ggml.bos_token_id", gguf.Value{Type: gguf.Uint32, V: uint32(60000)}), `"tokenizer.ggml.bos_token_id": token 60000 is outside`},
		{"shape", setKV("llama.feed_forward_length", gguf.Value{Type: gguf.Uint32, V: uint32(96)}), `tensor "blk.0.ffn_gate.weight" has dims`},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "m.gguf")
			writeTestGGUF(t, ref, "llama", gguf.F32, path, c.edit)
			_, err := Load(path)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("got %v, want an error naming %s and containing %q", err, path, c.want)
			}
		})
	}
}

// TestLoadGGUFAddBOS checks llama.cpp's add_bos: the file's
// tokenizer.ggml.add_bos_token where it has one, else true for a gpt2
// vocabulary only under a Llama 3 pre name.
func TestLoadGGUFAddBOS(t *testing.T) {
	ref := memModel(t, "smollm2-135m", 3)
	for _, c := range []struct {
		pre  string
		key  *bool
		want bool
	}{{"gpt-2", nil, false}, {"llama-bpe", nil, true}, {"llama-bpe", new(false), false}, {"gpt-2", new(true), true}} {
		path := filepath.Join(t.TempDir(), "m.gguf")
		writeTestGGUF(t, ref, "llama", gguf.F32, path, func(kv []gguf.KV, ts []gguf.TensorData) ([]gguf.KV, []gguf.TensorData) {
			for i := range kv {
				if kv[i].Key == "tokenizer.ggml.pre" {
					kv[i].Value.V = c.pre
				}
			}
			if c.key != nil {
				kv = append(kv, gguf.KV{Key: "tokenizer.ggml.add_bos_token", Value: gguf.Value{Type: gguf.Bool, V: *c.key}})
			}
			return kv, ts
		})
		p, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if p.AddBOS != c.want {
			t.Errorf("pre %q, add_bos_token %v: AddBOS %v, want %v", c.pre, c.key, p.AddBOS, c.want)
		}
	}
}

// TestLoadGGUFSentencePiece checks that a llama (SentencePiece) vocabulary
// is read with its scores, token types and add_space_prefix: "a ab" is
// ▁a ▁a <0x62> with the prefix and a ▁a <0x62> without (b, which no token
// spells, falls back to its byte), and BOS is added unless the file says
// not to.
func TestLoadGGUFSentencePiece(t *testing.T) {
	ref := memModel(t, "smollm2-135m", 3)
	tokens := []string{"<unk>", "<s>", "</s>"}
	types := []int32{2, 3, 3}
	for b := range 256 {
		tokens, types = append(tokens, fmt.Sprintf("<0x%02X>", b)), append(types, 6)
	}
	tokens, types = append(tokens, "▁", "a", "▁a"), append(types, 1, 1, 1)
	scores := make([]float32, len(tokens))
	scores[len(scores)-1] = 1
	for _, prefix := range []bool{true, false} {
		path := filepath.Join(t.TempDir(), "m.gguf")
		writeTestGGUF(t, ref, "llama", gguf.F32, path, func(kv []gguf.KV, ts []gguf.TensorData) ([]gguf.KV, []gguf.TensorData) {
			kv = slices.DeleteFunc(kv, func(kv gguf.KV) bool { return strings.HasPrefix(kv.Key, "tokenizer.") })
			kv = append(kv,
				gguf.KV{Key: "tokenizer.ggml.model", Value: gguf.Value{Type: gguf.String, V: "llama"}},
				gguf.KV{Key: "tokenizer.ggml.tokens", Value: gguf.Value{Type: gguf.Array, Elem: gguf.String, V: tokens}},
				gguf.KV{Key: "tokenizer.ggml.scores", Value: gguf.Value{Type: gguf.Array, Elem: gguf.Float32, V: scores}},
				gguf.KV{Key: "tokenizer.ggml.token_type", Value: gguf.Value{Type: gguf.Array, Elem: gguf.Int32, V: types}},
				gguf.KV{Key: "tokenizer.ggml.bos_token_id", Value: gguf.Value{Type: gguf.Uint32, V: uint32(1)}})
			if !prefix {
				kv = append(kv, gguf.KV{Key: "tokenizer.ggml.add_space_prefix", Value: gguf.Value{Type: gguf.Bool, V: false}},
					gguf.KV{Key: "tokenizer.ggml.add_bos_token", Value: gguf.Value{Type: gguf.Bool, V: false}})
			}
			return kv, ts
		})
		p, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		a, spaceA := int32(len(tokens)-2), int32(len(tokens)-1)
		want := []int32{spaceA, spaceA, 3 + 'b'}
		if !prefix {
			want[0] = a
		}
		if got := p.Tokenizer.Encode([]byte("a ab")); !slices.Equal(got, want) {
			t.Errorf("add_space_prefix %v: %v, want %v", prefix, got, want)
		}
		if p.AddBOS != prefix || p.BOSTokenID != 1 {
			t.Errorf("add_bos_token %v: AddBOS %v, BOS %d", prefix, p.AddBOS, p.BOSTokenID)
		}
	}
}

// tinyModel writes tinyhf's directory of the named family and loads it.
// endOfText is the id of p's <|endoftext|> token.
func endOfText(t *testing.T, p *Pretrained) int32 {
	t.Helper()
	ids, err := p.Tokenizer.EncodeSpecial([]byte("<|endoftext|>"), []string{"<|endoftext|>"})
	if err != nil || len(ids) != 1 {
		t.Fatalf("no <|endoftext|> token: %v %v", ids, err)
	}
	return ids[0]
}

// inferenceTwin is m as an inference-only model over copies of its
// parameters: the model a GGUF file loads as, whose logits come from the
// lean forward (model.NewInference).
func inferenceTwin(t *testing.T, m *model.Model) *model.Model {
	t.Helper()
	w := map[string]model.Weight{}
	for _, p := range m.Params() {
		w[p.Name] = model.Weight{F32: slices.Clone(p.Data)}
	}
	inf, err := model.NewInference(m.Config, w)
	if err != nil {
		t.Fatal(err)
	}
	return inf
}

func tinyModel(t *testing.T, name string, seed uint64) *Pretrained {
	t.Helper()
	spec, err := tinyhf.Find(name)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), name)
	if err := tinyhf.Write(dir, spec, seed); err != nil {
		t.Fatal(err)
	}
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
