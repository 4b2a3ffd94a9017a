// Package modeldir loads and saves a model directory: the model, its
// tokenizer and what is known about its training, as every command that
// takes --model needs them.
//
// Two kinds of directory load, both offline:
//
//   - an xent checkpoint, as `xent train` writes it: config.json with the
//     training settings under "xent", model.safetensors, tokenizer.json and
//     token_counts.npy (how often each token occurred in the training text);
//   - a local Hugging Face directory of a family package model implements
//     (gpt2, llama, mistral, qwen2, qwen3, phi3, gemma, gemma2,
//     gemma3_text, and gemma3's text model: model.TextConfig): config.json, model.safetensors or the shards
//     model.safetensors.index.json names (F32, F16 or BF16, read one shard
//     at a time), and tokenizer.json or GPT-2's vocab.json and merges.txt.
//     pytorch_model.bin is not read (a message says to convert it).
//
// A GGUF file (a path ending in .gguf) loads as a model too: the llama
// (Mistral's files too), qwen2, qwen3, gemma, gemma2, gemma3, phi3 and
// gpt2 architectures, as an inference-only model (model.NewInference:
// no random init, no gradients) over the file's tensors, with the
// tokenizer its tokenizer.ggml.* keys hold (gguf.go says what is read and
// what is refused). ExportGGUF writes any loaded model as a GGUF file, as
// llama.cpp's converter writes it (export_gguf.go, export_vocab.go).
//
// Save writes the first three files of the same layout, so a fine-tuned
// model loads like any other.
//
// A command that writes a model directory claims it first (ClaimOutput):
// that refuses a path holding anything xent did not write, and an existing
// model unless the user asked to replace or continue it; it locks the
// path against a second run and clears what a killed save left. Saves
// (Save, Replace) then replace the directory whole and atomically, and
// CheckSpace says beforehand whether the disk has room for them.
package modeldir

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/xent-dev/xent/internal/atomicfile"
	"github.com/xent-dev/xent/internal/provenance"
	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/tokenizer"
)

// The files of a model directory.
const (
	ConfigFile    = "config.json"
	WeightsFile   = "model.safetensors"
	TokenizerFile = "tokenizer.json"
)

// Kinds of model directory.
const (
	Xent        = "xent"
	HuggingFace = "huggingface"
)

// Pretrained is a loaded model directory.
type Pretrained struct {
	Model     *model.Model
	Tokenizer *tokenizer.Tokenizer
	Dir       string
	Kind      string // Xent or HuggingFace
	// TrainCounts [V] says how often each token occurred in the training
	// text; nil when the directory does not record it.
	TrainCounts []int64
	// BOSTokenID is config.json's bos_token_id, or -1 if it has none.
	BOSTokenID int32
	// EOSTokenIDs are the tokens that end a generation:
	// generation_config.json's eos_token_id (an int or a list) where it
	// names any, else config.json's; none if neither does.
	EOSTokenIDs []int32
	// AddBOS says that the vocabulary puts BOS before a text (Llama 2
	// and 3, Mistral, Gemma, Phi-3 do; Qwen, GPT-2 and SmolLM2 do not):
	// the tokenizer's Template starts with BOS (tokenizer.json's
	// post-processor as tokenizer_config.json changes it, as transformers
	// does), else, where neither file says, llama.cpp's default for the
	// vocabulary (Llama 3's adds); true for an xent checkpoint.
	AddBOS bool
	// Settings is config.json's "xent" field, the training settings of an
	// xent checkpoint; nil for other directories.
	Settings json.RawMessage
}

// Load reads the model directory dir, or the GGUF file dir names when it
// ends in .gguf (loadGGUF), as a trainable model (float32 weights and
// gradients). If dir is missing because a save was killed between its two
// renames, it first moves the last complete save back (see ClaimOutput).
func Load(dir string) (*Pretrained, error) { return LoadWith(dir, Options{}) }

// Options say how LoadWith holds a model.
type Options struct {
	// Inference loads the model for scoring and generation only
	// (model.LoadInference): no gradients, and a bfloat16 checkpoint's
	// matrices kept as bfloat16, half the memory of float32.
	Inference bool
	// F32 widens every weight to float32 (--dtype f32); with Inference.
	F32 bool
}

