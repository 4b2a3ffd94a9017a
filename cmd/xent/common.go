package main

import (
	"encoding/json"
	"math"
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
