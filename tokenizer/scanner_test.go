package tokenizer

import (
	"fmt"
	"slices"
	"testing"
)

// TestScannersMatchRegex runs every hand-written scanner and matcher against the
// general regex engine compiling the same pattern, on every case of the
// parity corpus (its valid strings) and on the six models' goldens' texts:
// the two must cut the same pieces. The general engine is the fallback
// for patterns no scanner implements, and this is what says a scanner may
// stand in for it.
func TestScannersMatchRegex(t *testing.T) {
	g := mustGoldens(t)
	var texts []string
	for i := range g.Cases {
		_, valid := g.text(i)
		texts = append(texts, valid)
	}
	if mg, err := loadModelGoldens(); err == nil {
		texts = append(texts, mg.Texts...)
	}
	patterns := map[string]matcher{}
	for p := range Pattern(len(patternRegexps)) {
		patterns[p.String()] = scanner{p}
	}
	for re, m := range handMatchers {
		patterns[re] = m
	}
	for pattern, sc := range patterns {
		t.Run(pattern[:min(12, len(pattern))], func(t *testing.T) {
			if got, err := newRegex(pattern); err != nil || fmt.Sprintf("%T", got) != fmt.Sprintf("%T", sc) {
				t.Fatalf("pattern %q is not recognised as a hand-written one's: %T, %v", pattern, got, err)
			}
			gen, err := newGeneral(pattern)
			if err != nil {
				t.Fatal(err)
			}
			bad := 0
			for _, text := range texts {
				got, want := sc.matches(text), gen.matches(text)
				if !slices.Equal(got, want) && bad < 5 {
					bad++
					t.Errorf("%q:\nscanner %v\n  regex %v", short([]rune(text)), short(got), short(want))
				}
			}
		})
	}
}
