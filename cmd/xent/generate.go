package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/spf13/cobra"

	"github.com/xent-dev/xent/data"
	"github.com/xent-dev/xent/modeldir"
	"github.com/xent-dev/xent/sample"
	"github.com/xent-dev/xent/tokenizer"
)

// generateFlags are the flags of "xent generate".
type generateFlags struct {
	model, prompt, promptFile string
	stop                      []string
	maxTokens, samples        int
	order                     string
	json, metrics, bf16       bool
	s                         sample.Settings
	inf                       inferenceFlags
}

func newGenerateCmd() *cobra.Command {
	var f generateFlags
	cmd := &cobra.Command{
		Use:   "generate --model DIR --prompt TEXT|--prompt-file F [flags]",
		Short: "Continue a prompt with a model, decoding with the KV cache",
		Long: `Continue a prompt with the model in --model (` + modelKinds + `), one token at a time with the KV
cache, streaming the continuation (not the prompt) to stdout as it comes.

Each token is chosen from the logits after a chain of processors, in
--order (default Hugging Face's: penalties, temperature, top-k, top-p,
min-p; llama.cpp puts the temperature last):

  penalties    the repetition penalty as Hugging Face applies it (a positive
               logit divided by R, a negative one multiplied, once per
               distinct token in the window), then OpenAI's frequency and
               presence penalties: logit − count·F − [count > 0]·P
  temperature  logits / T; T = 0 is greedy (the top token, no randomness)
  top-k        keep the K most likely tokens (and ties with the K-th)
  top-p        keep the smallest set of most likely tokens whose probability
               reaches P (nucleus sampling, Holtzman et al.)
  min-p        keep the tokens at least M times as likely as the top one

The penalties count the last --penalty-window tokens of the context, the
prompt included (0: all of it). The same --seed gives the same text (for
the same model and thread count); sample i of --samples draws from stream i
of the seed. A prompt starts with the model's BOS token when its vocabulary
adds one (the template tokenize --add-special adds: tokenizer.json's, as
tokenizer_config.json's add_bos_token changes it; Llama, Mistral, Gemma,
Phi-3 and xent's own checkpoints).
Generation stops early at every end-of-sequence token the model names
(generation_config.json's eos_token_id, an int or a list, else
config.json's) and the tokenizer's end-of-text tokens, and at any --stop
string, which is not printed; ids the vocabulary is padded with past the
tokenizer (Qwen's, Phi-3's) are never chosen.

--json prints one object with every token's log-probability and rank under
the unmodified model (raw logits at temperature 1, before any penalty or cut;
rank 1 is the model's top token). --metrics adds the degeneration metrics of
Welleck et al. 2019 over the samples: seq-rep-1 and -4, distinct-1 and -2,
uniq, rep/128 and wrep/128 (top-1 predictions that repeat one of the last 128
tokens, and those that were not chosen), and the mean log-probability.`,
		Example: `  xent generate --model runs/opticks --prompt "Light is" --max-tokens 60
  xent generate --model runs/opticks --prompt "Light is" --temperature 0 --repetition-penalty 1.2
  xent generate --model runs/opticks --prompt-file p.txt --top-p 0.9 --samples 4 --metrics
  xent generate --model gpt2-dir --prompt "Hello" --order penalties,top-k,top-p,min-p,temperature --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runGenerate(cmd, &f) },
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.StringVar(&f.model, "model", "", "the model: "+modelKinds+" (required)")
	fl.StringVar(&f.prompt, "prompt", "", "the text to continue (empty: start from the BOS token)")
	fl.StringVar(&f.promptFile, "prompt-file", "", "read the prompt from this file instead (- for standard input)")
	fl.IntVar(&f.maxTokens, "max-tokens", 64, "tokens to generate at most")
	fl.StringArrayVar(&f.stop, "stop", nil, "stop when the continuation contains this text, which is not printed (repeatable)")
	fl.Float64Var(&f.s.Temperature, "temperature", 1, "softmax temperature; 0 is greedy decoding")
	fl.IntVar(&f.s.TopK, "top-k", 0, "keep the K most likely tokens (0: off)")
	fl.Float64Var(&f.s.TopP, "top-p", 1, "nucleus sampling: keep the most likely tokens up to probability P, in (0, 1] (1: off)")
	fl.Float64Var(&f.s.MinP, "min-p", 0, "keep tokens at least M times as likely as the top one, in [0, 1] (0: off)")
	fl.Float64Var(&f.s.RepetitionPenalty, "repetition-penalty", 1, "Hugging Face's repetition penalty R > 0 (1: off)")
	fl.Float64Var(&f.s.FrequencyPenalty, "frequency-penalty", 0, "OpenAI's frequency penalty: logit − count·F")
	fl.Float64Var(&f.s.PresencePenalty, "presence-penalty", 0, "OpenAI's presence penalty: logit − P if the token occurred")
	fl.IntVar(&f.s.PenaltyWindow, "penalty-window", 0, "tokens of context the penalties look at (0: the whole context)")
	fl.Uint64Var(&f.s.Seed, "seed", 1, "seed of the sampler; the same seed gives the same text")
	fl.IntVar(&f.samples, "samples", 1, "independent samples to draw")
	fl.StringVar(&f.order, "order", "penalties,temperature,top-k,top-p,min-p", "the order of the processors, each named once")
	fl.BoolVar(&f.metrics, "metrics", false, "print the degeneration metrics of the samples (Welleck et al. 2019)")
	fl.BoolVar(&f.bf16, "bf16", false, "decode over bfloat16 copies of the weight matrices: about twice the tokens/s, slightly different logits")
	fl.BoolVar(&f.json, "json", false, "print one JSON object with the text, every token's log-probability and rank, and the metrics")
	return cmd
}

// check rejects flag values no sampler could use, naming the flag; the
// library's Validate catches the rest (it takes 0 for top-p and the
// repetition penalty as off, the flags do not).
func (f *generateFlags) check() error {
	s := f.s
	switch {
	case f.model == "":
		return fmt.Errorf("--model is required")
	case f.promptFile != "" && f.prompt != "":
		return fmt.Errorf("give --prompt or --prompt-file, not both")
	case s.Temperature < 0:
		return fmt.Errorf("--temperature %g: must be ≥ 0 (0 is greedy)", s.Temperature)
	case !(s.TopP > 0 && s.TopP <= 1):
		return fmt.Errorf("--top-p %g: must be in (0, 1] (1 is off)", s.TopP)
	case !(s.RepetitionPenalty > 0):
		return fmt.Errorf("--repetition-penalty %g: must be > 0 (1 is off)", s.RepetitionPenalty)
	case f.maxTokens < 1:
		return fmt.Errorf("--max-tokens %d: must be ≥ 1", f.maxTokens)
	case f.samples < 1:
		return fmt.Errorf("--samples %d: must be ≥ 1", f.samples)
	}
	order, err := sample.ParseOrder(f.order)
	if err != nil {
		return fmt.Errorf("--order: %w", err)
	}
	f.s.Order = order
	return f.s.Validate()
}

// promptTokens encodes the prompt (--prompt-file - reads it from stdin),
// after the BOS token when the model's vocabulary adds one; an empty
// prompt is the BOS token alone.
func (f *generateFlags) promptTokens(p *modeldir.Pretrained, stdin io.Reader) ([]int32, error) {
	text := []byte(f.prompt)
	var err error
	switch f.promptFile {
	case "":
	case data.Stdin:
		text, err = io.ReadAll(stdin)
	default:
		text, err = os.ReadFile(f.promptFile)
	}
	if err != nil {
		return nil, fmt.Errorf("--prompt-file: %w", err)
	}
	if len(text) == 0 || p.AddBOS {
		bos, err := p.BOS()
		if err != nil {
			why := "an empty prompt starts from the BOS token"
			if len(text) > 0 {
				why = "the model's vocabulary puts a BOS token before a text"
			}
			return nil, fmt.Errorf("%s, and %w", why, err)
		}
		return append([]int32{bos}, p.Tokenizer.Encode(text)...), nil
	}
	return p.Tokenizer.Encode(text), nil
}

// stopTokens are where generation ends: the model's end-of-sequence ids
// (modeldir's EOSTokenIDs) and the tokenizer's end-of-text tokens.
func stopTokens(p *modeldir.Pretrained) []int32 {
	ids := slices.Clone(p.EOSTokenIDs)
	for _, id := range endOfText(p.Tokenizer) {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids
}

// undecodable lists the ids of the model's vocabulary that its tokenizer
// cannot decode: the rows a vocabulary is padded with past the tokenizer.
func undecodable(p *modeldir.Pretrained) []int32 {
	var ids []int32
	for id := range int32(p.Model.VocabSize()) {
		if _, err := p.Tokenizer.Token(id); err != nil {
			ids = append(ids, id)
		}
	}
	return ids
}

// endOfText lists the tokenizer's end-of-text tokens, where generation stops.
func endOfText(tok *tokenizer.Tokenizer) []int32 {
	var ids []int32
	for _, name := range tok.SpecialTokens() {
		if slices.Contains([]string{"<|endoftext|>", "</s>", "<|end_of_text|>", "<|eot_id|>"}, name) {
			if id, err := tok.EncodeSpecial([]byte(name), []string{name}); err == nil && len(id) == 1 {
				ids = append(ids, id[0])
			}
		}
	}
	return ids
}

// errStopText ends a generation at a --stop string.
var errStopText = errors.New("a stop string")

// generatedToken is a token in --json output.
type generatedToken struct {
	sample.Token
	Text string `json:"text"`
}

type generatedSample struct {
	Text        string           `json:"text"`
	Tokens      []generatedToken `json:"tokens"`
	MeanLogProb float64          `json:"mean_logprob"`
}

type generateReport struct {
	Model        string               `json:"model"`
	Weights      string               `json:"weights"` // the weight matrices' dtype (model.Model.WeightDType)
	Compute      string               `json:"compute"` // f32 or bf16 products over bf16 weights
	PromptTokens int                  `json:"prompt_tokens"`
	Seed         uint64               `json:"seed"`
	Order        []sample.Stage       `json:"order"`
	Samples      []generatedSample    `json:"samples"`
	Metrics      *sample.Degeneration `json:"metrics,omitempty"`
}

func runGenerate(cmd *cobra.Command, f *generateFlags) error {
	if err := f.check(); err != nil {
		return err
	}
	if f.promptFile == "" && !cmd.Flags().Changed("prompt") {
		return fmt.Errorf("give the text to continue with --prompt or --prompt-file")
	}
	p, err := f.inf.load(f.model, "--model")
	if err != nil {
		return err
	}
	prompt, err := f.promptTokens(p, cmd.InOrStdin())
	if err != nil {
		return err
	}
	ctx := p.Model.MaxSeqLen()
	if len(prompt) > ctx {
		return fmt.Errorf("the prompt is %d tokens, longer than the model's context of %d", len(prompt), ctx)
	}
	if room := ctx - len(prompt) + 1; f.maxTokens > room {
		return fmt.Errorf("--max-tokens %d: a %d-token prompt leaves room for %d new tokens in the model's context of %d", f.maxTokens, len(prompt), room, ctx)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "xent generate: %s (%s, %s weights, %s compute), %d-token prompt, seed %d\n", f.model, p.Kind,
		p.Model.WeightDType(), p.Model.Compute(), len(prompt), f.s.Seed)
	gen := sample.NewGenerator(p.Model)
	if f.bf16 {
		gen = sample.NewGeneratorBF16(p.Model)
	}
	gen.Prefill = true
	gen.Stop = stopTokens(p)
	gen.Never = undecodable(p)
	out := cmd.OutOrStdout()
	rep := generateReport{Model: f.model, Weights: p.Model.WeightDType(), Compute: p.Model.Compute().String(), PromptTokens: len(prompt), Seed: f.s.Seed, Order: f.s.Order}
	var conts []sample.Continuation
	for i := range f.samples {
		sp, err := sample.NewSampler(f.s, uint64(i))
		if err != nil {
			return err
		}
		if !f.json && f.samples > 1 {
			fmt.Fprintf(out, "=== sample %d of %d ===\n", i+1, f.samples)
		}
		var s generatedSample
		stop := sample.NewStopText(f.stop)
		show := func(text []byte) error {
			s.Text += string(text)
			if f.json {
				return nil
			}
			_, err := out.Write(text) // streamed as it comes
			return err
		}
		toks, err := gen.Generate(prompt, f.maxTokens, sp, func(t sample.Token) error {
			text, err := p.Tokenizer.Decode([]int32{t.ID})
			if err != nil {
				return err
			}
			s.Tokens = append(s.Tokens, generatedToken{Token: t, Text: string(text)})
			safe, stopped := stop.Add(text)
			if err := show(safe); err != nil {
				return err
			}
			if stopped {
				return errStopText
			}
			return nil
		})
		if err != nil && err != errStopText {
			return err
		}
		if err := show(stop.Flush()); err != nil {
			return err
		}
		if !f.json {
			fmt.Fprintln(out)
		}
		conts = append(conts, sample.Continuation{Context: prompt, Tokens: toks})
		s.MeanLogProb = sample.Measure(conts[i:], 128).MeanLogProb
		rep.Samples = append(rep.Samples, s)
	}
	if f.metrics {
		d := sample.Measure(conts, 128)
		rep.Metrics = &d
	}
	if f.json {
		return json.NewEncoder(out).Encode(rep)
	}
	if rep.Metrics != nil {
		printDegeneration(out, *rep.Metrics)
	}
	return nil
}

func printDegeneration(w io.Writer, d sample.Degeneration) {
	fmt.Fprintf(w, "metrics over %d samples, %d tokens (Welleck et al. 2019):\n", d.Sequences, d.Tokens)
	fmt.Fprintf(w, "  seq-rep-1 %.4f  seq-rep-4 %.4f  distinct-1 %.4f  distinct-2 %.4f  uniq %d\n", d.SeqRep1, d.SeqRep4, d.Distinct1, d.Distinct2, d.Uniq)
	fmt.Fprintf(w, "  rep/%d %.4f  wrep/%d %.4f  mean log-prob %.4f nats/token\n", d.RepWindow, d.Rep, d.RepWindow, d.WRep, d.MeanLogProb)
}
