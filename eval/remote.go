package eval

import (
	"context"
	"fmt"

	"github.com/xent-dev/xent/loss"
)

// job is one window sent to a remote scorer: what it needs to be
// accumulated when its answer comes, copied out of the document, which
// may drop those tokens before then.
type job struct {
	done    chan struct{}
	rows    []loss.Row
	err     error
	targets []int32     // [L]
	infos   []tokenInfo // [L − from]
	from    int
	reached int64
}

// send starts scoring window w remotely, first waiting for the oldest
// window in flight when Options.Concurrency are.
func (e *Evaluator) send(ctx context.Context, w window, toks []int32, infos []tokenInfo, base int, reached int64) error {
	if err := e.drain(e.opt.Concurrency - 1); err != nil {
		return err
	}
	if e.failed != nil {
		return e.failed // no window after a failed one: the report has no gap
	}
	if e.jobCtx == nil {
		e.jobCtx, e.cancel = context.WithCancel(ctx)
	}
	lo := w.first - base
	j := &job{done: make(chan struct{}, 1), from: w.scoreFrom, reached: reached,
		targets: append([]int32(nil), toks[lo:lo+w.length]...),
		infos:   append([]tokenInfo(nil), infos[lo+w.scoreFrom:lo+w.length]...)}
	inputs := e.windowInputs(w, toks, base, make([]int32, w.length))
	e.pending = append(e.pending, j)
	go func(ctx context.Context) {
		defer func() { j.done <- struct{}{} }() // (the package has a func close)
		j.rows, j.err = e.remote.Score(ctx, inputs, j.targets, j.from)
		if j.err == nil && len(j.rows) != len(j.targets)-j.from {
			j.err = fmt.Errorf("eval: the scorer returned %d rows for %d positions", len(j.rows), len(j.targets)-j.from)
		}
	}(e.jobCtx)
	return nil
}

// Wait waits for a remote evaluator's windows in flight and accumulates
// them, returning the first error among them. Document returns with up
// to Options.Concurrency windows still in flight, so that the next
// document's windows go out meanwhile; Report waits too, so calling Wait
// first is needed only to learn of an error. A local evaluator has none.
func (e *Evaluator) Wait() error {
	if e.remote == nil {
		return nil
	}
	if err := e.drain(0); err != nil && e.failed == nil {
		e.failed = err
	}
	return e.failed
}

// drain accumulates the windows in flight, oldest first, until at most
// keep are. After an error it waits for the rest and accumulates none of
// them: the report holds every window before the first that failed, in
// order, and nothing after it.
func (e *Evaluator) drain(keep int) error {
	var first error
	for len(e.pending) > keep || first != nil && len(e.pending) > 0 {
		j := e.pending[0]
		e.pending = e.pending[1:]
		<-j.done
		if first != nil {
			continue
		}
		if j.err != nil {
			first = j.err
			if e.failed == nil {
				e.failed = first
			}
			e.cancel()
			continue
		}
		for i, r := range j.rows {
			if r.Top < 0 || r.Top >= int32(e.vocab) {
				r.Top = -1 // a top-1 outside the vocabulary never equals a target
			}
			e.acc.add(r, j.targets[j.from+i], j.infos[i], j.from+i, false)
		}
		e.scored(j.reached)
	}
	if len(e.pending) == 0 && e.cancel != nil {
		e.cancel()
		e.jobCtx, e.cancel = nil, nil
	}
	return first
}
