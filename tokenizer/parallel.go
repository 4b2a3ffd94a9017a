package tokenizer

import (
	"runtime"
	"sync"
	"unicode"
	"unicode/utf8"
)

// EncodeParallel is EncodeSpecial with the work spread over workers
// goroutines (0 means GOMAXPROCS), for large inputs; the ids are identical
// to EncodeSpecial's.
//
// The text is cut into chunks at safe boundaries: after an ASCII letter and
// before an ASCII byte that is neither a letter nor an apostrophe. In all
// three patterns a letter belongs to a word piece that cannot take in such
// a byte, so a piece always ends there, and as each piece depends only on
// the text from its start onwards, the chunks encode independently.
func (t *Tokenizer) EncodeParallel(text []byte, allowed []string, workers int) ([]int32, error) {
	if t.pipe != nil { // no cut is known to be safe: one piece
		return t.pipe.Encode(text, EncodeOptions{Allowed: allowed})
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	segs, err := t.segments(text, allowed)
	if err != nil {
		return nil, err
	}
	chunkSize := max(64<<10, len(text)/(4*workers))
	var work []segment
	for _, s := range segs {
		if s.special >= 0 {
			work = append(work, s)
			continue
		}
		for _, c := range chunks(s.text, chunkSize) {
			work = append(work, segment{c, -1})
		}
	}
	results := make([][]int32, len(work))
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(workers, len(work)) {
		wg.Go(func() {
			for i := range next {
				if work[i].special >= 0 {
					results[i] = []int32{work[i].special}
				} else {
					results[i] = t.encodeOrdinary(work[i].text, make([]int32, 0, len(work[i].text)/3+1))
				}
			}
		})
	}
	for i := range work {
		next <- i
	}
	close(next)
	wg.Wait()
	n := 0
	for _, r := range results {
		n += len(r)
	}
	out := make([]int32, 0, n)
	for _, r := range results {
		out = append(out, r...)
	}
	return out, nil
}

// chunks cuts text into pieces of about size bytes at safe boundaries (see
// EncodeParallel); a stretch with no safe boundary stays whole.
func chunks(text []byte, size int) [][]byte {
	var out [][]byte
	for len(text) > size {
		cut := safeCut(text, size)
		if cut < 0 {
			break
		}
		out = append(out, text[:cut])
		text = text[cut:]
	}
	return append(out, text)
}

// safeCut returns the first safe boundary at or after from, or -1.
func safeCut(text []byte, from int) int {
	for i := max(from, 1); i < len(text); i++ {
		if isSafeCut(text, i) {
			return i
		}
	}
	return -1
}

// isSafeCut says whether i is a safe boundary: after an ASCII letter and
// before an ASCII byte that is neither a letter nor an apostrophe.
func isSafeCut(text []byte, i int) bool {
	b := text[i]
	return b < 0x80 && b != '\'' && !isASCIILetter(b) && isASCIILetter(text[i-1])
}

func isASCIILetter(b byte) bool { return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' }

// LastSafeCut returns the last safe boundary of text, or -1 if it has none:
// encoding text[:cut] and text[cut:] separately gives exactly the ids of
// text, so a stream can be encoded a block at a time. Besides
// EncodeParallel's boundaries (after an ASCII letter), it takes the one
// after a single newline between a non-space character and a letter or
// digit, which text without ASCII letters (Chinese, say) has: in all three
// patterns such a newline ends the piece it is in (alone, or after
// punctuation), and no piece takes a newline in front of a letter or digit.
func LastSafeCut(text []byte) int {
	for i := len(text) - 1; i >= 1; i-- {
		if isSafeCut(text, i) || isNewlineCut(text, i) {
			return i
		}
	}
	return -1
}

// isNewlineCut says whether i follows a newline that lies between a
// non-space character and a letter or digit.
func isNewlineCut(text []byte, i int) bool {
	if i < 2 || text[i-1] != '\n' {
		return false
	}
	before, _ := utf8.DecodeLastRune(text[:i-1])
	after, _ := utf8.DecodeRune(text[i:])
	return before != utf8.RuneError && after != utf8.RuneError && !unicode.IsSpace(before) &&
		(unicode.IsLetter(after) || unicode.IsNumber(after))
}
