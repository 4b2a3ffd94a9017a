package modeldir

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xent-dev/xent/internal/atomicfile"
	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/tokenizer"
)

func tiny(t *testing.T) (*model.Model, *tokenizer.Tokenizer) {
	t.Helper()
	tok, err := tokenizer.Train([][]byte{[]byte(strings.Repeat("the cat sat on the mat. ", 50))},
		tokenizer.TrainOptions{VocabSize: 270, Pattern: tokenizer.GPT2, Special: []string{"<|endoftext|>"}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.New(model.Config{ModelType: model.GPT2, VocabSize: 270, NEmbd: 16, NLayer: 1, NHead: 2, NPositions: 32}, 1)
	if err != nil {
		t.Fatal(err)
	}
	return m, tok
}

func TestSaveLoadRoundTrip(t *testing.T) {
	m, tok := tiny(t)
	dir := filepath.Join(t.TempDir(), "m")
	if err := Save(dir, m, tok, map[string]any{"bos_token_id": 269}); err != nil {
		t.Fatal(err)
	}
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Model.ParamBuffer(), m.ParamBuffer()) {
		t.Fatal("weights differ after a round trip")
	}
	if p.Kind != HuggingFace || p.TrainCounts != nil || p.Tokenizer.VocabSize() != tok.VocabSize() {
		t.Fatalf("kind %q, counts %v, vocabulary %d", p.Kind, p.TrainCounts != nil, p.Tokenizer.VocabSize())
	}
	if bos, err := p.BOS(); err != nil || bos != 269 {
		t.Fatalf("BOS = %d, %v; want config's 269", bos, err)
	}
}

// TestBOSFromTheTokenizer checks that a directory without bos_token_id
// starts documents with the tokenizer's <|endoftext|>.
func TestBOSFromTheTokenizer(t *testing.T) {
	m, tok := tiny(t)
	dir := filepath.Join(t.TempDir(), "m")
	if err := Save(dir, m, tok, nil); err != nil {
		t.Fatal(err)
	}
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	eot, _ := tok.EncodeSpecial([]byte("<|endoftext|>"), []string{"<|endoftext|>"})
	if bos, err := p.BOS(); err != nil || bos != eot[0] {
		t.Fatalf("BOS = %d, %v; want <|endoftext|> = %d", bos, err, eot[0])
	}
}

// TestTokenCountsRoundTrip checks the counts file and its checks.
func TestTokenCountsRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), CountsFile)
	counts := []int64{0, 3, 1 << 40, 7}
	if err := WriteTokenCounts(path, counts); err != nil {
		t.Fatal(err)
	}
	got, err := ReadTokenCounts(path, 4)
	if err != nil || !slices.Equal(got, counts) {
		t.Fatalf("read %v, %v; wrote %v", got, err, counts)
	}
	if _, err := ReadTokenCounts(path, 5); err == nil || !strings.Contains(err.Error(), "want [5]") {
		t.Errorf("a vocabulary of 5: error %v", err)
	}
	WriteTokenCounts(path, []int64{1, -2})
	if _, err := ReadTokenCounts(path, 2); err == nil || !strings.Contains(err.Error(), "negative") {
		t.Errorf("a negative count: error %v", err)
	}
}

func TestLoadBadDirectories(t *testing.T) {
	m, tok := tiny(t)
	good := filepath.Join(t.TempDir(), "m")
	if err := Save(good, m, tok, nil); err != nil {
		t.Fatal(err)
	}
	without := func(file string) string {
		dir := t.TempDir()
		for _, f := range []string{ConfigFile, WeightsFile, TokenizerFile} {
			if f == file {
				continue
			}
			b, _ := os.ReadFile(filepath.Join(good, f))
			os.WriteFile(filepath.Join(dir, f), b, 0o644)
		}
		return dir
	}
	badBOS := without("")
	os.WriteFile(filepath.Join(badBOS, ConfigFile), []byte(`{"model_type":"gpt2","vocab_size":270,"n_embd":16,"n_layer":1,"n_head":2,"n_positions":32,"bos_token_id":9999}`), 0o644)
	for name, tc := range map[string]struct{ dir, want string }{
		"missing":   {filepath.Join(good, "nope"), "not a model directory"},
		"config":    {without(ConfigFile), "not a model directory"},
		"weights":   {without(WeightsFile), WeightsFile},
		"tokenizer": {without(TokenizerFile), "no tokenizer.json"},
		"bos":       {badBOS, "bos_token_id 9999"},
	} {
		if _, err := Load(tc.dir); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to mention %q", name, err, tc.want)
		}
	}
}

// TestLoadTokenizer resolves a model directory to its tokenizer, also when
// an interrupted save left only D.prev, and passes other specs to
// tokenizer.Load.
func TestLoadTokenizer(t *testing.T) {
	m, tok := tiny(t)
	dir := filepath.Join(t.TempDir(), "m")
	if err := Save(dir, m, tok, nil); err != nil {
		t.Fatal(err)
	}
	text := []byte("the cat sat on the mat")
	want := tok.Encode(text)
	got, err := LoadTokenizer(dir)
	if err != nil || !slices.Equal(got.Encode(text), want) {
		t.Fatalf("model directory: %v", err)
	}
	if err := os.Rename(dir, atomicfile.PrevDir(dir)); err != nil {
		t.Fatal(err)
	}
	got, err = LoadTokenizer(dir)
	if err != nil || !slices.Equal(got.Encode(text), want) {
		t.Fatalf("model directory with only D.prev: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, ConfigFile)); err != nil {
		t.Errorf("D.prev was not moved back: %v", err)
	}
	if got, err := LoadTokenizer("cl100k_base"); err != nil || got.VocabSize() != 100277 {
		t.Errorf("built-in name: %v", err)
	}
	if _, err := LoadTokenizer(filepath.Join(dir, "nope")); err == nil || !strings.Contains(err.Error(), "neither a built-in name") {
		t.Errorf("a missing path: error %v", err)
	}
}

func TestSomeNamesKeepsErrorsShort(t *testing.T) {
	if got := someNames([]string{"<a>", "<b>"}, 8); got != `["<a>" "<b>"]` {
		t.Errorf("two names: %s", got)
	}
	many := make([]string, 48896)
	for i := range many {
		many[i] = fmt.Sprintf("<ctrl%d>", i)
	}
	got := someNames(many, 8)
	if !strings.HasSuffix(got, " and 48888 more") || len(got) > 200 {
		t.Errorf("48,896 names became %d bytes: %.120s…", len(got), got)
	}
}
