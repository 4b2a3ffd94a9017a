package tokenizer

import (
	"slices"
	"testing"
)

// TestLastSafeCut checks that encoding either side of the cut gives the
// ids of the whole text, on every builtin tokenizer.
func TestLastSafeCut(t *testing.T) {
	text := []byte("Hello, world! It's 3.14 — naïve café's \"quoted\" text.\n\nNext paragraph ends here" +
		"光的折射。\n棱镜把光分开\n，颜色不同！\n12\n34 。\n\n第二段\u3000\n空白\n\u3000全角\n's\n's end\n.\n/x\n\r\nend")
	if LastSafeCut([]byte("ééé")) != -1 || LastSafeCut(nil) != -1 {
		t.Fatal("found a cut in text that has none")
	}
	if cjk := "光的折射。\n棱镜"; LastSafeCut([]byte(cjk)) != len("光的折射。\n") {
		t.Fatalf("no cut after the newline of %q", cjk)
	}
	for _, name := range BuiltinNames {
		tok := mustBuiltin(t, name)
		for end := 1; end <= len(text); end++ {
			cut := LastSafeCut(text[:end])
			if cut < 0 {
				continue
			}
			whole := tok.Encode(text[:end])
			parts := append(tok.Encode(text[:cut]), tok.Encode(text[cut:end])...)
			if !slices.Equal(whole, parts) {
				t.Fatalf("%s: cutting %q at %d changes the ids", name, text[:end], cut)
			}
		}
	}
}
