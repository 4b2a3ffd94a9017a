package eval

import "fmt"

// Scheme is how a document longer than the context is cut into windows.
// The numbers depend on it, so every report names it with ctx and stride.
type Scheme string

const (
	// Disjoint is lm-evaluation-harness's rolling log-likelihood
	// (get_rolling_token_windows with context_len 1, then
	// make_disjoint_window): the targets are cut into consecutive runs of
	// ctx, each scored once, conditioned on the ctx tokens before its last
	// target inside its window; the document's first token is conditioned on
	// BOS alone.
	Disjoint Scheme = "disjoint"
	// Strided is the Hugging Face guide "Perplexity of fixed-length models":
	// windows of ctx tokens start every stride tokens, and each scores only
	// the targets past the previous window's end. Position 0 of a window is
	// never a target, so the document's first token is not scored; no BOS.
	Strided Scheme = "strided"
	// LlamaCpp is llama.cpp's perplexity tool (tools/perplexity/perplexity.cpp,
	// perplexity(), read at commit 050fc7f3): the text is tokenized as
	// llama.cpp does, with BOS before it when the vocabulary adds one
	// (Options.AddBOS: Llama 2 and 3, Mistral, Gemma, Phi-3; not Qwen,
	// GPT-2 or SmolLM2); that stream is cut into floor(n/ctx) chunks of ctx
	// tokens (a partial last chunk is dropped); with AddBOS each chunk's
	// first token is replaced by BOS for the forward pass, without it the
	// chunk is left as it is; and the targets of logits ctx/2 to ctx−2, the
	// second half of the chunk, are scored.
	LlamaCpp Scheme = "llamacpp"
)

// ParseScheme reads a scheme's name.
func ParseScheme(s string) (Scheme, error) {
	switch sc := Scheme(s); sc {
	case Disjoint, Strided, LlamaCpp:
		return sc, nil
	}
	return "", fmt.Errorf("eval: unknown windowing scheme %q (want disjoint, strided or llamacpp)", s)
}

// window is one forward pass over a document's tokens t: its targets are
// t[first : first+length], position p's input is t[first+p−1], except that
// with bos position 0's input is the BOS token, and the targets at
// positions ≥ scoreFrom are scored.
type window struct {
	first, length, scoreFrom int
	bos                      bool
}

// windower cuts one document into windows as its tokens arrive.
type windower interface {
	// next returns the next window, given that the document's first n tokens
	// are known and final says whether that is all of it; false means it
	// needs more tokens or, when final, that the document is done.
	next(n int, final bool) (window, bool)
	// keepFrom is the first token any later window reads.
	keepFrom() int
}

// newWindower returns s's windower; addBOS is LlamaCpp's Options.AddBOS.
func newWindower(s Scheme, ctx, stride int, addBOS bool) windower {
	switch s {
	case Strided:
		return &strided{ctx: ctx, stride: stride}
	case LlamaCpp:
		return &llamaCpp{ctx: ctx, addBOS: addBOS}
	}
	return &disjoint{ctx: ctx}
}

type disjoint struct{ ctx, scored int }

func (d *disjoint) next(n int, final bool) (window, bool) {
	end := d.scored + d.ctx
	if end > n {
		if !final {
			return window{}, false
		}
		end = n
	}
	if end <= d.scored {
		return window{}, false
	}
	lo := max(0, end-d.ctx)
	w := window{first: lo, length: end - lo, scoreFrom: d.scored - lo, bos: lo == 0}
	d.scored = end
	return w, true
}

func (d *disjoint) keepFrom() int { return max(0, d.scored-d.ctx) }

type strided struct {
	ctx, stride    int
	begin, prevEnd int
}

func (s *strided) next(n int, final bool) (window, bool) {
	for {
		if s.prevEnd > 0 && s.prevEnd >= n && final || s.begin >= n && final {
			return window{}, false // the guide stops at the window that reaches the end
		}
		end := s.begin + s.ctx
		if end > n {
			if !final {
				return window{}, false
			}
			end = n
		}
		first := s.begin + 1
		w := window{first: first, length: end - first, scoreFrom: max(0, s.prevEnd-first)}
		s.begin += s.stride
		s.prevEnd = end
		if w.length > 0 {
			return w, true
		}
	}
}

func (s *strided) keepFrom() int { return s.begin }

// llamaCpp cuts the stream llama.cpp scores, the document with BOS before
// it when addBOS: stream index i is the document's token i − shift.
type llamaCpp struct {
	ctx, chunk int
	addBOS     bool
}

// shift is 1 when the stream starts with the BOS llama.cpp's tokenizer
// adds, else 0.
func (l *llamaCpp) shift() int {
	if l.addBOS {
		return 1
	}
	return 0
}

func (l *llamaCpp) next(n int, final bool) (window, bool) {
	start := l.chunk * l.ctx // in the stream, which holds n + shift tokens
	if start+l.ctx > n+l.shift() {
		return window{}, false
	}
	l.chunk++
	// Position p reads stream[start+p] (BOS at p = 0 with addBOS) and
	// predicts stream[start+p+1], the document's token start+p+1−shift.
	return window{first: start + 1 - l.shift(), length: l.ctx - 1, scoreFrom: l.ctx / 2, bos: l.addBOS}, true
}

func (l *llamaCpp) keepFrom() int { return max(0, l.chunk*l.ctx-l.shift()) }
