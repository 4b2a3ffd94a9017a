package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xent-dev/xent/format/npy"
	"github.com/xent-dev/xent/internal/kernels"
	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/modeldir"
	"github.com/xent-dev/xent/tokenizer"
)

// runXent runs a fresh root command with args and returns its stdout and
// stderr.
func runXent(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := newRootCmd()
	var out, errb bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SetArgs(args)
	err = cmd.Execute()
	return out.String(), errb.String(), err
}

// decodeJSON parses the single JSON object a command printed.
func decodeJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	if strings.Count(strings.TrimSpace(s), "\n") != 0 {
		t.Fatalf("want one line of JSON, got %q", s)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("output %q is not a JSON object: %v", s, err)
	}
	return m
}

func writeF32(t *testing.T, dir, name string, shape []int, data []float32) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := npy.WriteFloat32File(path, shape, data); err != nil {
		t.Fatal(err)
	}
	return path
}

func writeRaw(t *testing.T, dir, name string, dtype npy.DType, shape []int, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := npy.WriteFile(path, dtype, shape, data); err != nil {
		t.Fatal(err)
	}
	return path
}

func writeInt64(t *testing.T, dir, name string, vals []int64) string {
	b := make([]byte, 8*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(v))
	}
	return writeRaw(t, dir, name, npy.Int64, []int{len(vals)}, b)
}

func writeInt32(t *testing.T, dir, name string, vals []int32) string {
	b := make([]byte, 4*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint32(b[4*i:], uint32(v))
	}
	return writeRaw(t, dir, name, npy.Int32, []int{len(vals)}, b)
}

func writeF16(t *testing.T, dir, name string, shape []int, bits []uint16) string {
	b := make([]byte, 2*len(bits))
	for i, v := range bits {
		binary.LittleEndian.PutUint16(b[2*i:], v)
	}
	return writeRaw(t, dir, name, npy.Float16, shape, b)
}

func writeF64(t *testing.T, dir, name string, shape []int, vals []float64) string {
	b := make([]byte, 8*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(v))
	}
	return writeRaw(t, dir, name, npy.Float64, shape, b)
}

func readF32(t *testing.T, path string) ([]int, []float32) {
	t.Helper()
	a, err := npy.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if a.DType != npy.Float32 {
		t.Fatalf("%s: dtype %s, want float32", path, a.DType)
	}
	data, err := a.Float32s()
	if err != nil {
		t.Fatal(err)
	}
	return a.Shape, data
}

// testInput is a small problem: logits N(0, 2²) [n, v] and targets, with
// row 1 ignored (the default ignore index).
func testInput(n, v int) (logits []float32, targets []int32) {
	r := rand.New(rand.NewPCG(7, 7))
	logits = make([]float32, n*v)
	for i := range logits {
		logits[i] = float32(r.NormFloat64() * 2)
	}
	targets = make([]int32, n)
	for i := range targets {
		targets[i] = int32(r.IntN(v))
	}
	if n > 1 {
		targets[1] = -100
	}
	return logits, targets
}

func toF16(x []float32) []uint16 {
	bits := make([]uint16, len(x))
	for i, v := range x {
		bits[i] = kernels.Float32ToFloat16(v)
	}
	return bits
}

func TestRootHelp(t *testing.T) {
	out, _, err := runXent(t, "help", "loss")
	if err != nil {
		t.Fatal(err)
	}
	for _, flag := range []string{"--logits", "--targets", "--target-probs", "--weights", "--ignore-index",
		"--label-smoothing", "--reduction", "--z-loss", "--softcap", "--grad", "--threads"} {
		if !strings.Contains(out, flag) {
			t.Errorf("help loss does not document %s", flag)
		}
	}
	// Every flag line states its default, the zero ones included.
	_, flags, _ := strings.Cut(out, "\nFlags:\n")
	for line := range strings.Lines(flags) {
		if strings.HasPrefix(strings.TrimSpace(line), "--") && !strings.Contains(line, "default") &&
			!strings.Contains(line, "required") {
			t.Errorf("flag without a default: %q", line)
		}
	}
	if _, _, err := runXent(t, "no-such-command"); err == nil {
		t.Error("an unknown command gave no error")
	}
}

// saveTinyModel trains a 300-token byte-level BPE on text and saves it
// with a random tied Llama of the given width and context, from seed, as
// a model directory; it returns the directory.
func saveTinyModel(t *testing.T, text string, width, positions int, seed uint64) string {
	t.Helper()
	tok, err := tokenizer.Train([][]byte{[]byte(text)}, tokenizer.TrainOptions{VocabSize: 300, Pattern: tokenizer.GPT2, Special: []string{"<|endoftext|>"}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.New(model.Config{ModelType: model.Llama, VocabSize: tok.VocabSize(), HiddenSize: width, IntermediateSize: 2 * width,
		NumHiddenLayers: 1, NumAttentionHeads: 2, RMSNormEps: 1e-5, RopeTheta: 10000, MaxPositionEmbeddings: positions,
		TieWordEmbeddings: true}, seed)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "model")
	if err := modeldir.Save(dir, m, tok, nil); err != nil {
		t.Fatal(err)
	}
	return dir
}
