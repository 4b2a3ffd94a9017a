package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ConfigFile is the settings file Hugging Face's transformers reads beside
// tokenizer.json; Load and LoadDir read it where it is there.
const ConfigFile = "tokenizer_config.json"

// A Config is what xent reads of tokenizer_config.json: whether encoding
// with the model's special tokens adds BOS and EOS, and which tokens they
// are. Load and LoadDir apply it to the Tokenizer's Template as
// transformers' AutoTokenizer does; Hugging Face's tokenizers alone (and so
// LoadHF and LoadPipeline) ignore it.
type Config struct {
	// Class is tokenizer_class ("LlamaTokenizerFast", "Qwen2Tokenizer").
	Class string
	// AddBOS and AddEOS are add_bos_token and add_eos_token; nil where the
	// file does not set them (or sets them to null).
	AddBOS, AddEOS *bool
	// BOS and EOS are bos_token and eos_token (a string, or an AddedToken
	// object's content); where the file has no such key, the class's
	// default (Llama's <s> and </s>, Gemma's <bos> and <eos>); nil for
	// none.
	BOS, EOS *string
}

// ReadConfig reads a tokenizer_config.json.
func ReadConfig(path string) (Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("tokenizer: %w", err)
	}
	var f struct {
		Class  string          `json:"tokenizer_class"`
		AddBOS json.RawMessage `json:"add_bos_token"`
		AddEOS json.RawMessage `json:"add_eos_token"`
		BOS    json.RawMessage `json:"bos_token"`
		EOS    json.RawMessage `json:"eos_token"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		return Config{}, fmt.Errorf("tokenizer: %s: %w", path, err)
	}
	c := Config{Class: f.Class}
	flag := func(raw json.RawMessage, key string) (*bool, error) {
		if len(raw) == 0 || string(raw) == "null" {
			return nil, nil
		}
		var b bool
		if err := json.Unmarshal(raw, &b); err != nil {
			return nil, fmt.Errorf("tokenizer: %s: %s is %s, want true or false", path, key, raw)
		}
		return &b, nil
	}
	bosDef, eosDef := classTokens(f.Class)
	token := func(raw json.RawMessage, key string, def *string) (*string, error) {
		if len(raw) == 0 {
			return def, nil
		}
		if string(raw) == "null" {
			return nil, nil
		}
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return &s, nil
		}
		var added struct {
			Content *string `json:"content"`
		}
		if json.Unmarshal(raw, &added) == nil && added.Content != nil {
			return added.Content, nil
		}
		return nil, fmt.Errorf("tokenizer: %s: %s is %s, want a string or an object with a content", path, key, raw)
	}
	var errs [4]error
	c.AddBOS, errs[0] = flag(f.AddBOS, "add_bos_token")
	c.AddEOS, errs[1] = flag(f.AddEOS, "add_eos_token")
	c.BOS, errs[2] = token(f.BOS, "bos_token", bosDef)
	c.EOS, errs[3] = token(f.EOS, "eos_token", eosDef)
	return c, errors.Join(errs[:]...)
}

// rebuildsTemplate reports whether transformers' class for the name
// always replaces tokenizer.json's post-processor by its own template:
// LlamaTokenizerFast (and CodeLlama's and Gemma's, which copy it) call
// update_post_processor in __init__, with add_bos_token true and
// add_eos_token false unless the file says otherwise (transformers
// v4.46, src/transformers/models/llama/tokenization_llama_fast.py).
func rebuildsTemplate(class string) bool {
	switch strings.TrimSuffix(class, "Fast") {
	case "LlamaTokenizer", "CodeLlamaTokenizer", "GemmaTokenizer":
		return true
	}
	return false
}

// classTokens returns the class's default BOS and EOS.
func classTokens(class string) (bos, eos *string) {
	s := func(x string) *string { return &x }
	switch strings.TrimSuffix(class, "Fast") {
	case "LlamaTokenizer", "CodeLlamaTokenizer":
		return s("<s>"), s("</s>")
	case "GemmaTokenizer":
		return s("<bos>"), s("<eos>")
	}
	return nil, nil
}

// applyConfig sets t's Template from cfg as transformers builds it (its
// update_post_processor): the Llama and Gemma classes always, with
// add_bos_token defaulting to true; any other class only where cfg sets
// add_bos_token or add_eos_token and tokenizer.json's post-processor is a
// TemplateProcessing or a Sequence (PreTrainedTokenizerFast's
// update_post_processor leaves ByteLevel and the others alone), the unset
// one false. The template is then BOS before the text and EOS after it,
// each where asked for.
func (t *Tokenizer) applyConfig(cfg Config, path string) error {
	t.config = &cfg
	addBOS, addEOS := false, false
	switch {
	case rebuildsTemplate(cfg.Class):
		addBOS = true
	case (cfg.AddBOS != nil || cfg.AddEOS != nil) && t.templated:
	default:
		return nil
	}
	if cfg.AddBOS != nil {
		addBOS = *cfg.AddBOS
	}
	if cfg.AddEOS != nil {
		addEOS = *cfg.AddEOS
	}
	id := func(name *string, key string) ([]int32, error) {
		if name == nil {
			return nil, fmt.Errorf("tokenizer: %s: add_%s is true but %s is not set", path, key, key)
		}
		if id, ok := t.tokenID(*name); ok {
			return []int32{id}, nil
		}
		return nil, fmt.Errorf("tokenizer: %s: %s %q is not a token of the tokenizer", path, key, *name)
	}
	var before, after []int32
	var err error
	if addBOS {
		if before, err = id(cfg.BOS, "bos_token"); err != nil {
			return err
		}
	}
	if addEOS {
		if after, err = id(cfg.EOS, "eos_token"); err != nil {
			return err
		}
	}
	t.before, t.after = before, after
	return nil
}

// Config returns the tokenizer_config.json that Load or LoadDir applied to
// t, if any.
func (t *Tokenizer) Config() (Config, bool) {
	if t.config == nil {
		return Config{}, false
	}
	return *t.config, true
}

// tokenID returns the id of the token whose text is name: a special or
// added token, or one of the vocabulary.
func (t *Tokenizer) tokenID(name string) (int32, bool) {
	if t.pipe != nil {
		id, ok := t.pipe.tokenIDs[name]
		return id, ok
	}
	if id, ok := t.special[name]; ok {
		return id, true
	}
	if ids := t.Encode([]byte(name)); len(ids) == 1 {
		return ids[0], true
	}
	return 0, false
}

// withConfigBeside applies the tokenizer_config.json in dir, if there is
// one.
func withConfigBeside(t *Tokenizer, dir string) (*Tokenizer, error) {
	path := filepath.Join(dir, ConfigFile)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return t, nil
	}
	cfg, err := ReadConfig(path)
	if err != nil {
		return nil, err
	}
	if err := t.applyConfig(cfg, path); err != nil {
		return nil, err
	}
	return t, nil
}
