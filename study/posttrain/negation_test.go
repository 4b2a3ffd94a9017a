package posttrain

import (
	"slices"
	"strings"
	"testing"
)

func TestFlips(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"Are not the Rays of Light very small Bodies?", []string{"Are the Rays of Light very small Bodies?"}},
		{"This Reflexion cannot be ascribed to it.", []string{"This Reflexion can be ascribed to it.", "This Reflexion cannot be not ascribed to it."}},
		{"And this Rule is true by Experience.", []string{"And this Rule is not true by Experience."}},
		{"Light can pass; it does so.", []string{"Light cannot pass; it does so.", "Light can pass; it does not so."}},
		{"They don't bend.", []string{"They do bend."}},
		{"Is it so?", []string{"Is not it so?"}},
		{"Not only light.", nil},
		{"The Rays were perform'd.", []string{"The Rays were not perform'd."}},
	}
	for _, c := range cases {
		if got := Flips(c.in); !slices.Equal(got, c.want) {
			t.Errorf("Flips(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestSentences(t *testing.T) {
	got := Sentences("rom the Will? Are not\nthe Rays small;  and this is true: yes. End")
	want := []string{"rom the Will?", "Are not the Rays small;", "and this is true:", "yes."}
	if !slices.Equal(got, want) {
		t.Errorf("Sentences = %q, want %q", got, want)
	}
}

func TestBuildPairs(t *testing.T) {
	text := "ignored start. The Ray is bent. Bodies are not Light; and this is long enough to count as a clause."
	pairs := BuildPairs(text, PairOptions{MinChars: 10, MaxChars: 200, MaxPrompt: 12, MaxFlips: 2})
	if len(pairs) != 3 {
		t.Fatalf("%d pairs: %+v", len(pairs), pairs)
	}
	p := pairs[0]
	if p.Prompt != "start." || p.Chosen != " The Ray is bent." || p.Rejected != " The Ray is not bent." || p.Sentence != 1 {
		t.Errorf("first pair %+v", p)
	}
	for _, p := range pairs {
		if p.Chosen == p.Rejected || !strings.HasPrefix(p.Rejected, " ") {
			t.Errorf("pair %+v", p)
		}
	}
}
