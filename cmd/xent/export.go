package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/xent-dev/xent/modeldir"
)

// newExportCmd is "xent export", which writes a model in another
// program's format; "xent export gguf" writes llama.cpp's.
func newExportCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write a model in another program's format (gguf)",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newExportGGUFCmd())
	return cmd
}

func newExportGGUFCmd() *cobra.Command {
	var modelPath, out, typ string
	var force bool
	cmd := &cobra.Command{
		Use:   "gguf --model DIR|FILE --out model.gguf [--type f32|f16|bf16|q8_0]",
		Short: "Write a model as a GGUF file that llama.cpp loads",
		Long: `Write any model xent loads (an xent checkpoint, a Hugging Face directory of
the llama, mistral, qwen2, qwen3, gemma, gemma2, gemma3_text, phi3 or gpt2
family, or a GGUF file) as a GGUF file, as llama.cpp's convert_hf_to_gguf.py
writes it: general.architecture and the "<arch>.*" keys, llama.cpp's tensor
names, Llama's Q/K rows permuted, Gemma's norms stored as 1 + w, Llama 3's
RoPE as rope_freqs.weight, and the tokenizer as tokenizer.ggml.* keys
(checked to give the model's ids). --type sets the matrices' type; norms,
biases and other vectors stay f32, as the converter keeps them. The file is
written atomically; an existing --out is replaced only with --force.`,
		Example: `  xent export gguf --model path/to/SmolLM2-135M --out smollm2.gguf
  xent export gguf --model runs/tiny --out tiny-q8.gguf --type q8_0`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if modelPath == "" || out == "" {
				return fmt.Errorf("export gguf: --model and --out are required")
			}
			if _, ok := modeldir.GGUFFileTypes[typ]; !ok {
				return fmt.Errorf("export gguf: --type %q: one of f32, f16, bf16, q8_0", typ)
			}
			p, err := modeldir.Load(modelPath)
			if err != nil {
				return err
			}
			info, err := modeldir.ExportGGUF(p, out, typ, force)
			if err != nil {
				return err
			}
			var types []string
			for t, n := range info.TypeCount {
				types = append(types, fmt.Sprintf("%d %s", n, t))
			}
			slices.Sort(types)
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s: %s, %d tensors (%s), %s vocabulary (pre %q), %.1f MB\n",
				out, info.Arch, info.Tensors, strings.Join(types, ", "), info.Vocab, info.Pre, float64(info.Bytes)/1e6)
			for _, n := range info.Notes {
				fmt.Fprintf(cmd.ErrOrStderr(), "xent export gguf: note: %s\n", n)
			}
			return err
		},
	}
	cmd.Flags().StringVar(&modelPath, "model", "", "the model to write: a model directory or a GGUF file")
	cmd.Flags().StringVar(&out, "out", "", "the GGUF file to write (ends in .gguf)")
	cmd.Flags().StringVar(&typ, "type", "f32", "the matrices' type: f32, f16, bf16 or q8_0")
	cmd.Flags().BoolVar(&force, "force", false, "replace --out if it exists")
	return cmd
}
