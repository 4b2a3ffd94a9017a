package eval

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"slices"

	"github.com/xent-dev/xent/internal/par"
	"github.com/xent-dev/xent/loss"
	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/tokenizer"
)

// Options configure an evaluation.
type Options struct {
	Scheme Scheme
	// Ctx is the tokens per window; 0 means DefaultCtx or the model's
	// context, whichever is shorter. A longer window must be asked for:
	// Llama 3.2's context is 131,072 tokens, which cannot be scored.
	Ctx    int
	Stride int // Strided only: tokens between window starts; 0: Ctx/2
	// AddBOS says that the model's vocabulary puts BOS before a text, as
	// llama.cpp's add_bos (modeldir.Pretrained.AddBOS). LlamaCpp reads it:
	// with it each document is scored as BOS followed by its tokens, and
	// every chunk's first token is replaced by BOS; without it neither.
	// Disjoint conditions a document's first token on BOS either way
	// (lm-evaluation-harness's prefix token), and Strided never uses BOS.
	AddBOS bool
	// Mode picks the class breakdown; Auto reads .go files as Go source and
	// everything else as English.
	Mode Mode
	// Threads bounds the goroutines; 0 means GOMAXPROCS.
	Threads int
	// MaxTokens stops scoring once that many tokens are scored (0: no cap):
	// the window it falls in is cut short there, and the rest of the text is
	// only counted, so Report.TokensAvailable says how many it held.
	MaxTokens int
	// Progress, if not nil, is told the running totals after every scored
	// window.
	Progress func(Progress)
}

// Progress is how far an evaluation has got.
type Progress struct {
	Windows int64   // windows scored
	Tokens  int64   // tokens scored
	MeanNLL float64 // nats per token so far
	// Bytes is how far into the text the scored windows reach, over every
	// document so far: the bytes of their tokens up to the last window's
	// end (0 for token ids without a tokenizer).
	Bytes int64
}

// DefaultCtx is the longest window Options.Ctx 0 gives: the model's
// context where that is shorter.
const DefaultCtx = 4096

// Auto chooses a document's Mode from its name.
const Auto Mode = 255

// blockBytes is how much text is read, classified and tokenized at a time.
var blockBytes = 1 << 20 // a variable so that tests can make blocks small

// chunkBytes bounds the logits held at once: rows·V·4 bytes per model.
const chunkBytes = 16 << 20

// tokenInfo is what the byte-based metrics need of a token.
type tokenInfo struct {
	bytes, chars, words int32 // bytes; UTF-8 characters starting in it; words starting in it
	class               Class
	classified          bool // class holds the token's class (false for bare token ids)
}

// Evaluator scores documents with a model and accumulates every metric.
// Documents are independent: each is windowed on its own, its first token
// conditioned as its scheme says.
type Evaluator struct {
	m, base *model.Model
	tok     *tokenizer.Tokenizer
	bos     int32
	opt     Options
	counts  []int64 // [V] training-token counts, or nil
	acc     accumulator

	inputs       []int32   // [ctx]
	logits, blog []float32 // [rows, V] this model's and the base model's logits
	results      []loss.Row
	scorers      []loss.RowScorer // per worker
	errs         []error          // per worker
	maxHeld      int              // the most tokens a document held at once
}

