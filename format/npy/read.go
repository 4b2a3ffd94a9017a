package npy

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
)

const (
	magic = "\x93NUMPY"
	// maxHeaderLen bounds the header we are willing to read. Headers of
	// supported arrays are tiny (NumPy itself refuses more than 10000 bytes
	// by default); the bound only stops absurd declared lengths.
	maxHeaderLen = 1 << 20
	// initialDataBuf is the most Read allocates for data before any of it
	// has actually arrived; the buffer then grows as data does.
	initialDataBuf = 1 << 20
)

// Read decodes one .npy array from r. It reads exactly the bytes of that
// array and nothing after it, so several arrays saved back to back into one
// stream can be read by calling Read repeatedly.
//
// Big-endian data is byte-swapped so that the result is always little-endian.
// Errors name what is wrong: a bad magic string or version, a malformed
// header, an unsupported dtype, Fortran order, or data shorter than the
// shape requires.
func Read(r io.Reader) (*Array, error) {
	a, err := read(r, -1, false)
	if err != nil {
		return nil, fmt.Errorf("npy: %w", err)
	}
	return a, nil
}

// ReadFile reads the .npy file at path. Unlike Read it also requires that
// nothing follows the array's data. Errors name the path.
func ReadFile(path string) (*Array, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("npy: %w", err)
	}
	defer f.Close()
	avail := int64(-1)
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		avail = fi.Size()
	}
	a, err := read(f, avail, true)
	if err != nil {
		return nil, fmt.Errorf("npy: %s: %w", path, err)
	}
	return a, nil
}

// read decodes one array from r. avail is the number of bytes r holds, or
// -1 if unknown. If strictEnd, data after the array is an error.
func read(r io.Reader, avail int64, strictEnd bool) (*Array, error) {
	h, hdrBytes, err := readHeader(r)
	if err != nil {
		return nil, err
	}
	_, need, err := sizes(h.dtype, h.shape)
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	exact := false
	if avail >= 0 {
		have := avail - hdrBytes
		if have < int64(need) {
			return nil, shortErr(have, h, need)
		}
		if strictEnd && have > int64(need) {
			return nil, fmt.Errorf("file has %d bytes of data, shape %v of %s needs only %d",
				have, h.shape, h.descr, need)
		}
		exact = true
	}
	data, err := readData(r, need, exact)
	if err != nil {
		return nil, fmt.Errorf("reading data: %w", err)
	}
	if len(data) < need {
		return nil, shortErr(int64(len(data)), h, need)
	}
	if strictEnd && avail < 0 {
		var b [1]byte
		if m, _ := io.ReadFull(r, b[:]); m > 0 {
			return nil, fmt.Errorf("file has data after the %d bytes that shape %v of %s needs",
				need, h.shape, h.descr)
		}
	}
	if h.bigEndian {
		swapBytes(data, h.dtype.ItemSize())
	}
	return &Array{DType: h.dtype, Shape: h.shape, Data: data}, nil
}

func shortErr(have int64, h *header, need int) error {
	return fmt.Errorf("file has %d bytes of data, shape %v of %s needs %d", have, h.shape, h.descr, need)
}

// readData reads up to n bytes from r. If exact, r is known to hold them
// and the buffer is allocated at once; otherwise it starts small and grows
// as data arrives, so a hostile header cannot force a large allocation.
// A short result (len < n) means r ended early.
func readData(r io.Reader, n int, exact bool) ([]byte, error) {
	c := n
	if !exact && c > initialDataBuf {
		c = initialDataBuf
	}
	buf := make([]byte, c)
	got := 0
	for {
		m, err := io.ReadFull(r, buf[got:])
		got += m
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return buf[:got], nil
		}
		if err != nil {
			return nil, err
		}
		if got == n {
			return buf, nil
		}
		nb := make([]byte, min(2*len(buf), n))
		copy(nb, buf[:got])
		buf = nb
	}
}

func swapBytes(data []byte, size int) {
	if size < 2 {
		return
	}
	for i := 0; i+size <= len(data); i += size {
		e := data[i : i+size]
		for j, k := 0, size-1; j < k; j, k = j+1, k-1 {
			e[j], e[k] = e[k], e[j]
		}
	}
}

// header is a parsed .npy header.
type header struct {
	descr     string // as written in the file, e.g. ">f4"
	dtype     DType  // little-endian form
	bigEndian bool
	shape     []int
}

