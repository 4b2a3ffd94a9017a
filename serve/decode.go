package serve

import (
	"fmt"

	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/sample"
)

// Continuous batching. Every choice of every generation in flight is a
// sequence with its own decoder (its KV cache), sampler and stop-string
// watch; each step of the loop feeds every active sequence its next token
// (a prompt token still to prefill, or the token it chose last) through
// one model.BatchDecoder step, so that concurrent generations share each
// pass over the weights, and then lets each sequence that has read its
// whole prompt choose its next token. Sequences join between steps as
// requests come (up to Options.DecodeBatch at once; more wait their turn)
// and leave when done. Nothing is shared between sequences but the pass:
// a sequence's logits are those its decoder alone would compute, bit for
// bit (model.BatchDecoder), and it chooses with its own sampler, so each
// answer is the one the request gets alone.

// A sequence is one choice of a generation being decoded.
type sequence struct {
	w      *work
	choice int
	dec    *model.Decoder
	sp     *sample.Sampler
	stops  *sample.StopText
	seq    []int32 // the prompt, then the tokens chosen
	fed    int     // tokens of seq fed to dec
	out    []sample.Token
	text   []byte
}

// decoding is the loop's state of continuous batching.
type decoding struct {
	bd      *model.BatchDecoder
	active  []*sequence
	waiting []*sequence      // admitted when there is room
	free    []*model.Decoder // decoders of finished sequences, for reuse
	made    int              // decoders allocated, at most bd.MaxBatch()
	logits  []float32        // [DecodeBatch, V]
	decs    []*model.Decoder
	toks    []int32
}

// busy reports sequences to decode.
func (d *decoding) busy() bool { return len(d.active)+len(d.waiting) > 0 }

// start queues w's choices for decoding (w's prompt has been scored if it
// needed to be).
func (s *Server) start(w *work) {
	g := w.gen
	g.out = make([]generated, g.n)
	g.left = g.n
	for j := range g.n {
		sp, err := sample.NewSampler(g.settings, uint64(j))
		if err != nil {
			s.drop(&sequence{w: w, choice: j}, err)
			continue
		}
		s.dec.waiting = append(s.dec.waiting, &sequence{w: w, choice: j, sp: sp, stops: sample.NewStopText(g.stop),
			seq: append(make([]int32, 0, len(w.ids)+g.maxTokens), w.ids...)})
	}
}

// admit moves waiting sequences into the batch while there is room, each
// with a decoder at position 0.
func (s *Server) admit() {
	d := &s.dec
	for len(d.waiting) > 0 && len(d.active) < d.bd.MaxBatch() {
		q := d.waiting[0]
		d.waiting = d.waiting[1:]
		if err := q.w.failed(); err != nil {
			s.drop(q, err)
			continue
		}
		if n := len(d.free); n > 0 {
			q.dec, d.free = d.free[n-1], d.free[:n-1]
			q.dec.Reset()
		} else {
			q.dec = model.NewDecoder(s.m)
			d.made++
		}
		d.active = append(d.active, q)
	}
}

// step runs one batched decoding step over the active sequences.
func (s *Server) step() {
	d := &s.dec
	V := s.m.VocabSize()
	d.decs, d.toks = d.decs[:0], d.toks[:0]
	for _, q := range d.active {
		d.decs, d.toks = append(d.decs, q.dec), append(d.toks, q.seq[q.fed])
	}
	s.steps.Add(1)
	s.stepped.Add(int64(len(d.active)))
	if err := s.batchStep(); err != nil {
		for _, q := range d.active {
			s.drop(q, err)
		}
		d.active = d.active[:0]
		return
	}
	keep := d.active[:0]
	for i, q := range d.active {
		q.fed++
		if err := q.w.failed(); err != nil {
			s.drop(q, err)
			continue
		}
		if q.fed < len(q.seq) {
			keep = append(keep, q) // still reading its prompt
			continue
		}
		if done, err := s.choose(q, d.logits[i*V:(i+1)*V]); err != nil {
			s.drop(q, err)
		} else if !done {
			keep = append(keep, q)
		}
	}
	clear(d.active[len(keep):])
	d.active = keep
}

// batchStep is the model's step, a panic in it an error.
func (s *Server) batchStep() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error: %v", r)
		}
	}()
	return s.dec.bd.Step(s.dec.decs, s.dec.toks, s.dec.logits)
}

// choose takes q's next token from its logits as sample.Generator.Generate
// would, streams it, and reports whether q is done (then finished).
func (s *Server) choose(q *sequence, logits []float32) (done bool, err error) {
	g := q.w.gen
	s.gen.Alternatives = g.k
	t, stop, err := s.gen.Next(logits, q.seq, q.sp)
	if err != nil {
		return true, err
	}
	if stop { // an end-of-sequence token
		return true, s.finish(q, "stop", true)
	}
	q.out = append(q.out, t)
	q.seq = append(q.seq, t.ID)
	b, _ := s.tok.Token(t.ID)
	show, stopped := q.stops.Add(b)
	q.text = append(q.text, show...)
	if err := g.send(q.w, tokenEvent{choice: q.choice, tok: t, text: show}); err != nil {
		return true, err
	}
	switch {
	case stopped:
		return true, s.finish(q, "stop", false)
	case len(q.out) == g.maxTokens:
		return true, s.finish(q, "length", true)
	}
	return false, nil
}

// finish ends q: its text (what a stop string's possible start held back,
// unless a stop string ended it), its choice, its end event; its decoder
// goes back to the pool.
func (s *Server) finish(q *sequence, reason string, flush bool) error {
	var rest []byte
	if flush {
		rest = q.stops.Flush()
		q.text = append(q.text, rest...)
	}
	g := q.w.gen
	g.out[q.choice] = generated{tokens: q.out, text: string(q.text), finish: reason}
	err := g.send(q.w, tokenEvent{choice: q.choice, text: rest, end: true, finish: reason})
	s.release(q, err)
	return nil
}

// drop ends q with an error, which becomes its request's.
func (s *Server) drop(q *sequence, err error) {
	if q.w.err == nil {
		q.w.err = err
	}
	s.release(q, q.w.err)
}

// release returns q's decoder to the pool and closes its request's ready
// when its last choice is done.
func (s *Server) release(q *sequence, err error) {
	if err != nil && q.w.err == nil {
		q.w.err = err
	}
	if q.dec != nil {
		s.dec.free = append(s.dec.free, q.dec)
		q.dec = nil
	}
	g := q.w.gen
	if g.left--; g.left == 0 {
		close(q.w.ready)
	}
}

// failed is the error that ends w's generation early: its own, or its
// request's end.
func (w *work) failed() error {
	if w.err != nil {
		return w.err
	}
	return w.ctx.Err()
}

// failDecoding ends every sequence with err (the server is closing).
func (s *Server) failDecoding(err error) {
	for _, q := range append(s.dec.active, s.dec.waiting...) {
		s.drop(q, err)
	}
	s.dec.active, s.dec.waiting = nil, nil
}
