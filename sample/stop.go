package sample

import "bytes"

// StopText watches generated text for stop strings, as it streams: Add
// returns what can be shown, holding back the end that may still become a
// stop string, and says when one is complete; the text from the stop
// string on is never shown. (OpenAI's and llama.cpp's "stop".)
type StopText struct {
	stops [][]byte
	text  []byte // every byte added
	shown int    // text[:shown] has been returned
	done  bool
}

// NewStopText watches for stops; empty strings are ignored.
func NewStopText(stops []string) *StopText {
	s := &StopText{}
	for _, t := range stops {
		if t != "" {
			s.stops = append(s.stops, []byte(t))
		}
	}
	return s
}

// Add appends b, a token's bytes, and returns the bytes now safe to show
// and whether a stop string is complete; after that Add returns nothing.
func (s *StopText) Add(b []byte) (show []byte, stopped bool) {
	if s.done {
		return nil, true
	}
	s.text = append(s.text, b...)
	end := len(s.text)
	from := max(0, s.shown-s.longest()+1) // a stop string ending in b starts here or later
	for _, t := range s.stops {
		if i := bytes.Index(s.text[from:], t); i >= 0 && from+i < end {
			end = from + i
			s.done = true
		}
	}
	if !s.done {
		end = len(s.text) - s.heldBack()
	}
	show = s.text[s.shown:max(s.shown, end)]
	s.shown = max(s.shown, end)
	return show, s.done
}

// Flush returns what was held back, at the end of a generation that no
// stop string ended.
func (s *StopText) Flush() []byte {
	if s.done {
		return nil
	}
	rest := s.text[s.shown:]
	s.shown = len(s.text)
	return rest
}

// longest is the length of the longest stop string (0 if none).
func (s *StopText) longest() int {
	n := 0
	for _, t := range s.stops {
		n = max(n, len(t))
	}
	return n
}

// heldBack is the length of the longest end of the text that is a proper
// prefix of a stop string.
func (s *StopText) heldBack() int {
	n := 0
	for _, t := range s.stops {
		for k := min(len(t)-1, len(s.text)); k > n; k-- {
			if bytes.HasSuffix(s.text, t[:k]) {
				n = k
				break
			}
		}
	}
	return n
}
