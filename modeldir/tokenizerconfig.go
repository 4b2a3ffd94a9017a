package modeldir

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// TokenizerConfigFile holds a Hugging Face tokenizer's settings; xent
// reads add_bos_token from it.
const TokenizerConfigFile = "tokenizer_config.json"

// addsBOS says whether the directory's vocabulary puts BOS before a text,
// as llama.cpp's converter decides its add_bos (gguf-py's SpecialVocab,
// _try_load_from_tokenizer_json): tokenizer_config.json's add_bos_token
// where it is true or false (Gemma, Llama 2: true; Qwen2.5: false), else
// whether tokenizer.json's post-processor template (a TemplateProcessing,
// alone or inside a Sequence, as Llama 3's) starts with the BOS token.
// (gguf-py also takes RobertaProcessing, and without tokenizer_config.json
// any leading special token, as add_bos; no family xent loads has either.)
// Where neither file decides, llama.cpp's default for the vocabulary: true
// for Llama 3's (its BOS is <|begin_of_text|>), else false.
// An xent checkpoint adds BOS: xent eval and training's evaluation condition a
// document's first token on it. bos is the directory's BOS, or −1 if it has
// none.
func addsBOS(p *Pretrained, bos int32) (bool, error) {
	path := filepath.Join(p.Dir, TokenizerConfigFile)
	raw, err := os.ReadFile(path)
	switch {
	case err == nil:
		var cfg struct {
			AddBOS json.RawMessage `json:"add_bos_token"`
		}
		if err := json.Unmarshal(raw, &cfg); err != nil {
			return false, fmt.Errorf("modeldir: %s: %w", path, err)
		}
		var add bool
		if len(cfg.AddBOS) > 0 && string(cfg.AddBOS) != "null" && json.Unmarshal(cfg.AddBOS, &add) == nil {
			return add, nil
		}
	case !errors.Is(err, fs.ErrNotExist):
		return false, fmt.Errorf("modeldir: %w", err)
	}
	if p.Kind == Xent {
		return true, nil
	}
	first, err := templateFirst(filepath.Join(p.Dir, TokenizerFile))
	if err != nil || first >= 0 {
		return bos >= 0 && first == bos, err
	}
	// Neither file says: llama.cpp's default for the vocabulary, which adds
	// BOS for Llama 3's pre-tokenizer (llama-bpe; the first Llama 3
	// releases' files name no add_bos_token and no template).
	if bos >= 0 {
		if text, err := p.Tokenizer.Token(bos); err == nil && string(text) == "<|begin_of_text|>" {
			return true, nil
		}
	}
	return false, nil
}

// templateFirst returns the id of the special token that tokenizer.json's
// post-processor template puts first, or −1 where it puts none (no
// template, or no tokenizer.json: GPT-2's vocab.json and merges.txt).
func templateFirst(path string) (int32, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return -1, nil
	}
	if err != nil {
		return -1, fmt.Errorf("modeldir: %w", err)
	}
	type processor struct {
		Type       string      `json:"type"`
		Processors []processor `json:"processors"`
		Single     []struct {
			SpecialToken *struct {
				ID string `json:"id"`
			} `json:"SpecialToken"`
		} `json:"single"`
		SpecialTokens map[string]struct {
			IDs []int32 `json:"ids"`
		} `json:"special_tokens"`
	}
	var f struct {
		PostProcessor *processor `json:"post_processor"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		return -1, fmt.Errorf("modeldir: %s: post_processor: %w", path, err)
	}
	pp := f.PostProcessor
	if pp != nil && pp.Type == "Sequence" {
		pp = nil
		for i := range f.PostProcessor.Processors {
			if f.PostProcessor.Processors[i].Type == "TemplateProcessing" {
				pp = &f.PostProcessor.Processors[i]
				break
			}
		}
	}
	// gguf-py reads a template of two or more pieces, the text among them
	if pp == nil || pp.Type != "TemplateProcessing" || len(pp.Single) < 2 || pp.Single[0].SpecialToken == nil {
		return -1, nil
	}
	ids := pp.SpecialTokens[pp.Single[0].SpecialToken.ID].IDs
	if len(ids) != 1 {
		return -1, nil
	}
	return ids[0], nil
}
