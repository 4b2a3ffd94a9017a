package bench

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/xent-dev/xent/loss"
)

func TestTime(t *testing.T) {
	calls, resets := 0, 0
	s, err := Time(4, 2, func() error { resets++; return nil }, func() error {
		calls++
		time.Sleep(time.Duration(calls) * time.Millisecond) // the timed calls take 3, 4, 5, 6 ms
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls != 6 || resets != 6 {
		t.Fatalf("%d calls and %d resets; want 2 warm-ups and 4 timed calls, each after a reset", calls, resets)
	}
	// Sleeps last at least as asked: the fastest timed call is the third.
	if !(s.Min >= 0.003 && s.Min <= s.Median && s.Median <= s.Max && s.Max >= 0.006) {
		t.Fatalf("stats %+v", s)
	}
	r := s.PerSecond(10)
	if r.Min != 10/s.Max || r.Median != 10/s.Median || r.Max != 10/s.Min {
		t.Fatalf("rate %+v of %+v", r, s)
	}
	m := rate("x", "u", s, 10)
	if m.Value != r.Median || m.Min != r.Min || m.Max != r.Max || m.Name != "x" || m.Unit != "u" {
		t.Fatalf("measurement %+v", m)
	}

	stop := errors.New("stop")
	n := 0
	if _, err := Time(3, 1, nil, func() error { n++; return map[bool]error{true: stop}[n == 2] }); err != stop || n != 2 {
		t.Fatalf("error %v after %d calls; want stop after 2", err, n)
	}
	if _, err := Time(3, 0, func() error { return stop }, func() error { return nil }); err != stop {
		t.Fatalf("reset's error: %v", err)
	}
	if _, err := Time(0, 0, nil, func() error { return nil }); err == nil {
		t.Fatal("zero iterations accepted")
	}
}

// TestCrossEntropy: the same seed gives the same loss, another seed
// another, near log(V) + 2 for logits N(0, 2²); bad shapes are errors.
func TestCrossEntropy(t *testing.T) {
	spec := CrossEntropySpec{N: 8, V: 100, DType: loss.BFloat16, Seed: 5}
	a, err := CrossEntropy(Config{Iters: 2}, spec)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := CrossEntropy(Config{Iters: 1}, spec)
	spec.Seed = 6
	c, _ := CrossEntropy(Config{Iters: 1}, spec)
	if a.Loss != b.Loss || a.Loss == c.Loss || a.Loss < math.Log(100) || a.Loss > math.Log(100)+4 {
		t.Errorf("losses %v, %v (same seed), %v (another)", a.Loss, b.Loss, c.Loss)
	}
	if a.Bytes != 8*100*4 || !(a.Seconds.Min > 0 && a.Seconds.Min <= a.Seconds.Max) {
		t.Errorf("result %+v", a)
	}
	for _, c := range []struct {
		spec CrossEntropySpec
		want string
	}{
		{CrossEntropySpec{N: 0, V: 3}, "0×3 logits"},
		{CrossEntropySpec{N: math.MaxInt / 2, V: 3}, "too many"},
		{CrossEntropySpec{N: 2, V: 3, LabelSmoothing: 2}, "label smoothing"},
	} {
		if _, err := CrossEntropy(Config{Iters: 1}, c.spec); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.spec, err, c.want)
		}
	}
}