// readHeader reads the preamble and header dict, returning the parsed header
// and the total number of bytes consumed.
func readHeader(r io.Reader) (*header, int64, error) {
	var pre [10]byte // magic, version, and up to 2 length bytes
	m, err := io.ReadFull(r, pre[:8])
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, 0, fmt.Errorf("reading magic: %w", err)
	}
	got := pre[:m]
	if len(got) == 0 {
		return nil, 0, errors.New("empty input, not a .npy file")
	}
	if cmp := min(len(got), len(magic)); string(got[:cmp]) != magic[:cmp] {
		return nil, 0, fmt.Errorf("not a .npy file: bad magic %q (want %q)", got[:min(len(got), 6)], magic)
	}
	if m < 8 {
		return nil, 0, fmt.Errorf("file is truncated: only %d bytes, too short for the .npy preamble", m)
	}
	major, minor := pre[6], pre[7]
	lenBytes := 4
	switch {
	case minor != 0 || major < 1 || major > 3:
		return nil, 0, fmt.Errorf("unsupported format version %d.%d (want 1.0, 2.0 or 3.0)", major, minor)
	case major == 1:
		lenBytes = 2
	}
	lb := make([]byte, lenBytes)
	if m, err := io.ReadFull(r, lb); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, 0, fmt.Errorf("file is truncated: %d of %d header length bytes present", m, lenBytes)
		}
		return nil, 0, fmt.Errorf("reading header length: %w", err)
	}
	var hlen int64
	if lenBytes == 2 {
		hlen = int64(binary.LittleEndian.Uint16(lb))
	} else {
		hlen = int64(binary.LittleEndian.Uint32(lb))
	}
	if hlen > maxHeaderLen {
		return nil, 0, fmt.Errorf("header length %d is larger than the %d bytes allowed", hlen, maxHeaderLen)
	}
	text, err := io.ReadAll(io.LimitReader(r, hlen))
	if err != nil {
		return nil, 0, fmt.Errorf("reading header: %w", err)
	}
	if int64(len(text)) < hlen {
		return nil, 0, fmt.Errorf("header is truncated: declared %d bytes, file has %d", hlen, len(text))
	}
	h, err := parseHeader(string(text), int(major))
	if err != nil {
		return nil, 0, err
	}
	return h, int64(8+lenBytes) + hlen, nil
}

// parseDescr maps a descr string to a supported DType, reporting whether the
// data is big-endian.
func parseDescr(descr string) (DType, bool, error) {
	if len(descr) < 2 {
		return "", false, fmt.Errorf("unsupported dtype %q", descr)
	}
	order, rest := descr[0], descr[1:]
	var d DType
	switch rest {
	case "f4":
		d = Float32
	case "f2":
		d = Float16
	case "f8":
		d = Float64
	case "i4":
		d = Int32
	case "i8":
		d = Int64
	case "u2":
		d = Uint16
	case "u1":
		d = Uint8
	case "i1":
		d = Int8
	case "b1":
		d = Bool
	default:
		return "", false, fmt.Errorf("unsupported dtype %q", descr)
	}
	if d.ItemSize() == 1 {
		// Byte order is meaningless for one-byte types; NumPy writes '|'.
		switch order {
		case '|', '<', '>':
			return d, false, nil
		}
	} else {
		switch order {
		case '<':
			return d, false, nil
		case '>':
			return d, true, nil
		}
	}
	return "", false, fmt.Errorf("unsupported dtype %q: byte order %q is not one of '<' or '>'", descr, order)
}

// parseHeader parses the header dict, e.g.
//
//	{'descr': '<f4', 'fortran_order': False, 'shape': (3, 5), }
//
// It accepts the three keys in any order, either quote style, arbitrary
// whitespace and trailing commas, and nothing else.
func parseHeader(text string, major int) (*header, error) {
	p := &hparser{s: text, allowL: major <= 2}
	h := &header{}
	var haveDescr, haveFortran, haveShape bool
	fortran := false

	p.skipSpace()
	if !p.eat('{') {
		return nil, p.errorf("expected '{'")
	}
	for {
		p.skipSpace()
		if p.eat('}') {
			break
		}
		keyPos := p.i
		key, err := p.str("key")
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if !p.eat(':') {
			return nil, p.errorf("expected ':' after key '%s'", key)
		}
		p.skipSpace()
		switch key {
		case "descr":
			if haveDescr {
				return nil, p.errorAt(keyPos, "duplicate key 'descr'")
			}
			haveDescr = true
			if p.peek() == '[' {
				return nil, p.errorf("structured dtypes (descr is a list) are not supported")
			}
			if h.descr, err = p.str("'descr' value"); err != nil {
				return nil, err
			}
		case "fortran_order":
			if haveFortran {
				return nil, p.errorAt(keyPos, "duplicate key 'fortran_order'")
			}
			haveFortran = true
			switch {
			case p.word("True"):
				fortran = true
			case p.word("False"):
			default:
				return nil, p.errorf("'fortran_order' must be True or False")
			}
		case "shape":
			if haveShape {
				return nil, p.errorAt(keyPos, "duplicate key 'shape'")
			}
			haveShape = true
			if h.shape, err = p.tuple(); err != nil {
				return nil, err
			}
		default:
			return nil, p.errorAt(keyPos, "unexpected key %q", key)
		}
		p.skipSpace()
		if p.eat('}') {
			break
		}
		if !p.eat(',') {
			return nil, p.errorf("expected ',' or '}' after the value of '%s'", key)
		}
	}
	p.skipSpace()
	if p.i != len(p.s) {
		return nil, p.errorf("unexpected text after the header dict")
	}
	for _, k := range []struct {
		have bool
		name string
	}{{haveDescr, "descr"}, {haveFortran, "fortran_order"}, {haveShape, "shape"}} {
		if !k.have {
			return nil, fmt.Errorf("header: missing '%s' key in %s", k.name, p.snippet())
		}
	}
	var err error
	if h.dtype, h.bigEndian, err = parseDescr(h.descr); err != nil {
		return nil, err
	}
	if fortran {
		return nil, fmt.Errorf("header: fortran_order is True; only C-order arrays are supported (shape %v of %s)",
			h.shape, h.descr)
	}
	return h, nil
}

