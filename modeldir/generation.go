package modeldir

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/xent-dev/xent/model"
)

// GenerationFile holds a Hugging Face model's generation defaults; xent
// reads its token ids.
const GenerationFile = "generation_config.json"

// tokenIDs is a token-id field as transformers writes it: an int, a list
// of ints, or null.
type tokenIDs []int32

func (t *tokenIDs) UnmarshalJSON(b []byte) error {
	var one *int32
	if err := json.Unmarshal(b, &one); err == nil {
		*t = nil
		if one != nil {
			*t = tokenIDs{*one}
		}
		return nil
	}
	var list []int32
	if err := json.Unmarshal(b, &list); err != nil {
		return fmt.Errorf("not a token id or a list of them: %s", b)
	}
	*t = list
	return nil
}

// specialIDs are the bos and eos ids of a config.json or a
// generation_config.json.
type specialIDs struct {
	BOS tokenIDs `json:"bos_token_id"`
	EOS tokenIDs `json:"eos_token_id"`
}

// readSpecialIDs reads the token ids of path; a missing file has none.
func readSpecialIDs(path string) (specialIDs, error) {
	var ids specialIDs
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return ids, nil
	}
	if err != nil {
		return ids, fmt.Errorf("modeldir: %w", err)
	}
	if err := json.Unmarshal(raw, &ids); err != nil {
		return ids, fmt.Errorf("modeldir: %s: %w", path, err)
	}
	return ids, nil
}

// endTokens returns the ids that end a generation: generation_config.json's
// eos_token_id (an int or a list, as Llama 3.1's [128001, 128008, 128009])
// where it names any, else config.json's; each inside the vocabulary.
func endTokens(dir string, fromConfig tokenIDs, vocab int) ([]int32, error) {
	gen, err := readSpecialIDs(filepath.Join(dir, GenerationFile))
	if err != nil {
		return nil, err
	}
	ids, where := []int32(gen.EOS), GenerationFile
	if len(ids) == 0 {
		ids, where = fromConfig, ConfigFile
	}
	for _, id := range ids {
		if id < 0 || int(id) >= vocab {
			return nil, fmt.Errorf("modeldir: %s: eos_token_id %d is outside the vocabulary [0, %d)", filepath.Join(dir, where), id, vocab)
		}
	}
	return ids, nil
}

// architectures are the transformers classes that load each family, as
// config.json's "architectures" names them.
var architectures = map[string]string{
	model.GPT2: "GPT2LMHeadModel", model.Llama: "LlamaForCausalLM", model.Mistral: "MistralForCausalLM",
	model.Qwen2: "Qwen2ForCausalLM", model.Qwen3: "Qwen3ForCausalLM", model.Phi3: "Phi3ForCausalLM",
	model.Gemma: "GemmaForCausalLM", model.Gemma2: "Gemma2ForCausalLM", model.Gemma3Text: "Gemma3ForCausalLM",
}
