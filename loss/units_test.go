package loss

import (
	"math"
	"testing"
)

func TestUnits(t *testing.T) {
	// 10 tokens at ln 4 nats each: perplexity 4; 20 bytes: 40·ln2/20/ln2... = 1 bit per byte.
	tot := Totals{Nats: 10 * math.Log(4), Tokens: 10, Words: 5, Bytes: 20, Chars: 16}
	check := func(name string, got float64, err error, want float64) {
		t.Helper()
		if err != nil || math.Abs(got-want) > 1e-12*want {
			t.Errorf("%s = %v (%v), want %v", name, got, err, want)
		}
	}
	ppl, err := tot.Perplexity()
	check("perplexity", ppl, err, 4)
	wppl, err := tot.WordPerplexity()
	check("word perplexity", wppl, err, 16)
	bpb, err := tot.BitsPerByte()
	check("bits per byte", bpb, err, 1)
	bpc, err := tot.BitsPerCharacter()
	check("bits per character", bpc, err, 20.0/16)
	bppl, err := tot.BytePerplexity()
	check("byte perplexity", bppl, err, 2)
	if _, err := (Totals{Nats: 1}).Perplexity(); err == nil {
		t.Error("perplexity of zero tokens gave no error")
	}
}