// hparser is a cursor over header text.
type hparser struct {
	s      string
	i      int
	allowL bool // accept Python 2 long suffixes ("3L") in shapes
}

func (p *hparser) snippet() string {
	s := p.s
	// Drop the padding, which only makes messages longer.
	for len(s) > 0 && isSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	if len(s) > 120 {
		s = s[:120] + "..."
	}
	return strconv.Quote(s)
}

func (p *hparser) errorAt(pos int, format string, args ...any) error {
	return fmt.Errorf("header: %s at byte %d of %s", fmt.Sprintf(format, args...), pos, p.snippet())
}

func (p *hparser) errorf(format string, args ...any) error {
	return p.errorAt(p.i, format, args...)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (p *hparser) skipSpace() {
	for p.i < len(p.s) && isSpace(p.s[p.i]) {
		p.i++
	}
}

func (p *hparser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *hparser) eat(c byte) bool {
	if p.peek() == c {
		p.i++
		return true
	}
	return false
}

// word consumes the identifier w if it appears next as a whole word.
func (p *hparser) word(w string) bool {
	if len(p.s)-p.i < len(w) || p.s[p.i:p.i+len(w)] != w {
		return false
	}
	if j := p.i + len(w); j < len(p.s) {
		c := p.s[j]
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			return false
		}
	}
	p.i += len(w)
	return true
}

// str parses a single- or double-quoted string without escapes.
func (p *hparser) str(what string) (string, error) {
	q := p.peek()
	if q != '\'' && q != '"' {
		return "", p.errorf("expected a quoted string for %s", what)
	}
	start := p.i + 1
	for j := start; j < len(p.s); j++ {
		switch p.s[j] {
		case q:
			p.i = j + 1
			return p.s[start:j], nil
		case '\\':
			return "", p.errorAt(j, "backslash escapes are not supported in the string for %s", what)
		case '\n':
			return "", p.errorf("unterminated string for %s", what)
		}
	}
	return "", p.errorf("unterminated string for %s", what)
}

// tuple parses a Python tuple of non-negative integers: "()", "(5,)",
// "(3, 5)" or "(3, 5,)". A parenthesised lone integer "(5)" is not a tuple.
func (p *hparser) tuple() ([]int, error) {
	if !p.eat('(') {
		return nil, p.errorf("'shape' must be a tuple such as (3, 5)")
	}
	shape := []int{}
	comma := false // whether the last element was followed by a comma
	for {
		p.skipSpace()
		if p.eat(')') {
			if len(shape) == 1 && !comma {
				return nil, p.errorAt(p.i-1, "'shape' (n) is an integer, not a tuple; write (n,)")
			}
			return shape, nil
		}
		if len(shape) > 0 && !comma {
			return nil, p.errorf("expected ',' or ')' in 'shape'")
		}
		start := p.i
		if p.peek() == '-' {
			return nil, p.errorf("negative dimension in 'shape'")
		}
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		if p.i == start {
			return nil, p.errorf("expected a non-negative integer in 'shape'")
		}
		v, err := strconv.ParseInt(p.s[start:p.i], 10, 64)
		if err != nil || v > math.MaxInt {
			return nil, p.errorAt(start, "dimension %s in 'shape' is too large", p.s[start:p.i])
		}
		if p.allowL && (p.peek() == 'L' || p.peek() == 'l') {
			p.i++
		}
		shape = append(shape, int(v))
		p.skipSpace()
		comma = p.eat(',')
	}
}
