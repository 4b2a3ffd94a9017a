package sample

import (
	"strings"
	"testing"
)

// TestStopText feeds text a piece at a time and checks what is shown: all
// of it without a stop string, everything before the first stop string
// with one (however the pieces cut it), and nothing held back for longer
// than a stop string could still complete.
func TestStopText(t *testing.T) {
	for _, tc := range []struct {
		stops  []string
		pieces []string
		show   string // shown by Add, before the stop
		flush  string
		stop   bool
	}{
		{nil, []string{"a", "b"}, "ab", "", false},
		{[]string{"END"}, []string{"the ", "E", "N", "D", " more"}, "the ", "", true},
		{[]string{"END"}, []string{"the E", "NDING"}, "the ", "", true},
		{[]string{"END"}, []string{"the EN", "d"}, "the ENd", "", false},
		{[]string{"END"}, []string{"EN"}, "", "EN", false},
		{[]string{"\n\n", "###"}, []string{"x\n", "#", "##", "\n\n"}, "x\n", "", true},
		{[]string{"\n\n", "###"}, []string{"x\n#", "\n\n"}, "x\n#", "", true},
		{[]string{"ab", "b"}, []string{"a", "b"}, "", "", true},
		{[]string{""}, []string{"a"}, "a", "", false},
	} {
		s := NewStopText(tc.stops)
		var shown strings.Builder
		stopped := false
		for _, p := range tc.pieces {
			b, st := s.Add([]byte(p))
			shown.Write(b)
			if st {
				stopped = true
				break
			}
		}
		flush := string(s.Flush())
		if shown.String() != tc.show || flush != tc.flush || stopped != tc.stop {
			t.Errorf("stops %q, pieces %q: shown %q, flushed %q, stopped %v; want %q, %q, %v",
				tc.stops, tc.pieces, shown.String(), flush, stopped, tc.show, tc.flush, tc.stop)
		}
	}
}