// LoadWith is Load with the model held as opt says.
func LoadWith(dir string, opt Options) (*Pretrained, error) {
	if IsGGUF(dir) {
		return loadGGUF(dir, opt)
	}
	cfgPath := filepath.Join(dir, ConfigFile)
	raw, err := os.ReadFile(cfgPath)
	if errors.Is(err, fs.ErrNotExist) {
		if ok, rerr := recoverInterrupted(dir); rerr != nil {
			return nil, rerr
		} else if ok {
			raw, err = os.ReadFile(cfgPath)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("modeldir: %s is not a model directory: %w", dir, err)
	}
	if raw, err = model.TextConfig(raw); err != nil {
		return nil, fmt.Errorf("modeldir: %w (in %s)", err, cfgPath)
	}
	var extra struct {
		Xent       json.RawMessage `json:"xent"`
		BOSTokenID *int32          `json:"bos_token_id"`
		EOS        tokenIDs        `json:"eos_token_id"`
	}
	if err := json.Unmarshal(raw, &extra); err != nil {
		return nil, fmt.Errorf("modeldir: %s: %w", cfgPath, err)
	}
	var cfg model.Config
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, fmt.Errorf("modeldir: %s: %w", cfgPath, err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("modeldir: %w (in %s)", err, cfgPath)
	}
	if err := model.CheckFields(raw); err != nil {
		return nil, fmt.Errorf("modeldir: %w (in %s)", err, cfgPath)
	}
	weights, err := WeightFiles(dir)
	if err != nil {
		return nil, err
	}
	var m *model.Model
	if opt.Inference {
		m, err = model.LoadInference(cfg, weights, model.LoadOptions{F32: opt.F32})
	} else {
		m, err = model.LoadShards(cfg, weights)
	}
	if err != nil {
		return nil, fmt.Errorf("modeldir: %w", err)
	}
	tok, err := loadTokenizer(dir)
	if err != nil {
		return nil, err
	}
	if tok.VocabSize() > m.VocabSize() {
		return nil, fmt.Errorf("modeldir: %s: the tokenizer has %d tokens, the model only %d", dir, tok.VocabSize(), m.VocabSize())
	}
	p := &Pretrained{Model: m, Tokenizer: tok, Dir: dir, Kind: HuggingFace, BOSTokenID: -1, Settings: extra.Xent}
	if extra.Xent != nil {
		p.Kind = Xent
	}
	if extra.BOSTokenID != nil {
		if *extra.BOSTokenID < 0 || int(*extra.BOSTokenID) >= m.VocabSize() {
			return nil, fmt.Errorf("modeldir: %s: bos_token_id %d is outside the vocabulary [0, %d)", cfgPath, *extra.BOSTokenID, m.VocabSize())
		}
		p.BOSTokenID = *extra.BOSTokenID
	}
	if p.EOSTokenIDs, err = endTokens(dir, extra.EOS, m.VocabSize()); err != nil {
		return nil, err
	}
	bos := int32(-1)
	if b, err := p.BOS(); err == nil {
		bos = b
	}
	p.AddBOS = addsBOS(p, bos)
	counts := filepath.Join(dir, CountsFile)
	if _, err := os.Stat(counts); err == nil {
		if p.TrainCounts, err = ReadTokenCounts(counts, m.VocabSize()); err != nil {
			return nil, fmt.Errorf("modeldir: %w", err)
		}
	}
	return p, nil
}

// loadTokenizer reads a model directory's tokenizer: tokenizer.json, or
// GPT-2's vocab.json and merges.txt.
func loadTokenizer(dir string) (*tokenizer.Tokenizer, error) {
	tok, err := tokenizer.LoadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("modeldir: %w", err)
	}
	return tok, nil
}

// LoadTokenizer resolves what a user gives wherever a tokenizer is asked
// for (--tokenizer): a GGUF file (its tokenizer.ggml.* keys), a model directory, whose tokenizer it loads without
// the weights (recovering an interrupted save as Load does), or anything
// tokenizer.Load takes (a built-in name, a tokenizer.json, a directory of
// GPT-2's files).
func LoadTokenizer(spec string) (*tokenizer.Tokenizer, error) {
	if IsGGUF(spec) {
		return loadGGUFTokenizer(spec)
	}
	if !slices.Contains(tokenizer.BuiltinNames, spec) {
		if _, err := recoverInterrupted(spec); err != nil {
			return nil, err
		}
	}
	if _, err := os.Stat(filepath.Join(spec, ConfigFile)); err == nil {
		return loadTokenizer(spec)
	}
	return tokenizer.Load(spec)
}

// bosNames are the texts of the tokens that start a document, by family:
// GPT-2's, Llama 3's, Llama 2's and Mistral's, Gemma's, DeepSeek's and
// gpt-oss's.
var bosNames = []string{"<|endoftext|>", "<|begin_of_text|>", "<s>", "<bos>", "<｜begin▁of▁sentence｜>", "<|startoftext|>"}