// New returns an evaluator of m, whose documents start with the token bos.
// tok turns text into ids; it may be nil if only EvaluateTokens is used.
func New(m *model.Model, tok *tokenizer.Tokenizer, bos int32, opt Options) (*Evaluator, error) {
	if opt.Scheme == "" {
		opt.Scheme = Disjoint
	}
	if _, err := ParseScheme(string(opt.Scheme)); err != nil {
		return nil, err
	}
	if opt.Ctx == 0 {
		opt.Ctx = min(m.MaxSeqLen(), DefaultCtx)
	}
	switch {
	case opt.Ctx < 2 || opt.Ctx > m.MaxSeqLen():
		return nil, fmt.Errorf("eval: context %d is outside [2, %d], the model's context", opt.Ctx, m.MaxSeqLen())
	case opt.Scheme == LlamaCpp && opt.Ctx < 4:
		return nil, fmt.Errorf("eval: llamacpp scores the second half of each chunk and needs a context of at least 4, not %d", opt.Ctx)
	}
	if opt.MaxTokens < 0 {
		return nil, fmt.Errorf("eval: token cap %d must be ≥ 0 (0: no cap)", opt.MaxTokens)
	}
	if opt.Scheme == Strided {
		if opt.Stride == 0 {
			opt.Stride = opt.Ctx / 2
		}
		if opt.Stride < 1 || opt.Stride > opt.Ctx {
			return nil, fmt.Errorf("eval: stride %d is outside [1, %d], the context", opt.Stride, opt.Ctx)
		}
	} else {
		opt.Stride = 0
	}
	if opt.Scheme != LlamaCpp {
		opt.AddBOS = false // the other schemes do not read it
	}
	if bos < 0 || int(bos) >= m.VocabSize() {
		return nil, fmt.Errorf("eval: BOS token %d is outside the vocabulary [0, %d)", bos, m.VocabSize())
	}
	V := m.VocabSize()
	rows := max(1, min(opt.Ctx, chunkBytes/(4*V)))
	threads := opt.Threads
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	opt.Threads = threads
	e := &Evaluator{m: m, tok: tok, bos: bos, opt: opt, inputs: make([]int32, opt.Ctx),
		logits: make([]float32, rows*V), results: make([]loss.Row, rows), scorers: make([]loss.RowScorer, threads), errs: make([]error, threads)}
	e.acc.init(V, opt.Ctx)
	return e, nil
}

// SetTrainCounts gives the training-token counts [V] that bucket the loss
// by frequency; without them the evaluated text's own counts are used.
func (e *Evaluator) SetTrainCounts(counts []int64) error {
	if len(counts) != e.m.VocabSize() {
		return fmt.Errorf("eval: %d training counts for a vocabulary of %d", len(counts), e.m.VocabSize())
	}
	e.counts = counts
	return nil
}

// SetBase adds a base model to compare against on the same windows: the KL
// divergence between the two next-token distributions, in both directions
// (Report.Base names them), and the base's own loss.
// Both must share the tokenizer; baseTok is checked against the
// evaluator's (nil skips the check, for token ids).
func (e *Evaluator) SetBase(base *model.Model, baseTok *tokenizer.Tokenizer) error {
	if base.VocabSize() != e.m.VocabSize() {
		return fmt.Errorf("eval: the base model has %d tokens, the model %d: they must share the tokenizer", base.VocabSize(), e.m.VocabSize())
	}
	if base.MaxSeqLen() < e.opt.Ctx {
		return fmt.Errorf("eval: the base model's context %d is shorter than the window of %d", base.MaxSeqLen(), e.opt.Ctx)
	}
	if e.tok != nil && baseTok != nil {
		if err := sameTokenizer(e.tok, baseTok); err != nil {
			return err
		}
	}
	e.base = base
	e.blog = make([]float32, len(e.logits))
	return nil
}

// Document reads one document from r and scores it. name picks the class
// breakdown under Auto (".go": Go source). English text streams a block at
// a time, so memory does not grow with the document; Go source is read
// whole, as go/scanner needs. progress, if not nil, is told how many bytes
// were read, a block at a time (tokenizer.Blocks). A cancelled ctx stops
// between windows with ctx's error, and what was scored so far stays in
// the report.
func (e *Evaluator) Document(ctx context.Context, name string, r io.Reader, progress func(int)) error {
	if e.tok == nil {
		return errors.New("eval: Document needs a tokenizer")
	}
	mode := e.opt.Mode
	if mode == Auto {
		mode = English
		if filepath.Ext(name) == ".go" {
			mode = GoSource
		}
	}
	d := e.newDoc()
	if mode == GoSource {
		src, err := io.ReadAll(r)
		if progress != nil {
			progress(len(src))
		}
		if err != nil {
			return fmt.Errorf("eval: %s: %w", name, err)
		}
		classes := make([]Class, len(src))
		classifyGo(src, classes)
		if err := d.add(src, classes); err != nil {
			return fmt.Errorf("eval: %s: %w", name, err)
		}
		return d.run(ctx, true)
	}
	english := newEnglishClassifier()
	var classes []Class // the classes of a block's bytes, reused
	var stopped error   // the scoring's error, passed on as it is
	err := e.tok.Blocks(r, blockBytes, nil, func(block []byte) error {
		if progress != nil {
			progress(len(block))
		}
		classes = slices.Grow(classes[:0], len(block))[:len(block)]
		english.classify(block, classes)
		if err := d.add(block, classes); err != nil {
			stopped = fmt.Errorf("eval: %s: %w", name, err)
		} else {
			stopped = d.run(ctx, false)
		}
		return stopped
	})
	if err != nil && err != stopped {
		return fmt.Errorf("eval: %s: %w", name, err) // reading r failed
	}
	if err != nil {
		return err
	}
	return d.run(ctx, true)
}

