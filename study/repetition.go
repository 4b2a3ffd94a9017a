package study

import (
	"fmt"
	"io"

	"github.com/xent-dev/xent/loss"
	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/sample"
)

// Penalty is one setting of the repetition sweep.
type Penalty struct {
	Repetition float64 `json:"repetition_penalty"` // 1: off
	Frequency  float64 `json:"frequency_penalty"`
	Presence   float64 `json:"presence_penalty"`
}

func (p Penalty) String() string {
	switch {
	case p.Frequency == 0 && p.Presence == 0:
		return fmt.Sprintf("repetition %.1f", p.Repetition)
	case p.Repetition == 1 && p.Presence == 0:
		return fmt.Sprintf("frequency %.1f", p.Frequency)
	case p.Repetition == 1 && p.Frequency == 0:
		return fmt.Sprintf("presence %.1f", p.Presence)
	}
	return fmt.Sprintf("rep %.1f freq %.1f pres %.1f", p.Repetition, p.Frequency, p.Presence)
}

// DefaultSweep is the seed's repetition penalties 1.0, 1.1, 1.2, 1.5 and
// 2.0, then frequency and presence penalties 0.5 and 1.0 alone.
var DefaultSweep = []Penalty{
	{Repetition: 1}, {Repetition: 1.1}, {Repetition: 1.2}, {Repetition: 1.5}, {Repetition: 2},
	{Repetition: 1, Frequency: 0.5}, {Repetition: 1, Frequency: 1},
	{Repetition: 1, Presence: 0.5}, {Repetition: 1, Presence: 1},
}

// RepetitionOptions configure RunRepetition.
type RepetitionOptions struct {
	Prompt    int             `json:"prompt"`     // tokens of each held-out prompt
	NewTokens int             `json:"new_tokens"` // tokens generated per prompt
	Decoding  sample.Settings `json:"decoding"`   // temperature, cuts, window, seed; the penalties come from Sweep
	Sweep     []Penalty       `json:"sweep"`      // nil: DefaultSweep
	RepWindow int             `json:"rep_window"` // ℓ of rep/ℓ (0: 128)
}

// RepetitionRow is one setting's degeneration, with NLL = −mean
// log-probability of the generated tokens under the unpenalised model.
type RepetitionRow struct {
	Setting string  `json:"setting"`
	Penalty Penalty `json:"penalty"`
	sample.Degeneration
	NLL float64 `json:"nll"`
}

// Repetition is the result of RunRepetition: the true continuations
// first, then one row per setting.
type Repetition struct {
	Options RepetitionOptions `json:"options"`
	Human   RepetitionRow     `json:"held_out_text"`
	Rows    []RepetitionRow   `json:"rows"`
}

// RunRepetition continues the first o.Prompt tokens of each document
// (each at least o.Prompt + o.NewTokens long) under every setting of the
// sweep (package doc).
func RunRepetition(m *model.Model, docs [][]int32, o RepetitionOptions) (Repetition, error) {
	if o.Sweep == nil {
		o.Sweep = DefaultSweep
	}
	if o.RepWindow == 0 {
		o.RepWindow = 128
	}
	switch n := o.Prompt + o.NewTokens; {
	case o.Prompt < 1 || o.NewTokens < 1:
		return Repetition{}, fmt.Errorf("study: prompt %d and new tokens %d must each be ≥ 1", o.Prompt, o.NewTokens)
	case n-1 > m.MaxSeqLen():
		return Repetition{}, fmt.Errorf("study: a %d-token prompt and %d new tokens do not fit the model's context of %d", o.Prompt, o.NewTokens, m.MaxSeqLen())
	}
	for i, d := range docs {
		if len(d) < o.Prompt+o.NewTokens {
			return Repetition{}, fmt.Errorf("study: document %d has %d tokens; prompt + new tokens need %d", i, len(d), o.Prompt+o.NewTokens)
		}
	}
	res := Repetition{Options: o}
	human, err := trueContinuations(m, docs, o)
	if err != nil {
		return Repetition{}, err
	}
	res.Human = row("held-out text", Penalty{Repetition: 1}, human, o.RepWindow)
	gen := sample.NewGenerator(m)
	for _, pen := range o.Sweep {
		s := o.Decoding
		s.RepetitionPenalty, s.FrequencyPenalty, s.PresencePenalty = pen.Repetition, pen.Frequency, pen.Presence
		conts := make([]sample.Continuation, len(docs))
		for i, d := range docs {
			sp, err := sample.NewSampler(s, uint64(i)) // the same stream per prompt in every row
			if err != nil {
				return Repetition{}, err
			}
			toks, err := gen.Generate(d[:o.Prompt], o.NewTokens, sp, nil)
			if err != nil {
				return Repetition{}, err
			}
			conts[i] = sample.Continuation{Context: d[:o.Prompt], Tokens: toks}
		}
		res.Rows = append(res.Rows, row(pen.String(), pen, conts, o.RepWindow))
	}
	return res, nil
}

func row(name string, pen Penalty, conts []sample.Continuation, l int) RepetitionRow {
	d := sample.Measure(conts, l)
	return RepetitionRow{Setting: name, Penalty: pen, Degeneration: d, NLL: -d.MeanLogProb}
}

// trueContinuations scores each document's true continuation under the
// model, teacher-forced, as if the model had generated it.
func trueContinuations(m *model.Model, docs [][]int32, o RepetitionOptions) ([]sample.Continuation, error) {
	V := m.VocabSize()
	rows := loss.RowScorer{Rank: true}
	conts := make([]sample.Continuation, len(docs))
	for i, d := range docs {
		seq := d[:o.Prompt+o.NewTokens]
		logits, err := m.Logits(seq, 1, len(seq))
		if err != nil {
			return nil, err
		}
		toks := make([]sample.Token, o.NewTokens)
		for j := range toks {
			pos := o.Prompt + j
			r, err := rows.Score(logits[(pos-1)*V:pos*V], nil, seq[pos])
			if err != nil {
				return nil, fmt.Errorf("study: document %d, position %d: %w", i, pos, err)
			}
			toks[j] = sample.Token{ID: seq[pos], LogProb: -r.NLL, Rank: r.Rank, Top: r.Top}
		}
		conts[i] = sample.Continuation{Context: seq[:o.Prompt], Tokens: toks}
	}
	return conts, nil
}

// WriteTable prints one line per setting.
func (r Repetition) WriteTable(w io.Writer) {
	o := r.Options
	mode := "greedy"
	if o.Decoding.Temperature > 0 {
		mode = fmt.Sprintf("sampled at T=%g", o.Decoding.Temperature)
	}
	fmt.Fprintf(w, "%d held-out prompts of %d tokens, %d new tokens each, %s; NLL under the unpenalised model\n",
		r.Human.Sequences, o.Prompt, o.NewTokens, mode)
	fmt.Fprintf(w, "%-22s %10s %10s %10s %10s %10s %8s\n", "setting", "seq-rep-4", "distinct-2", "NLL", fmt.Sprintf("rep/%d", o.RepWindow), "wrep", "uniq")
	for _, x := range append([]RepetitionRow{r.Human}, r.Rows...) {
		fmt.Fprintf(w, "%-22s %10.4f %10.4f %10.4f %10.4f %10.4f %8d\n", x.Setting, x.SeqRep4, x.Distinct2, x.NLL, x.Rep, x.WRep, x.Uniq)
	}
}
