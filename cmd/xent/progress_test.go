package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// fakeClock advances by step at every reading.
func fakeClock(step time.Duration) func() time.Time {
	t := time.Unix(0, 0)
	return func() time.Time { t = t.Add(step); return t }
}

// The bar ends at 100% with the exact count (it stopped at 99% and
// counted one step short).
func TestProgressBarReachesTheEnd(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, "xent train", "step", 7, 0)
	p.term, p.now = true, fakeClock(time.Millisecond) // every update within the redraw interval
	for i := int64(1); i <= 7; i++ {
		p.Update(i, "loss 1.0")
	}
	p.Finish()
	out := buf.String()
	last := out[strings.LastIndex(out, "\r")+1:]
	if !strings.Contains(last, "[====================] step 7/7 (100%)") || !strings.HasSuffix(last, "\n") {
		t.Errorf("the last frame is %q; want the full bar at 7/7 (100%%) and a newline", last)
	}
	if strings.Count(out, "\r") > 3 {
		t.Errorf("%d frames for 7 updates within 100 ms: not throttled", strings.Count(out, "\r"))
	}
}

// Off a terminal, a line every few seconds, with the status and the time
// left, and always the last one.
func TestProgressLinesOffTerminal(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, "xent train", "step", 100, 40) // resumed at 40
	p.now = fakeClock(time.Second)                        // each step takes 2 readings: 2 s
	for i := int64(41); i <= 100; i++ {
		p.Update(i, "loss 2.5")
	}
	p.Finish()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) < 10 || len(lines) > 40 {
		t.Fatalf("%d lines for 60 steps of 2 s, one every 5 s; want about 24:\n%s", len(lines), buf.String())
	}
	if want := "xent train: step 41/100 (41%)  loss 2.5  ETA "; !strings.HasPrefix(lines[0], want) {
		t.Errorf("first line %q; want it to start %q", lines[0], want)
	}
	if want := "xent train: step 100/100 (100%)  loss 2.5"; lines[len(lines)-1] != want {
		t.Errorf("last line %q, want %q", lines[len(lines)-1], want)
	}
	if strings.Contains(buf.String(), "\r") {
		t.Error("carriage returns in a log")
	}
}
