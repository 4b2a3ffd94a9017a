package eval

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"slices"

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
	// Concurrency is how many windows a remote evaluator (NewRemote) has
	// in flight at once; 0 means 1. Results are accumulated in window
	// order whatever the order of the answers, so the report does not
	// depend on it. A local evaluator ignores it.
	Concurrency int
	// Entropy asks for Report.MeanEntropy, the mean entropy of the
	// predictive distribution; it costs another pass over every row
	// (loss.RowScorer.Entropy), so it is off by default. NewRemote refuses
	// it: a server's rows carry no entropy.
	Entropy bool
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

// chunkBytes bounds the logits held at once, rows·V·4 bytes per model,
// unless headRows rows take more.
const chunkBytes = 16 << 20

// headRows is the fewest rows the head multiplies at a time (fewer only
// when the window is shorter): its weight matrix is packed once for every
// chunk of rows, and below a few hundred rows that packing is a large part
// of the product (at 27 rows, what 16 MB holds of Qwen2.5's 151,936
// logits, it cost Qwen2.5-0.5B a fifth of its float32 scoring time). 256
// rows of logits are 155 MB at Qwen's vocabulary, 268 MB at Gemma 3's.
const headRows = 256

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
	remote  Scorer // instead of m (NewRemote)
	vocab   int    // token ids are in [0, vocab)
	tok     *tokenizer.Tokenizer
	bos     int32
	opt     Options
	counts  []int64 // [V] training-token counts, or nil
	acc     accumulator
	planned int64  // targets given to scoring, for Options.MaxTokens
	pending []*job // remote windows in flight, in window order
	failed  error  // the first remote window that failed
	cancel  func() // stops the pending windows' requests
	jobCtx  context.Context

	inputs  []int32 // [ctx]
	rows    rowScorer
	maxHeld int // the most tokens a document held at once
}

// New returns an evaluator of m, whose documents start with the token bos.
// tok turns text into ids; it may be nil if only EvaluateTokens is used.
func New(m *model.Model, tok *tokenizer.Tokenizer, bos int32, opt Options) (*Evaluator, error) {
	opt, err := checkOptions(opt, m.VocabSize(), m.MaxSeqLen(), bos)
	if err != nil {
		return nil, err
	}
	V := m.VocabSize()
	e := &Evaluator{m: m, vocab: V, tok: tok, bos: bos, opt: opt, inputs: make([]int32, opt.Ctx), rows: newRowScorer(V, opt.Ctx, opt.Threads)}
	for i := range e.rows.scorers {
		e.rows.scorers[i].Entropy = opt.Entropy
	}
	e.acc.init(V, opt.Ctx)
	return e, nil
}

// A Scorer scores windows outside this process: a server that returns the
// log-probabilities of a prompt's own tokens (package endpoint).
type Scorer interface {
	// Score scores one window: inputs [L] are what the model reads, and
	// position p predicts targets[p] from inputs[:p+1]. It returns the rows
	// of positions from to L−1, each with NLL, Top and TopProb as
	// loss.RowScorer measures them; the rest of a Row is not read. It is
	// called from several goroutines at once.
	Score(ctx context.Context, inputs, targets []int32, from int) ([]loss.Row, error)
}

// NewRemote returns an evaluator whose windows s scores, up to
// opt.Concurrency at a time, for a model of vocab token ids whose longest
// window is maxCtx. Everything else is as with New: the windowing, the
// accumulation and the report are the same code. SetBase is refused: the
// KL needs the whole distribution, which a server does not return.
func NewRemote(s Scorer, vocab, maxCtx int, tok *tokenizer.Tokenizer, bos int32, opt Options) (*Evaluator, error) {
	if vocab < 1 || maxCtx < 1 {
		return nil, fmt.Errorf("eval: a remote model of %d tokens and context %d", vocab, maxCtx)
	}
	opt, err := checkOptions(opt, vocab, maxCtx, bos)
	if err != nil {
		return nil, err
	}
	if opt.Concurrency < 0 {
		return nil, fmt.Errorf("eval: concurrency %d must be ≥ 0 (0: 1)", opt.Concurrency)
	}
	opt.Concurrency = max(1, opt.Concurrency)
	if opt.Entropy {
		return nil, fmt.Errorf("eval: a remote model's scores carry no entropy")
	}
	e := &Evaluator{remote: s, vocab: vocab, tok: tok, bos: bos, opt: opt, inputs: make([]int32, opt.Ctx)}
	e.acc.init(vocab, opt.Ctx)
	return e, nil
}

