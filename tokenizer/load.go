package tokenizer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// Load resolves a tokenizer by the name a user gives it: a built-in
// encoding (BuiltinNames: gpt2, cl100k_base, o200k_base), a Hugging Face
// tokenizer.json file (with the tokenizer_config.json beside it, if any,
// applied as LoadDir does), or a directory holding one of the layouts
// LoadDir reads. The error names spec and what was tried.
func Load(spec string) (*Tokenizer, error) {
	if slices.Contains(BuiltinNames, spec) {
		return Builtin(spec)
	}
	st, err := os.Stat(spec)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %q is neither a built-in name %q nor a file or directory: %w", spec, BuiltinNames, err)
	}
	if st.IsDir() {
		return LoadDir(spec)
	}
	t, err := LoadHFFile(spec)
	if err != nil {
		return nil, err
	}
	return withConfigBeside(t, filepath.Dir(spec))
}

// LoadDir loads the tokenizer a directory holds: its tokenizer.json if it
// has one, with its tokenizer_config.json's add_bos_token and
// add_eos_token applied to the Template as transformers' AutoTokenizer
// applies them (see Config), else GPT-2's two files, encoder.json and vocab.bpe as OpenAI
// released them or vocab.json and merges.txt as Hugging Face names them
// (the same contents).
func LoadDir(dir string) (*Tokenizer, error) {
	path := filepath.Join(dir, "tokenizer.json")
	if _, err := os.Stat(path); err == nil {
		t, err := LoadHFFile(path)
		if err != nil {
			return nil, err
		}
		return withConfigBeside(t, dir)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	tok, err := LoadGPT2Dir(dir)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %s has no tokenizer.json, and GPT-2's files do not load: %w", dir, err)
	}
	return tok, nil
}
