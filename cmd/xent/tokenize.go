package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/xent-dev/xent/modeldir"
	"github.com/xent-dev/xent/tokenizer"
)

// tokenizeFlags are the flags of "xent tokenize".
type tokenizeFlags struct {
	tokenizer    string
	decode       bool
	count        bool
	allowSpecial []string
	addSpecial   bool
	threads      int
	blockBytes   int
}

func newTokenizeCmd() *cobra.Command {
	var f tokenizeFlags
	cmd := &cobra.Command{
		Use:   "tokenize [--tokenizer NAME|PATH] [--decode] [--count]",
		Short: "Encode stdin to token ids, or decode ids back to bytes",
		Long: `Encode the bytes of stdin with a byte-level BPE tokenizer and print the
token ids as one JSON array on stdout; with --count print only their number;
with --decode read a JSON array of ids from stdin and write their bytes.

--tokenizer is a built-in tiktoken encoding (gpt2, cl100k_base, o200k_base;
embedded, no network needed), a Hugging Face tokenizer.json, a folder
holding one or GPT-2's encoder.json and vocab.bpe (or vocab.json and
merges.txt), or a model directory, whose tokenizer it uses. The ids are
exactly tiktoken's (and GPT-2's encoder.py's). Special tokens such as
<|endoftext|> are plain text unless named in --allow-special ("all" allows
every one). --add-special adds the model's own special tokens around the
text, as transformers' add_special_tokens=True does (Llama 2's <s>,
Gemma's <bos>; none for tiktoken's encodings): tokenizer.json's
post-processor, as the tokenizer_config.json beside it changes it
(add_bos_token, add_eos_token). Stdin need not be valid UTF-8: every byte
string encodes, and decodes back unchanged, for tiktoken's encodings and
the byte-level tokenizer.json files (Llama 3, Qwen3, DeepSeek V3,
gpt-oss); Llama 2's and Gemma 3's read each invalid byte as U+FFFD, as
Hugging Face does. An id outside the vocabulary is an error that
names it.

Encoding streams: stdin is read and encoded a block at a time, cut where
the ids cannot change, so memory stays flat however long the input.`,
		Example: `  echo 'Hello, world!' | xent tokenize --tokenizer cl100k_base
  xent tokenize --tokenizer o200k_base --count < book.txt
  echo '[9906, 11, 1917, 0]' | xent tokenize --tokenizer cl100k_base --decode
  xent tokenize --tokenizer ./tokenizer.json --allow-special all < docs.txt
  xent tokenize --tokenizer runs/opticks --count < notes.txt`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runTokenize(cmd, &f)
		},
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.StringVar(&f.tokenizer, "tokenizer", "gpt2", "gpt2, cl100k_base, o200k_base, a tokenizer.json, a folder of GPT-2's files, or a model directory")
	fl.BoolVar(&f.decode, "decode", false, "read a JSON array of ids and write their bytes")
	fl.BoolVar(&f.count, "count", false, "print the number of tokens instead of the ids")
	fl.StringSliceVar(&f.allowSpecial, "allow-special", nil, `special tokens to recognise in the text, comma-separated, or "all"`)
	fl.BoolVar(&f.addSpecial, "add-special", false, "add the model's own special tokens (its BOS) around the text, as Hugging Face's add_special_tokens")
	fl.IntVar(&f.threads, "threads", runtime.GOMAXPROCS(0), "goroutines that encode large inputs")
	fl.IntVar(&f.blockBytes, "block-bytes", 1<<20, "bytes of stdin encoded at a time")
	fl.MarkHidden("block-bytes")
	return cmd
}

// loadTokenizer resolves --tokenizer: a model directory or anything
// tokenizer.Load takes.
func loadTokenizer(arg string) (*tokenizer.Tokenizer, error) {
	tok, err := modeldir.LoadTokenizer(arg)
	if err != nil {
		return nil, fmt.Errorf("--tokenizer: %w", err)
	}
	return tok, nil
}

func runTokenize(cmd *cobra.Command, f *tokenizeFlags) error {
	if f.decode && (f.count || len(f.allowSpecial) > 0 || f.addSpecial) {
		return fmt.Errorf("--decode does not go with --count, --allow-special or --add-special")
	}
	if f.threads < 1 {
		return fmt.Errorf("--threads %d: want at least 1", f.threads)
	}
	if f.blockBytes < 1 {
		return fmt.Errorf("--block-bytes %d: want at least 1", f.blockBytes)
	}
	tok, err := loadTokenizer(f.tokenizer)
	if err != nil {
		return err
	}
	out := bufio.NewWriter(cmd.OutOrStdout())
	if f.decode {
		in, err := io.ReadAll(cmd.InOrStdin())
		if err != nil {
			return fmt.Errorf("reading stdin: %w", err)
		}
		var ids []int32
		if err := json.Unmarshal(in, &ids); err != nil {
			return fmt.Errorf("--decode: stdin is not a JSON array of token ids: %w", err)
		}
		text, err := tok.Decode(ids)
		if err != nil {
			return err
		}
		if _, err = out.Write(text); err != nil {
			return err
		}
		return out.Flush()
	}
	allowed := f.allowSpecial
	if slices.Equal(allowed, []string{"all"}) {
		allowed = tok.SpecialTokens()
	}
	if _, err := tok.EncodeSpecial(nil, allowed); err != nil {
		return fmt.Errorf("--allow-special: %w", err)
	}
	// The ids are written (or counted) a block of stdin at a time.
	count := 0
	var buf []byte
	if !f.count {
		buf = append(buf, '[')
	}
	var before, after []int32
	if f.addSpecial {
		before, after = tok.Template()
	}
	write := func(ids []int32) error {
		if f.count {
			count += len(ids)
			return nil
		}
		for _, id := range ids {
			if count > 0 {
				buf = append(buf, ',')
			}
			buf = strconv.AppendInt(buf, int64(id), 10)
			count++
		}
		if _, err := out.Write(buf); err != nil {
			return fmt.Errorf("writing the ids: %w", err)
		}
		buf = buf[:0]
		return nil
	}
	if err := write(before); err != nil {
		return err
	}
	first := true
	err = tok.Blocks(cmd.InOrStdin(), f.blockBytes, allowed, func(block []byte) error {
		ids, err := tok.EncodeBlock(block, allowed, first, f.threads)
		first = false
		if err != nil {
			return err
		}
		return write(ids)
	})
	if err != nil {
		return err
	}
	if err := write(after); err != nil {
		return err
	}
	if f.count {
		_, err = fmt.Fprintln(out, count)
	} else {
		_, err = out.Write(append(buf, "]\n"...))
	}
	if err != nil {
		return err
	}
	return out.Flush()
}

