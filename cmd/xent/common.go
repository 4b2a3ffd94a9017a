package main

import (
	"encoding/json"
	"io"
	"math"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// jsonFloat is a float64 that JSON-encodes the non-finite values JSON has
// no number for as the strings "inf", "-inf" and "nan", the convention of
// the loss goldens (loss/testdata/cross_entropy.json).
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	x := float64(f)
	switch {
	case math.IsInf(x, 1):
		return []byte(`"inf"`), nil
	case math.IsInf(x, -1):
		return []byte(`"-inf"`), nil
	case math.IsNaN(x):
		return []byte(`"nan"`), nil
	}
	return json.Marshal(x)
}

// jsonFloats converts a slice; the result is never nil, so an empty slice
// encodes as [] rather than null.
func jsonFloats(xs []float64) []jsonFloat {
	out := make([]jsonFloat, len(xs))
	for i, x := range xs {
		out[i] = jsonFloat(x)
	}
	return out
}

// newProgressBar returns a progress bar of max steps (or bytes) on w,
// drawn only when w is a terminal: it redraws in place there, and would
// only clutter a pipe or a log.
func newProgressBar(w io.Writer, max int64, description string, bytes bool) *progressbar.ProgressBar {
	isTerm := false
	if f, ok := w.(*os.File); ok {
		isTerm = term.IsTerminal(int(f.Fd()))
	}
	opts := []progressbar.Option{progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(description),
		progressbar.OptionSetVisibility(isTerm), progressbar.OptionShowCount(), progressbar.OptionSetPredictTime(true),
		progressbar.OptionShowElapsedTimeOnFinish(), progressbar.OptionThrottle(200 * time.Millisecond),
		progressbar.OptionClearOnFinish()}
	if bytes {
		opts = append(opts, progressbar.OptionShowBytes(true))
	}
	return progressbar.NewOptions64(max, opts...)
}
