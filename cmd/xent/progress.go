package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// progress reports long work on stderr. On a terminal it draws a bar,
// redrawn in place; otherwise (a log file, nohup, CI) it writes a line every
// few seconds. Both give the count done of the total, the caller's status
// (the loss, say) and an estimate of the time left.
type progress struct {
	w           io.Writer
	name, unit  string // "xent train", "step": the line reads "step 45/600"
	total       int64
	term        bool          // draw a bar
	width       int           // the terminal's columns (0: unknown)
	every       time.Duration // between lines off a terminal
	now         func() time.Time
	mu          sync.Mutex
	start, last time.Time
	first, done int64 // done when it started (a resumed run), and now
	status      string
	drawn       bool // a bar is on the screen's last line
}

// newProgress reports work of total units on w, of which done are done
// already (they do not count towards the rate).
func newProgress(w io.Writer, name, unit string, total, done int64) *progress {
	p := &progress{w: w, name: name, unit: unit, total: total, every: 5 * time.Second, now: time.Now, first: done, done: done}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.term = true
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil {
			p.width = cols
		}
	}
	p.start = p.now()
	return p
}

// Update records done units and the status, and shows them: a bar at most
// ten times a second, a line every few seconds, and always the last unit.
func (p *progress) Update(done int64, status string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done, p.status = done, status
	now := p.now()
	every := p.every
	if p.term {
		every = 100 * time.Millisecond
	}
	if done < p.total && p.last != (time.Time{}) && now.Sub(p.last) < every {
		return
	}
	p.last = now
	if p.term {
		p.draw()
	} else {
		fmt.Fprintf(p.w, "%s: %s\n", p.name, p.line())
	}
}

// Logf writes a line of its own (an evaluation's result), above the bar.
func (p *progress) Logf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
	}
	fmt.Fprintf(p.w, "%s: "+format+"\n", append([]any{p.name}, args...)...)
	if p.drawn {
		p.draw()
	}
}

// Finish ends the bar's line; off a terminal it does nothing (the last
// unit's line is written).
func (p *progress) Finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
}

// line is the count, the status and the time left.
func (p *progress) line() string {
	pct := 100.0
	if p.total > 0 {
		pct = 100 * float64(p.done) / float64(p.total)
	}
	s := fmt.Sprintf("%s %d/%d (%.0f%%)", p.unit, p.done, p.total, pct)
	if p.status != "" {
		s += "  " + p.status
	}
	if eta, ok := p.eta(); ok {
		s += "  ETA " + eta
	}
	return s
}

// eta is the time left at the rate since the start.
func (p *progress) eta() (string, bool) {
	ran := p.done - p.first
	if ran <= 0 || p.done >= p.total {
		return "", false
	}
	left := time.Duration(float64(p.now().Sub(p.start)) / float64(ran) * float64(p.total-p.done))
	return left.Round(time.Second).String(), true
}

// draw redraws the bar on the current line.
func (p *progress) draw() {
	const cells = 20
	filled := cells
	if p.total > 0 {
		filled = int(int64(cells) * min(p.done, p.total) / p.total)
	}
	s := fmt.Sprintf("%s [%s%s] %s", p.name, strings.Repeat("=", filled), strings.Repeat(" ", cells-filled), p.line())
	if p.width > 1 && len([]rune(s)) >= p.width {
		s = string([]rune(s)[:p.width-1]) // a wrapped line cannot be redrawn
	}
	fmt.Fprint(p.w, "\r\033[K"+s)
	p.drawn = true
}
