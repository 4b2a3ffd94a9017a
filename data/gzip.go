package data

import (
	"bytes"
	"compress/gzip"
	"fmt"
)

// GzipBitsPerByte is the size of text compressed by gzip -9, in bits per
// byte of text: the classical compressor a language model should beat.
func GzipBitsPerByte(text []byte) (float64, error) {
	if len(text) == 0 {
		return 0, fmt.Errorf("data: no text to compress")
	}
	var buf bytes.Buffer
	w, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return 0, err
	}
	if _, err := w.Write(text); err != nil {
		return 0, err
	}
	if err := w.Close(); err != nil {
		return 0, err
	}
	return 8 * float64(buf.Len()) / float64(len(text)), nil
}
