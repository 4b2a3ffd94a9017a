package posttrain

import (
	"strings"
	"unicode"
)

// Pair is a negation preference pair: the original sentence is chosen, the
// same sentence with one polarity flip is rejected. Both follow the same
// prompt (the end of the text before the sentence).
type Pair struct {
	Prompt           string
	Chosen, Rejected string // each starts with the space that separated the sentence from the prompt
	Sentence         int    // index of the sentence in its text, for splitting by sentence
	// Removal says the flip removed a negation ("is not" → "is", "cannot" →
	// "can"), so the rejected side is the shorter; else it inserted one.
	Removal bool
}

// auxiliaries take a "not" after them ("is" → "is not"); "can" becomes
// "cannot".
var auxiliaries = map[string]bool{"is": true, "are": true, "was": true, "were": true, "be": true, "do": true, "does": true,
	"did": true, "will": true, "would": true, "may": true, "might": true, "must": true, "should": true, "could": true,
	"has": true, "have": true, "can": true}

// contractions lose their "n't".
var contractions = map[string]string{"don't": "do", "doesn't": "does", "didn't": "did", "isn't": "is", "aren't": "are",
	"wasn't": "was", "weren't": "were", "can't": "can", "won't": "will", "wouldn't": "would", "couldn't": "could",
	"shouldn't": "should", "hasn't": "has", "haven't": "have", "mustn't": "must"}

// word is a run of letters and apostrophes in a sentence: s[lo:hi].
type word struct{ lo, hi int }

func words(s string) []word {
	var ws []word
	start := -1
	for i, r := range s + " " {
		in := unicode.IsLetter(r) || (r == '\'' && start >= 0)
		switch {
		case in && start < 0:
			start = i
		case !in && start >= 0:
			ws = append(ws, word{start, i})
			start = -1
		}
	}
	return ws
}

// keepCase gives repl the capital of orig's first letter.
func keepCase(orig, repl string) string {
	if orig != "" && unicode.IsUpper(rune(orig[0])) {
		return strings.ToUpper(repl[:1]) + repl[1:]
	}
	return repl
}

// Flips returns every sentence that differs from s by one polarity flip,
// in order of position: a "not" removed ("is not" → "is", "Are not the
// Rays" → "Are the Rays", "brings us not" → "brings us"), "cannot" → "can",
// a contraction undone ("don't" → "do"), or a "not" inserted after an
// auxiliary ("is" → "is not", "can" → "cannot", "do" → "do not"). A
// sentence-initial "Not" is left alone (its removal leaves a lower-case
// start).
func Flips(s string) []string {
	ws := words(s)
	var out []string
	for i, w := range ws {
		text := s[w.lo:w.hi]
		lower := strings.ToLower(text)
		nextIsNot := i+1 < len(ws) && strings.ToLower(s[ws[i+1].lo:ws[i+1].hi]) == "not"
		switch {
		case lower == "not" && i > 0:
			// drop the word and the space before it
			out = append(out, strings.TrimRight(s[:w.lo], " ")+s[w.hi:])
		case lower == "cannot":
			out = append(out, s[:w.lo]+keepCase(text, "can")+s[w.hi:])
		case contractions[lower] != "":
			out = append(out, s[:w.lo]+keepCase(text, contractions[lower])+s[w.hi:])
		case lower == "can" && !nextIsNot:
			out = append(out, s[:w.lo]+keepCase(text, "cannot")+s[w.hi:])
		case auxiliaries[lower] && !nextIsNot:
			out = append(out, s[:w.hi]+" not"+s[w.hi:])
		}
	}
	return out
}

// Sentences splits text into sentences and clauses: runs of text ending in
// . ? ! ; or :, with white space folded to single spaces.
func Sentences(text string) []string {
	flat := strings.Join(strings.Fields(text), " ")
	var out []string
	start := 0
	for i := 0; i < len(flat); i++ {
		if strings.IndexByte(".?!;:", flat[i]) >= 0 && (i+1 == len(flat) || flat[i+1] == ' ') {
			out = append(out, flat[start:i+1])
			start = i + 2
		}
	}
	return out
}

// PairOptions bound the pairs built from a text.
type PairOptions struct {
	MinChars, MaxChars int // sentence length in bytes
	MaxPrompt          int // bytes of preceding text kept as the prompt (cut at a word start)
	MaxFlips           int // pairs per sentence (the first flips in the sentence)
}

// BuildPairs makes negation pairs from every sentence of text whose length
// is within bounds and that has a flip. The first sentence is skipped (a
// text cut out of a longer one may start mid-word), and so are sentences
// with markup ("_Qu._").
func BuildPairs(text string, o PairOptions) []Pair {
	sents := Sentences(text)
	var pairs []Pair
	for i := 1; i < len(sents); i++ {
		s := sents[i]
		if len(s) < o.MinChars || len(s) > o.MaxChars || strings.Contains(s, "_Qu._") {
			continue
		}
		prompt := sents[i-1]
		if len(prompt) > o.MaxPrompt {
			cut := len(prompt) - o.MaxPrompt
			if sp := strings.IndexByte(prompt[cut:], ' '); sp >= 0 {
				prompt = prompt[cut+sp+1:]
			} else {
				prompt = ""
			}
		}
		flips := Flips(s)
		for _, f := range flips[:min(len(flips), o.MaxFlips)] {
			pairs = append(pairs, Pair{Prompt: prompt, Chosen: " " + s, Rejected: " " + f, Sentence: i, Removal: len(f) < len(s)})
		}
	}
	return pairs
}
