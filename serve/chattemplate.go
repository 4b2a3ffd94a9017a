package serve

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ardanlabs/jinja"
)

// A chatTemplate is a model's chat template, compiled: the Jinja text
// transformers' apply_chat_template renders a conversation with, from
// tokenizer_config.json's chat_template (a string, or a list of named
// templates of which "default" is taken) or, where transformers ≥ 4.43
// keeps it, chat_template.jinja beside it. It renders with
// github.com/ardanlabs/jinja, checked against @huggingface/jinja (the
// renderer of transformers.js) on real models' templates
// (TestChatTemplateGoldens, bench/chat_template.mjs).
type chatTemplate struct {
	source string
	tmpl   *jinja.Template
	// tokens are the special tokens transformers passes the template:
	// bos_token, eos_token, pad_token, unk_token (nil where unset).
	tokens map[string]any
}

// errNoChatTemplate is the answer when a model has no chat template.
var errNoChatTemplate = errors.New("this model has no chat template (tokenizer_config.json has no chat_template)")

// loadChatTemplate reads the chat template of the model directory dir; nil
// and no error where it has none (a GGUF file, an xent checkpoint, a base
// model).
func loadChatTemplate(dir string) (*chatTemplate, error) {
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, nil // a GGUF file, or a model not loaded from disk
	}
	cfgPath := filepath.Join(dir, "tokenizer_config.json")
	raw, err := os.ReadFile(cfgPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	var cfg map[string]json.RawMessage
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, fmt.Errorf("serve: %s: %w", cfgPath, err)
	}
	source, err := templateSource(cfg["chat_template"])
	if err != nil {
		return nil, fmt.Errorf("serve: %s: chat_template: %w", cfgPath, err)
	}
	if source == "" {
		b, err := os.ReadFile(filepath.Join(dir, "chat_template.jinja"))
		if err != nil {
			return nil, nil // no template anywhere
		}
		source = string(b)
	}
	return newChatTemplate(source, cfg)
}

// templateSource reads chat_template: a string, or a list of
// {"name", "template"} of which "default" is the one used without a name.
func templateSource(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var named []struct {
		Name     string `json:"name"`
		Template string `json:"template"`
	}
	if err := json.Unmarshal(raw, &named); err != nil {
		return "", errors.New("neither a string nor a list of {name, template}")
	}
	for _, t := range named {
		if t.Name == "default" {
			return t.Template, nil
		}
	}
	return "", errors.New("a list of named templates without one named \"default\"")
}

// newChatTemplate compiles source; cfg is tokenizer_config.json, whose
// special tokens the template may read.
func newChatTemplate(source string, cfg map[string]json.RawMessage) (*chatTemplate, error) {
	tmpl, err := jinja.Compile(source)
	if err != nil {
		return nil, fmt.Errorf("serve: the chat template does not compile: %w", err)
	}
	c := &chatTemplate{source: source, tmpl: tmpl, tokens: map[string]any{}}
	for _, key := range []string{"bos_token", "eos_token", "pad_token", "unk_token"} {
		c.tokens[key] = specialToken(cfg[key])
	}
	return c, nil
}

// specialToken is a special token of tokenizer_config.json, a string or an
// AddedToken object's content; nil where unset.
func specialToken(raw json.RawMessage) any {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var added struct {
		Content *string `json:"content"`
	}
	if json.Unmarshal(raw, &added) == nil && added.Content != nil {
		return *added.Content
	}
	return nil
}

// render renders a conversation as apply_chat_template(messages,
// add_generation_prompt=…, tokenize=False) does: each message a map with
// its role and content (and whatever else the client sent that the
// template may read), the special tokens beside. extra holds a request's
// chat_template_kwargs, which may not replace these.
func (c *chatTemplate) render(messages []map[string]any, addGenerationPrompt bool, extra map[string]any) (string, error) {
	data := make(map[string]any, len(c.tokens)+len(extra)+2)
	for k, v := range extra {
		data[k] = v
	}
	for k, v := range c.tokens {
		data[k] = v
	}
	data["messages"] = messages
	data["add_generation_prompt"] = addGenerationPrompt
	out, err := c.tmpl.Render(data)
	if err != nil {
		return "", fmt.Errorf("the chat template: %w", err)
	}
	return out, nil
}
