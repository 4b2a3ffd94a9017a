package modeldir

import (
	"github.com/xent-dev/xent/tokenizer"
)

// TokenizerConfigFile holds a Hugging Face tokenizer's settings; the
// tokenizer package reads add_bos_token and add_eos_token from it
// (tokenizer.Config).
const TokenizerConfigFile = tokenizer.ConfigFile

// addsBOS says whether the directory's vocabulary puts BOS before a text:
// whether the tokenizer's Template (tokenizer.json's post-processor as
// tokenizer_config.json's add_bos_token changes it, the one rule
// tokenize --add-special also uses) starts with the BOS token. Where
// neither file says (no template, no add_bos_token), llama.cpp's default
// for the vocabulary: true for Llama 3's (its BOS is <|begin_of_text|>;
// the first Llama 3 releases' files name no add_bos_token and no
// template), else false. An xent checkpoint adds BOS: xent eval and
// training's evaluation condition a document's first token on it. bos is
// the directory's BOS, or −1 if it has none.
func addsBOS(p *Pretrained, bos int32) bool {
	if p.Kind == Xent {
		return true
	}
	if before, _ := p.Tokenizer.Template(); len(before) > 0 {
		return bos >= 0 && before[0] == bos
	}
	if cfg, ok := p.Tokenizer.Config(); ok && cfg.AddBOS != nil {
		return false
	}
	if bos >= 0 {
		if text, err := p.Tokenizer.Token(bos); err == nil && string(text) == "<|begin_of_text|>" {
			return true
		}
	}
	return false
}