// BOS returns the token that starts a document: config.json's bos_token_id,
// or else the tokenizer's (TokenizerBOS).
func (p *Pretrained) BOS() (int32, error) {
	if p.BOSTokenID >= 0 {
		return p.BOSTokenID, nil
	}
	bos, err := TokenizerBOS(p.Tokenizer)
	if err != nil {
		return 0, fmt.Errorf("modeldir: %s: no bos_token_id in %s, and %w", p.Dir, ConfigFile, err)
	}
	return bos, nil
}

// TokenizerBOS is the token that starts a document by the tokenizer alone:
// the one special token its Template puts before a text (Gemma's <bos>,
// Llama 2's <s>), else the first of bosNames among its special tokens. A
// model directory's config.json may name another (Pretrained.BOS); a model
// trained by xent records none, so this is its BOS, in training's
// evaluation as in xent eval.
func TokenizerBOS(tok *tokenizer.Tokenizer) (int32, error) {
	if before, _ := tok.Template(); len(before) == 1 {
		return before[0], nil
	}
	special := tok.SpecialTokens()
	for _, name := range bosNames {
		for _, s := range special {
			if s != name {
				continue
			}
			ids, err := tok.EncodeSpecial([]byte(name), []string{name})
			if err == nil && len(ids) == 1 {
				return ids[0], nil
			}
		}
	}
	return 0, fmt.Errorf("the tokenizer has none of the special tokens %q that start a document (it has %s)", bosNames, someNames(special, 8))
}

// someNames quotes the first n of names and counts the rest, so that an
// error about a vocabulary of thousands of special tokens stays one short
// line.
func someNames(names []string, n int) string {
	if len(names) <= n {
		return fmt.Sprintf("%q", names)
	}
	return fmt.Sprintf("%q and %d more", names[:n], len(names)-n)
}

// Save writes m and tok to dir as a model directory that Load reads
// (WriteFiles), written whole into a fresh directory that replaces dir
// atomically (Replace, which refuses to replace anything but a model
// directory).
func Save(dir string, m *model.Model, tok *tokenizer.Tokenizer, extra map[string]any) error {
	return Replace(dir, func(tmp string) error { return WriteFiles(tmp, m, tok, extra) })
}

// WriteFiles writes the files of a model directory into the existing
// directory dir: config.json (the model's config with the architectures
// and torch_dtype that transformers loads it by, plus extra's fields, and
// the token ids completeHF adds), model.safetensors, tokenizer.json, and
// completeHF's generation_config.json and tokenizer_config.json.
func WriteFiles(dir string, m *model.Model, tok *tokenizer.Tokenizer, extra map[string]any) error {
	raw, err := json.Marshal(m.Config)
	if err != nil {
		return err
	}
	fields := map[string]any{}
	if err := json.Unmarshal(raw, &fields); err != nil {
		return err
	}
	// what transformers reads to load it: the class, and the dtype saved
	fields["architectures"] = []string{architectures[m.Config.ModelType]}
	fields["torch_dtype"] = "float32"
	for k, v := range extra {
		fields[k] = v
	}
	if err := completeHF(dir, m, tok, fields); err != nil {
		return err
	}
	cfg, err := json.MarshalIndent(fields, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(filepath.Join(dir, ConfigFile), cfg); err != nil {
		return err
	}
	if err := m.Save(filepath.Join(dir, WeightsFile)); err != nil {
		return err
	}
	return tok.SaveHFFile(filepath.Join(dir, TokenizerFile))
}

// Provenance names the directory's model in a report: its path and the
// SHA-256 of its weight file (read again, so that the digest is the
// file's, as sha256sum prints it).
func (p *Pretrained) Provenance() (provenance.Model, error) {
	return ModelProvenance(p.Dir)
}

// ModelProvenance names the model directory dir in a report: its path
// and the SHA-256 of its weight file (of a sharded checkpoint's shards,
// one after the other in WeightFiles' order; of a GGUF file, the file).
func ModelProvenance(dir string) (provenance.Model, error) {
	files, err := []string{dir}, error(nil)
	if !IsGGUF(dir) {
		files, err = WeightFiles(dir)
	}
	if err != nil {
		return provenance.Model{}, err
	}
	sum, err := provenance.HashFiles(files...)
	if err != nil {
		return provenance.Model{}, fmt.Errorf("modeldir: %w", err)
	}
	return provenance.Model{Path: dir, WeightsSHA256: sum}, nil
}
