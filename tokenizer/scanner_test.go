package tokenizer

import (
	"slices"
	"testing"
)

// TestScannersMatchRegex runs every hand-written scanner against the
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
	for p := range Pattern(len(patternRegexps)) {
		t.Run(p.String()[:12], func(t *testing.T) {
			sc, err := newRegex(p.String())
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := sc.(scanner); !ok {
				t.Fatalf("pattern %d is not recognised as a scanner's", p)
			}
			gen, err := newGeneral(p.String())
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
