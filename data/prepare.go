package data

import (
	"fmt"
	"io"

	"github.com/xent-dev/xent/tokenizer"
)

// Source is where a corpus's text comes from: the user's files when Files
// is set, otherwise the built-in corpus named Corpus.
type Source struct {
	Corpus string // a built-in corpus: opticks or gosrc
	Files  string // a file, directory or glob (plain text, or JSONL with a "text" field), or Stdin
	// Stdin is what Files = Stdin reads (a command's standard input).
	Stdin io.Reader
}

// Name is the source as the commands' flags spell it.
func (s Source) Name() string {
	if s.Files != "" {
		return s.Files
	}
	return s.Corpus
}

// Text reads the source's whole text.
func (s Source) Text() ([]byte, error) {
	if s.Files != "" {
		return Files(s.Files, s.Stdin)
	}
	return Builtin(s.Corpus)
}

// PrepareOptions says how Prepare turns a source into tokens.
type PrepareOptions struct {
	Source
	// Tokenizer encodes the text. Nil trains a byte-level BPE of VocabSize
	// tokens (GPT-2's pre-tokenization pattern, <|endoftext|> special) on
	// the training split.
	Tokenizer *tokenizer.Tokenizer
	VocabSize int
	// HeldOutOnly leaves the training split untokenized (for studies and
	// evaluations, which score held-out text only); it needs a Tokenizer.
	HeldOutOnly bool
	// Logf reports slow steps (tokenizer training); nil is quiet.
	Logf func(format string, args ...any)
}

// Corpus is a source cut and tokenized for training and evaluation.
type Corpus struct {
	Name           string
	Train, HeldOut []byte // the text: the first 90% and the held-out last 10% (Split)
	Tokenizer      *tokenizer.Tokenizer
	// TrainTokens and HeldOutTokens are the two splits' ids (TrainTokens
	// is nil with HeldOutOnly).
	TrainTokens, HeldOutTokens []int32
}

// Prepare is the one way every command goes from a corpus to token ids:
// read the source, split off the held-out 10% (Split), load or train the
// tokenizer on the training split, and encode both splits (Encode, which
// caches the ids).
func Prepare(o PrepareOptions) (*Corpus, error) {
	if o.HeldOutOnly && o.Tokenizer == nil {
		return nil, fmt.Errorf("data: held-out tokens need a tokenizer")
	}
	if o.Tokenizer == nil && o.VocabSize < 1 {
		return nil, fmt.Errorf("data: vocabulary %d of the tokenizer to train must be ≥ 1", o.VocabSize)
	}
	text, err := o.Text()
	if err != nil {
		return nil, err
	}
	c := &Corpus{Name: o.Name(), Tokenizer: o.Tokenizer}
	c.Train, c.HeldOut = Split(text)
	if len(c.HeldOut) == 0 {
		return nil, fmt.Errorf("data: corpus %s (%d bytes) is too small to hold out 10%% of it", c.Name, len(text))
	}
	if c.Tokenizer == nil {
		if o.Logf != nil {
			o.Logf("training a %d-token byte-level BPE on the training split", o.VocabSize)
		}
		c.Tokenizer, err = tokenizer.Train([][]byte{c.Train}, tokenizer.TrainOptions{VocabSize: o.VocabSize, Pattern: tokenizer.GPT2, Special: []string{"<|endoftext|>"}})
		if err != nil {
			return nil, err
		}
	}
	if !o.HeldOutOnly {
		if c.TrainTokens, err = Encode(c.Tokenizer, c.Train); err != nil {
			return nil, err
		}
	}
	if c.HeldOutTokens, err = Encode(c.Tokenizer, c.HeldOut); err != nil {
		return nil, err
	}
	return c, nil
}