// EvaluateTokens scores one document given as token ids. With the
// evaluator's tokenizer the bytes and characters of the scored tokens are
// counted (bits per byte and per character); words and classes, which need
// the text's classes, count nothing.
func (e *Evaluator) EvaluateTokens(ctx context.Context, ids []int32) error {
	infos := make([]tokenInfo, len(ids))
	for i, id := range ids {
		if id < 0 || int(id) >= e.m.VocabSize() {
			return fmt.Errorf("eval: token %d at position %d is outside the vocabulary [0, %d)", id, i, e.m.VocabSize())
		}
		if e.tok == nil {
			continue
		}
		b, err := e.tok.Token(id)
		if err != nil {
			return fmt.Errorf("eval: token %d at position %d: %w", id, i, err)
		}
		infos[i].bytes, infos[i].chars = int32(len(b)), int32(utf8Starts(b))
	}
	d := e.newDoc()
	d.toks, d.infos = append(d.toks, ids...), infos
	return d.run(ctx, true)
}

// Tokens scores ids, one document, with m under opt and reports on it:
// tokens scored (of how many available, under opt.MaxTokens), mean NLL,
// perplexity, and with tok bits per byte. bos conditions the first token
// (Disjoint and LlamaCpp). It is the one way xent scores held-out token
// ids: training's periodic evaluation calls it, and on the same tokens,
// scheme and context it gives what xent eval gives.
func Tokens(ctx context.Context, m *model.Model, tok *tokenizer.Tokenizer, bos int32, ids []int32, opt Options) (Report, error) {
	e, err := New(m, tok, bos, opt)
	if err != nil {
		return Report{}, err
	}
	err = e.EvaluateTokens(ctx, ids)
	r := e.Report()
	r.Partial = err != nil
	return r, err
}

// utf8Starts counts the UTF-8 characters starting in b.
func utf8Starts(b []byte) int {
	n := 0
	for _, c := range b {
		if c&0xc0 != 0x80 {
			n++
		}
	}
	return n
}

// doc is the state of one document being scored: its tokens from index
// base on, and the windower.
type doc struct {
	e         *Evaluator
	w         windower
	toks      []int32
	infos     []tokenInfo
	base      int
	prevClass Class // of the last byte added, for word starts
	reached   int   // the end of the last scored window, a token index
	added     bool  // a block was added: the next continues the text
}

func (e *Evaluator) newDoc() *doc {
	e.acc.documents++
	return &doc{e: e, w: newWindower(e.opt.Scheme, e.opt.Ctx, e.opt.Stride, e.opt.AddBOS), prevClass: Whitespace}
}

// add tokenizes a piece of the document, which ends at a safe cut, with
// its bytes' classes.
func (d *doc) add(text []byte, classes []Class) error {
	ids, err := d.e.tok.EncodeBlock(text, nil, !d.added, 1)
	if err != nil {
		return err
	}
	d.added = true
	// Each token counts the bytes of the text it stands for, which a
	// tokenizer.json's normalizer may have rewritten (tokenizer.ByteSpans).
	lens, err := d.e.tok.ByteSpans(text, ids)
	if err != nil {
		return err
	}
	off := 0
	for k, id := range ids {
		end := off + lens[k]
		info := tokenInfo{bytes: int32(lens[k]), chars: int32(utf8Starts(text[off:end])), class: tokenClass(classes[off:end]), classified: true}
		for j := off; j < end; j++ {
			if classes[j] != Whitespace && d.prevClass == Whitespace {
				info.words++
			}
			d.prevClass = classes[j]
		}
		d.toks = append(d.toks, id)
		d.infos = append(d.infos, info)
		off = end
	}
	d.e.maxHeld = max(d.e.maxHeld, len(d.toks))
	return nil
}

