package tune

import (
	"fmt"
	"io"

	"github.com/xent-dev/xent/internal/jsonl"
	"github.com/xent-dev/xent/tokenizer"
)

// Format is the shape of a training record.
type Format int

const (
	SFTFormat      Format = iota // {"prompt", "completion"}
	PairFormat                   // {"prompt", "chosen", "rejected"}
	UnpairedFormat               // {"prompt", "completion", "label"}: KTO, label true for desirable
)

// Example is one record of a training file.
type Example struct {
	Line      int    // 1-based line in the file
	Prompt    string // may be empty: the completion then follows the BOS token alone
	Chosen    string // the completion (SFT, KTO) or the chosen one (pairs)
	Rejected  string // pairs only
	Desirable bool   // KTO only
}

// ReadExamples reads a JSON Lines training file. A missing field, a field
// of the wrong type or an empty completion is an error naming the line.
func ReadExamples(r io.Reader, f Format) ([]Example, error) {
	recs, err := jsonl.Read(r)
	if err != nil {
		return nil, err
	}
	out := make([]Example, len(recs))
	for i, rec := range recs {
		e := Example{Line: rec.Line}
		if e.Prompt, err = rec.String("prompt"); err != nil {
			return nil, err
		}
		completion := func(name string) (string, error) {
			s, err := rec.String(name)
			if err == nil && s == "" {
				err = rec.Errorf(name, "an empty completion has nothing to train on")
			}
			return s, err
		}
		switch f {
		case SFTFormat, UnpairedFormat:
			e.Chosen, err = completion("completion")
			if err == nil && f == UnpairedFormat {
				e.Desirable, err = rec.Bool("label")
			}
		case PairFormat:
			if e.Chosen, err = completion("chosen"); err == nil {
				e.Rejected, err = completion("rejected")
			}
		}
		if err != nil {
			return nil, err
		}
		out[i] = e
	}
	return out, nil
}

// Sequence is a tokenized prompt and completion: BOS, the prompt's tokens,
// the completion's tokens. The model reads Tokens[:len−1] and is scored on
// predicting the completion, Tokens[Prompt:].
type Sequence struct {
	Tokens []int32
	Prompt int // tokens before the completion, BOS included (≥ 1)
}

// Inputs is the number of positions the model reads, len(Tokens) − 1.
func (s Sequence) Inputs() int { return len(s.Tokens) - 1 }

// Item is a tokenized Example.
type Item struct {
	Line      int
	Chosen    Sequence // the completion (SFT, KTO) or the chosen one
	Rejected  Sequence // pairs only
	Desirable bool     // KTO only
	// Mismatched is KTO's KL sequence: this prompt followed by the previous
	// example's completion (TRL shifts completions by one), cut to fit the
	// context.
	Mismatched Sequence
}

// Tokenize encodes the examples as BOS + prompt + completion. A prompt
// that leaves no room for a completion in the context, or a prompt and
// completion longer than the context, is an error naming the line. The
// prompt and the completion are encoded separately, so no token straddles
// the boundary.
func Tokenize(examples []Example, f Format, tok *tokenizer.Tokenizer, bos int32, context int) ([]Item, error) {
	items := make([]Item, len(examples))
	for i, e := range examples {
		prompt := append([]int32{bos}, tok.Encode([]byte(e.Prompt))...)
		if len(prompt) >= context {
			return nil, fmt.Errorf("line %d: the prompt is %d tokens with BOS, longer than the context of %d allows (it must leave room for a completion)", e.Line, len(prompt), context)
		}
		seq := func(name, completion string) (Sequence, error) {
			c := tok.Encode([]byte(completion))
			s := Sequence{Tokens: append(append([]int32{}, prompt...), c...), Prompt: len(prompt)}
			if s.Inputs() > context {
				return Sequence{}, fmt.Errorf("line %d: prompt and %s are %d tokens, longer than the context of %d", e.Line, name, s.Inputs(), context)
			}
			return s, nil
		}
		it := Item{Line: e.Line, Desirable: e.Desirable}
		name := "completion"
		if f == PairFormat {
			name = "chosen"
		}
		var err error
		if it.Chosen, err = seq(name, e.Chosen); err != nil {
			return nil, err
		}
		if f == PairFormat {
			if it.Rejected, err = seq("rejected", e.Rejected); err != nil {
				return nil, err
			}
		}
		items[i] = it
	}
	if f == UnpairedFormat {
		for i := range items {
			prev := items[(i+len(items)-1)%len(items)].Chosen
			s := items[i].Chosen
			tokens := append(append([]int32{}, s.Tokens[:s.Prompt]...), prev.Tokens[prev.Prompt:]...)
			items[i].Mismatched = Sequence{Tokens: tokens[:min(len(tokens), context+1)], Prompt: s.Prompt}
		}
	}
	return items, nil
}
