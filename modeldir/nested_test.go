package modeldir

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xent-dev/xent/format/safetensors"
	"github.com/xent-dev/xent/internal/tinyhf"
	"github.com/xent-dev/xent/model"
)

// TestGemma3Multimodal writes the tiny gemma-3-1b directory again as a
// multimodal Gemma 3 checkpoint (model_type gemma3, the text model's
// config under text_config with the fields at their defaults left out, a
// vision_config, vision tensors) in both tensor layouts, and checks that
// each loads as the text model with the same logits.
func TestGemma3Multimodal(t *testing.T) {
	spec, err := tinyhf.Find("gemma-3-1b")
	if err != nil {
		t.Fatal(err)
	}
	textDir := filepath.Join(t.TempDir(), "text")
	if err := tinyhf.Write(textDir, spec, 5); err != nil {
		t.Fatal(err)
	}
	text, err := Load(textDir)
	if err != nil {
		t.Fatal(err)
	}
	tokens := []int32{50256, 464, 2068, 7586, 21831, 18045, 625, 262, 16931, 3290, 13, 198}
	want, err := text.Model.Logits(tokens, 1, len(tokens))
	if err != nil {
		t.Fatal(err)
	}

	f, err := safetensors.ReadFile(filepath.Join(textDir, WeightsFile))
	if err != nil {
		t.Fatal(err)
	}
	textConfig := map[string]any{}
	for k, v := range spec.Config {
		textConfig[k] = v
	}
	// as gemma-3-4b's text_config: the defaults left out
	for _, k := range []string{"rope_local_base_freq", "rms_norm_eps", "rope_theta", "sliding_window_pattern", "hidden_activation", "architectures", "bos_token_id", "eos_token_id", "pad_token_id", "torch_dtype"} {
		delete(textConfig, k)
	}
	textConfig["rope_theta"] = 1e6 // the default, given anyway
	for _, layout := range []struct{ name, lang, vision string }{
		{"v4.50", "language_model.model.", "vision_tower.vision_model."},
		{"v4.52", "model.language_model.", "model.vision_tower.vision_model."},
	} {
		t.Run(layout.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "mm")
			os.MkdirAll(dir, 0o755)
			cfg := map[string]any{
				"architectures": []string{"Gemma3ForConditionalGeneration"}, "model_type": "gemma3",
				"boi_token_index": 255999, "eoi_token_index": 256000, "image_token_index": 262144,
				"mm_tokens_per_image": 256, "initializer_range": 0.02, "eos_token_id": []int{50256, 50255},
				"torch_dtype": "bfloat16", "transformers_version": "4.50.0.dev0", "text_config": textConfig,
				"vision_config": map[string]any{"hidden_size": 1152, "image_size": 896, "model_type": "siglip_vision_model",
					"num_attention_heads": 16, "num_hidden_layers": 27, "patch_size": 14, "vision_use_head": false},
			}
			b, _ := json.Marshal(cfg)
			if err := os.WriteFile(filepath.Join(dir, ConfigFile), b, 0o644); err != nil {
				t.Fatal(err)
			}
			var ts []safetensors.Tensor
			for _, tn := range f.Tensors {
				tn.Name = layout.lang + strings.TrimPrefix(tn.Name, "model.")
				ts = append(ts, tn)
			}
			ts = append(ts,
				safetensors.FromFloat32(layout.vision+"embeddings.patch_embedding.bias", []int{2}, []float32{1, 2}),
				safetensors.FromFloat32(strings.Replace(layout.vision, "vision_tower.vision_model.", "multi_modal_projector.", 1)+"mm_soft_emb_norm.weight", []int{2}, []float32{1, 2}))
			if err := safetensors.WriteFile(filepath.Join(dir, WeightsFile), ts, map[string]string{"format": "pt"}); err != nil {
				t.Fatal(err)
			}
			tok, _ := os.ReadFile(filepath.Join(textDir, TokenizerFile))
			os.WriteFile(filepath.Join(dir, TokenizerFile), tok, 0o644)

			mm, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			if mm.Model.Config.ModelType != model.Gemma3Text {
				t.Errorf("model_type %q", mm.Model.Config.ModelType)
			}
			if !slices.Equal(mm.EOSTokenIDs, []int32{50256, 50255}) {
				t.Errorf("eos ids %v, want the top level's [50256 50255]", mm.EOSTokenIDs)
			}
			got, err := mm.Model.Logits(tokens, 1, len(tokens))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("the multimodal checkpoint's logits differ from the text model's")
			}
		})
	}
}
