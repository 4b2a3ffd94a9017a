package gemm

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// A decoding step is some sixty matrix–vector products of 0.05–2 ms each,
// microseconds apart. Handing each to fresh goroutines costs a thread
// wake-up per product, which on this project's 2-core virtual machine made
// GPT-2's qkv product (7 MB of float32) stream at 29 GB/s against 36 with
// the helpers below. So ForPieces keeps its helper goroutines: one that
// finishes a job spins, yielding, for helperSpin in case another comes,
// and only then sleeps.

// helperSpin is how long an idle helper waits, awake, for the next job.
const helperSpin = 200 * time.Microsecond

// piecesJob is one ForPieces call: its pieces are taken from next in turn.
type piecesJob struct {
	f      func(u int)
	pieces int
	next   atomic.Int64
	done   sync.WaitGroup // one per piece
}

// run takes and runs pieces until none is left.
func (j *piecesJob) run() {
	for u := int(j.next.Add(1) - 1); u < j.pieces; u = int(j.next.Add(1) - 1) {
		j.f(u)
		j.done.Done()
	}
}

// helper is a goroutine kept for ForPieces.
type helper struct {
	work   atomic.Pointer[piecesJob] // the job handed to it; nil while idle
	asleep atomic.Bool
	wake   chan struct{} // a token to look at work again
}

// idle holds the helpers without a job.
var idle struct {
	sync.Mutex
	list []*helper
}

// loop runs the helper's jobs forever: after each it rejoins the idle
// list, spins for the next, then sleeps until handed one.
func (h *helper) loop() {
	for {
		j := h.work.Load()
		j.run()
		h.work.Store(nil)
		idle.Lock()
		idle.list = append(idle.list, h)
		idle.Unlock()
		for t := time.Now(); h.work.Load() == nil && time.Since(t) < helperSpin; {
			runtime.Gosched()
		}
		h.asleep.Store(true)
		for h.work.Load() == nil {
			<-h.wake
		}
		h.asleep.Store(false)
	}
}

// hand gives the helper a job, waking it if it sleeps.
func (h *helper) hand(j *piecesJob) {
	h.work.Store(j)
	if h.asleep.Load() {
		select {
		case h.wake <- struct{}{}:
		default: // a token is already waiting
		}
	}
}

// ForPieces runs f(0), …, f(pieces−1) on parts goroutines, the caller's
// and parts−1 helpers, each taking the next piece from a shared counter
// until none is left, and returns when every piece is done (not waiting
// for a helper that came too late to take one). Sgemv splits its
// products with it; a decoding step splits its attention heads.
func ForPieces(parts, pieces int, f func(u int)) {
	j := &piecesJob{f: f, pieces: pieces}
	j.done.Add(pieces)
	if helpers := min(parts, pieces) - 1; helpers > 0 {
		idle.Lock()
		k := max(0, len(idle.list)-helpers)
		for _, h := range idle.list[k:] {
			h.hand(j)
		}
		woken := len(idle.list) - k
		idle.list = idle.list[:k]
		idle.Unlock()
		for range helpers - woken {
			h := &helper{wake: make(chan struct{}, 1)}
			h.work.Store(j)
			go h.loop()
		}
	}
	j.run()
	j.done.Wait()
}