// tokenizerTrainFlags are the flags of "xent tokenizer train".
type tokenizerTrainFlags struct {
	vocabSize int
	out       string
	pattern   string
	special   []string
	threads   int
	force     bool
}

// trainPatterns names the pre-tokenizers "xent tokenizer train" offers.
var trainPatterns = map[string]tokenizer.Pattern{
	"gpt2":        tokenizer.GPT2,
	"cl100k_base": tokenizer.CL100K,
	"o200k_base":  tokenizer.O200K,
}

func newTokenizerCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tokenizer",
		Short: "Work with tokenizers (train)",
		Args:  cobra.NoArgs,
	}
	var f tokenizerTrainFlags
	train := &cobra.Command{
		Use:   "train --vocab-size N --out tokenizer.json FILES...",
		Short: "Train a byte-level BPE tokenizer on text files",
		Long: `Train a byte-level BPE of --vocab-size tokens (the 256 bytes, the learned
merges and the special tokens) on the concatenated pieces of FILES, and write
it as a Hugging Face tokenizer.json (atomically: a temporary file renamed
into place), which "xent tokenize --tokenizer" and Hugging Face's tokenizers
load. Merges never cross the pieces of --pattern, the pre-tokenizer of the
named encoding. Each merge joins the most frequent adjacent pair (ties: the
smallest pair of ids), counted incrementally. A JSON summary goes to stdout.`,
		Example: `  xent tokenizer train --vocab-size 32000 --out tokenizer.json corpus/*.txt`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			return runTokenizerTrain(cmd, &f, files)
		},
	}
	fl := train.Flags()
	fl.SortFlags = false
	fl.IntVar(&f.vocabSize, "vocab-size", 32000, "tokens in the vocabulary, special tokens included")
	fl.StringVar(&f.out, "out", "", "the tokenizer.json to write (required; a new file unless --force)")
	fl.BoolVar(&f.force, "force", false, "replace --out if it exists")
	fl.StringVar(&f.pattern, "pattern", "gpt2", "pre-tokenizer: gpt2, cl100k_base or o200k_base")
	fl.StringSliceVar(&f.special, "special", []string{"<|endoftext|>"}, "special tokens, comma-separated, given the last ids")
	fl.IntVar(&f.threads, "threads", runtime.GOMAXPROCS(0), "goroutines that pre-tokenize")
	cmd.AddCommand(train)
	return cmd
}

func runTokenizerTrain(cmd *cobra.Command, f *tokenizerTrainFlags, files []string) error {
	pattern, ok := trainPatterns[f.pattern]
	switch {
	case !ok:
		return fmt.Errorf("--pattern %q: want gpt2, cl100k_base or o200k_base", f.pattern)
	case f.out == "":
		return fmt.Errorf("--out is required")
	case f.threads < 1:
		return fmt.Errorf("--threads %d: want at least 1", f.threads)
	}
	if _, err := os.Lstat(f.out); err == nil && !f.force {
		return fmt.Errorf("--out %s exists; --force to replace it", f.out)
	}
	start := time.Now()
	var texts [][]byte
	total := 0
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		texts = append(texts, b)
		total += len(b)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "training on %d bytes from %d files\n", total, len(files))
	tok, err := tokenizer.Train(texts, tokenizer.TrainOptions{VocabSize: f.vocabSize, Pattern: pattern, Special: f.special, Workers: f.threads})
	if err != nil {
		return err
	}
	if tok.VocabSize() < f.vocabSize {
		fmt.Fprintf(cmd.ErrOrStderr(), "the corpus ran out of pairs: %d tokens, not %d\n", tok.VocabSize(), f.vocabSize)
	}
	if err := tok.SaveHFFile(f.out); err != nil {
		return err
	}
	return json.NewEncoder(cmd.OutOrStdout()).Encode(map[string]any{
		"out":        f.out,
		"vocab_size": tok.VocabSize(),
		"bytes":      total,
		"seconds":    time.Since(start).Seconds(),
	})
}