// run scores every window the known tokens allow, then drops the tokens no
// later window reads. Past the token cap windows are only counted.
func (d *doc) run(ctx context.Context, final bool) error {
	e := d.e
	for {
		w, ok := d.w.next(d.base+len(d.toks), final)
		if !ok {
			break
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		targets := int64(w.length - w.scoreFrom)
		e.acc.available += targets
		if e.opt.MaxTokens > 0 {
			left := int64(e.opt.MaxTokens) - e.acc.tokens
			if left <= 0 {
				continue
			}
			if targets > left {
				w.length = w.scoreFrom + int(left) // causal: the first targets score as in the whole window
			}
		}
		if err := e.score(w, d.toks, d.infos, d.base); err != nil {
			return err
		}
		e.acc.windows++
		for ; d.reached < w.first+w.length; d.reached++ {
			e.acc.reachedBytes += int64(d.infos[d.reached-d.base].bytes)
		}
		if e.opt.Progress != nil {
			e.opt.Progress(Progress{Windows: e.acc.windows, Tokens: e.acc.tokens, MeanNLL: mean(e.acc.nll, e.acc.tokens), Bytes: e.acc.reachedBytes})
		}
	}
	if keep := min(max(0, d.w.keepFrom()-1)-d.base, len(d.toks)); keep > len(d.toks)/2 && keep > 0 {
		d.toks = d.toks[:copy(d.toks, d.toks[keep:])]
		d.infos = d.infos[:copy(d.infos, d.infos[keep:])]
		d.base += keep
	}
	return nil
}

// score runs one window through the model (and the base model) and
// accumulates its scored positions.
func (e *Evaluator) score(w window, toks []int32, infos []tokenInfo, base int) error {
	L, V := w.length, e.m.VocabSize()
	inputs := e.inputs[:L]
	for p := range L {
		if p == 0 && w.bos {
			inputs[p] = e.bos
		} else {
			inputs[p] = toks[w.first+p-1-base]
		}
	}
	h, err := e.m.Hidden(inputs, 1, L)
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	var hb []float32
	if e.base != nil {
		if hb, err = e.base.Hidden(inputs, 1, L); err != nil {
			return fmt.Errorf("eval: base model: %w", err)
		}
	}
	C, Cb := e.m.Width(), 0
	if e.base != nil {
		Cb = e.base.Width()
	}
	rows := len(e.results)
	for p0 := w.scoreFrom; p0 < L; p0 += rows {
		n := min(rows, L-p0)
		e.m.HeadLogits(h[p0*C:], n, e.logits)
		if e.base != nil {
			e.base.HeadLogits(hb[p0*Cb:], n, e.blog)
		}
		par.Split(n, e.opt.Threads, func(worker, lo, hi int) {
			for i := lo; i < hi; i++ {
				y := toks[w.first+p0+i-base]
				var bl []float32
				if e.base != nil {
					bl = e.blog[i*V : (i+1)*V]
				}
				r, err := e.scorers[worker].Score(e.logits[i*V:(i+1)*V], bl, y)
				if err != nil && e.errs[worker] == nil {
					e.errs[worker] = fmt.Errorf("eval: the document's token %d: %w", w.first+p0+i, err)
				}
				e.results[i] = r
			}
		})
		for _, err := range e.errs {
			if err != nil {
				clear(e.errs)
				return err
			}
		}
		for i := range n {
			j := w.first + p0 + i - base
			e.acc.add(e.results[i], toks[j], infos[j], p0+i, e.base != nil)
		}
	}
	return nil
}
