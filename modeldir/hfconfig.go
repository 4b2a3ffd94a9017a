package modeldir

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"slices"

	"github.com/xent-dev/xent/internal/atomicfile"
	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/tokenizer"
)

// eosNames are the texts of the tokens that end a document, by family:
// GPT-2's and Qwen's, Llama 3's, Llama 2's and Mistral's, Gemma's,
// DeepSeek's.
var eosNames = []string{"<|endoftext|>", "<|end_of_text|>", "</s>", "<eos>", "<｜end▁of▁sentence｜>"}

// completeHF fills in what transformers reads beside the weights, so that
// a directory xent writes loads there as it does here: config.json's
// bos_token_id and eos_token_id (where extra does not give them: the
// tokenizer's BOS, TokenizerBOS, and its first special token of
// eosNames, else the BOS), and the files generation_config.json (the same
// ids) and tokenizer_config.json (the tokenizer class that builds the
// same template from tokenizer.json: the one the tokenizer was loaded
// with and its add_bos_token / add_eos_token, else
// PreTrainedTokenizerFast, which keeps tokenizer.json's; the BOS and EOS
// texts; model_max_length, the model's context). fields is config.json's,
// and gains the ids.
func completeHF(dir string, m *model.Model, tok *tokenizer.Tokenizer, fields map[string]any) error {
	if m.Config.ModelType == model.Gemma3Text {
		gemma3Explicit(m.Config, fields)
	}
	bos, hasBOS := fields["bos_token_id"], fields["bos_token_id"] != nil
	if !hasBOS {
		if id, err := TokenizerBOS(tok); err == nil {
			bos, hasBOS = id, true
		}
	}
	eos, hasEOS := fields["eos_token_id"], fields["eos_token_id"] != nil
	if !hasEOS {
		special := tok.SpecialTokens()
		for _, name := range eosNames {
			if !slices.Contains(special, name) {
				continue
			}
			if ids, err := tok.EncodeSpecial([]byte(name), []string{name}); err == nil && len(ids) == 1 {
				eos, hasEOS = ids[0], true
				break
			}
		}
		if !hasEOS && hasBOS {
			eos, hasEOS = bos, true
		}
	}
	gen := map[string]any{"_from_model_config": true}
	tc := map[string]any{"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": m.MaxSeqLen(),
		"clean_up_tokenization_spaces": false}
	if cfg, ok := tok.Config(); ok && cfg.Class != "" {
		tc["tokenizer_class"] = cfg.Class
		if cfg.AddBOS != nil {
			tc["add_bos_token"] = *cfg.AddBOS
		}
		if cfg.AddEOS != nil {
			tc["add_eos_token"] = *cfg.AddEOS
		}
	}
	text := func(id any) any {
		var n int32
		switch v := id.(type) {
		case int32:
			n = v
		case int:
			n = int32(v)
		case float64:
			n = int32(v)
		default: // a list of ids (eos): the first names the token
			b, _ := json.Marshal(v)
			var ids []int32
			if json.Unmarshal(b, &ids) != nil || len(ids) == 0 {
				return nil
			}
			n = ids[0]
		}
		if b, err := tok.Token(n); err == nil {
			return string(b)
		}
		return nil
	}
	if hasBOS {
		fields["bos_token_id"], gen["bos_token_id"], tc["bos_token"] = bos, bos, text(bos)
	}
	if hasEOS {
		fields["eos_token_id"], gen["eos_token_id"], tc["eos_token"] = eos, eos, text(eos)
	}
	for name, v := range map[string]any{GenerationFile: gen, tokenizer.ConfigFile: tc} {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false) // "<bos>", not "\u003cbos\u003e"
		enc.SetIndent("", "  ")
		if err := enc.Encode(v); err != nil {
			return err
		}
		if err := atomicfile.WriteBytes(filepath.Join(dir, name), b.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

// gemma3Explicit writes out the gemma3_text fields that xent's Config
// leaves at zero, as the values xent computes with: transformers (and
// model.TextConfig, reading the directory back) would fill an absent one
// with Gemma3TextConfig's default instead (head_dim 256, 4 key/value
// heads, query_pre_attn_scalar 256, rope_theta 1e6, a window of 4096).
func gemma3Explicit(c model.Config, fields map[string]any) {
	d := c.HeadDim
	if d == 0 {
		d = c.HiddenSize / c.NumAttentionHeads
		fields["head_dim"] = d
	}
	if c.NumKeyValueHeads == 0 {
		fields["num_key_value_heads"] = c.NumAttentionHeads
	}
	if c.QueryPreAttnScalar == 0 {
		fields["query_pre_attn_scalar"] = d // xent's scale, 1/√head_dim
	}
	if c.RopeTheta == 0 {
		fields["rope_theta"] = 10000.0
	}
	if c.SlidingWindow == nil {
		fields["sliding_window"] = nil // null: no window
	}
}