// checkOptions validates opt for a vocabulary of V ids and a model context
// of maxCtx, filling in its defaults.
func checkOptions(opt Options, V, maxCtx int, bos int32) (Options, error) {
	if opt.Scheme == "" {
		opt.Scheme = Disjoint
	}
	if _, err := ParseScheme(string(opt.Scheme)); err != nil {
		return opt, err
	}
	if opt.Ctx == 0 {
		opt.Ctx = min(maxCtx, DefaultCtx)
	}
	switch {
	case opt.Ctx < 2 || opt.Ctx > maxCtx:
		return opt, fmt.Errorf("eval: context %d is outside [2, %d], the model's context", opt.Ctx, maxCtx)
	case opt.Scheme == LlamaCpp && opt.Ctx < 4:
		return opt, fmt.Errorf("eval: llamacpp scores the second half of each chunk and needs a context of at least 4, not %d", opt.Ctx)
	}
	if opt.MaxTokens < 0 {
		return opt, fmt.Errorf("eval: token cap %d must be ≥ 0 (0: no cap)", opt.MaxTokens)
	}
	if opt.Scheme == Strided {
		if opt.Stride == 0 {
			opt.Stride = opt.Ctx / 2
		}
		if opt.Stride < 1 || opt.Stride > opt.Ctx {
			return opt, fmt.Errorf("eval: stride %d is outside [1, %d], the context", opt.Stride, opt.Ctx)
		}
	} else {
		opt.Stride = 0
	}
	if opt.Scheme != LlamaCpp {
		opt.AddBOS = false // the other schemes do not read it
	}
	if bos < 0 || int(bos) >= V {
		return opt, fmt.Errorf("eval: BOS token %d is outside the vocabulary [0, %d)", bos, V)
	}
	if opt.Threads <= 0 {
		opt.Threads = runtime.GOMAXPROCS(0)
	}
	return opt, nil
}

// SetTrainCounts gives the training-token counts [V] that bucket the loss
// by frequency; without them the evaluated text's own counts are used.
func (e *Evaluator) SetTrainCounts(counts []int64) error {
	if len(counts) != e.vocab {
		return fmt.Errorf("eval: %d training counts for a vocabulary of %d", len(counts), e.vocab)
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
	if e.remote != nil {
		return errors.New("eval: a base model needs each position's whole distribution, which a server's top-K log-probabilities are not; KL against a base is not computed for a remote model")
	}
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
	e.rows.blog = make([]float32, len(e.rows.logits))
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
		if id < 0 || int(id) >= e.vocab {
			return fmt.Errorf("eval: token %d at position %d is outside the vocabulary [0, %d)", id, i, e.vocab)
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
// With a remote scorer the windows go out as they are cut, and at most
// Options.Concurrency of them stay in flight when run returns (Wait); on
// an error run waits for them all.
func (d *doc) run(ctx context.Context, final bool) error {
	err := d.cut(ctx, final)
	if d.e.remote != nil && err != nil {
		d.e.drain(0) // the windows before the failure stay in the report
	}
	return err
}

func (d *doc) cut(ctx context.Context, final bool) error {
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
			left := int64(e.opt.MaxTokens) - e.planned
			if left <= 0 {
				continue
			}
			if targets > left {
				w.length = w.scoreFrom + int(left) // causal: the first targets score as in the whole window
				targets = left
			}
		}
		e.planned += targets
		var reached int64 // the bytes this window takes the documents' reach over
		for ; d.reached < w.first+w.length; d.reached++ {
			reached += int64(d.infos[d.reached-d.base].bytes)
		}
		if e.remote != nil {
			if err := e.send(ctx, w, d.toks, d.infos, d.base, reached); err != nil {
				return err
			}
			continue
		}
		if err := e.score(w, d.toks, d.infos, d.base); err != nil {
			return err
		}
		e.scored(reached)
	}
	if keep := min(max(0, d.w.keepFrom()-1)-d.base, len(d.toks)); keep > len(d.toks)/2 && keep > 0 {
		d.toks = d.toks[:copy(d.toks, d.toks[keep:])]
		d.infos = d.infos[:copy(d.infos, d.infos[keep:])]
		d.base += keep
	}
	return nil
}

// scored counts a window whose positions were accumulated, and reports
// progress.
func (e *Evaluator) scored(reached int64) {
	e.acc.windows++
	e.acc.reachedBytes += reached
	if e.opt.Progress != nil {
		e.opt.Progress(Progress{Windows: e.acc.windows, Tokens: e.acc.tokens, MeanNLL: mean(e.acc.nll, e.acc.tokens), Bytes: e.acc.reachedBytes})
	}
}

// windowInputs writes w's inputs into dst [≥ w.length] and returns them.
func (e *Evaluator) windowInputs(w window, toks []int32, base int, dst []int32) []int32 {
	inputs := dst[:w.length]
	for p := range w.length {
		if p == 0 && w.bos {
			inputs[p] = e.bos
		} else {
			inputs[p] = toks[w.first+p-1-base]
		}
	}
	return inputs
}

// score runs one window through the model (and the base model) and
// accumulates its scored positions.
func (e *Evaluator) score(w window, toks []int32, infos []tokenInfo, base int) error {
	inputs := e.windowInputs(w, toks, base, e.inputs)
	target := func(_, p int) int32 { return toks[w.first+p-base] }
	err := e.rows.score(e.m, e.base, inputs, 1, w.length, []int{w.scoreFrom}, []int{w.length}, target, e.opt.Threads,
		func(_, p int, r loss.Row, _ []float32) {
			j := w.first + p - base
			e.acc.add(r, toks[j], infos[j], p, e.base != nil)
		})
	if pe := (*positionError)(nil); errors.As(err, &pe) {
		return fmt.Errorf("eval: the document's token %d: %w", w.first+pe.p, pe.err)
	}
	return err
}
