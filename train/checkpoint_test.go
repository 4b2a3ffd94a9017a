package train

import (
	"encoding/base64"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xent-dev/xent/data"
	"github.com/xent-dev/xent/format/safetensors"
	"github.com/xent-dev/xent/modeldir"
)

// savedCheckpoint trains s for 3 steps and saves a checkpoint; it returns
// its directory and the corpus it trained on.
func savedCheckpoint(t *testing.T, s Settings) (string, data.Source) {
	t.Helper()
	tok, ids, _ := tinySetup(t)
	tr, err := NewTrainer(tinyModel(t, tok.VocabSize(), s.Seed), ids, s)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := tr.Next(); err != nil {
			t.Fatal(err)
		}
	}
	dir := filepath.Join(t.TempDir(), "ckpt")
	if err := SaveCheckpoint(dir, Checkpoint{Trainer: tr, Tokenizer: tok}); err != nil {
		t.Fatal(err)
	}
	return dir, tinySource(t)
}

// copyDir copies a checkpoint so that each case damages its own.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "ckpt")
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestStateIsValidated is the defect where state.json's "step": -5 resumed
// at step −5 and 99999999999 "trained" in no time: every field of the
// training state is checked on load, and the error names the file and
// the field.
func TestStateIsValidated(t *testing.T) {
	_, _, s := tinySetup(t)
	s.ScheduledSampling, s.SSMin = SSLinear, 0.7
	good, text := savedCheckpoint(t, s)
	pcg, _ := rand.NewPCG(1, 2).MarshalBinary()
	state := func(js string) func(string) {
		return func(dir string) { os.WriteFile(filepath.Join(dir, stateFile), []byte(js), 0o644) }
	}
	b64 := func(b []byte) string {
		return `"` + base64.StdEncoding.EncodeToString(b) + `"`
	}
	okState := func(step string) string {
		return `{"step": ` + step + `, "batches": ` + b64(pcg) + `, "ss_draws": ` + b64(pcg) + `}`
	}
	optimizer := func(step string, m, v []float32) func(string) {
		return func(dir string) {
			safetensors.WriteFile(filepath.Join(dir, optimizerFile), []safetensors.Tensor{
				safetensors.FromFloat32("exp_avg", []int{len(m)}, m),
				safetensors.FromFloat32("exp_avg_sq", []int{len(v)}, v),
			}, map[string]string{"step": step})
		}
	}
	c, err := LoadCheckpoint(good, text, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := len(c.Trainer.Opt.M)
	zeros := make([]float32, n)
	withValue := func(i int, v float32) []float32 { x := make([]float32, n); x[i] = v; return x }
	for _, tc := range []struct {
		name   string
		damage func(string)
		steps  int
		want   string
	}{
		{"negative step", state(okState("-5")), 0, "state.json: step -5 is negative"},
		{"step past the run", state(okState("99999999999")), 0, "state.json: step 99999999999 is past the run's 6 steps"},
		{"step past the steps asked", func(string) {}, 2, "the checkpoint is at step 3, past the 2 steps asked for"},
		{"no step", state(`{"batches": ` + b64(pcg) + `}`), 0, "state.json has no step"},
		{"fractional step", state(okState("2.5")), 0, "state.json: json: cannot unmarshal number 2.5"},
		{"bad batches", state(`{"step": 3, "batches": "AAAA", "ss_draws": ` + b64(pcg) + `}`), 0, "state.json: batches is not a random generator's state"},
		{"no batches", state(`{"step": 3, "ss_draws": ` + b64(pcg) + `}`), 0, "batches is not a random generator's state"},
		{"no ss_draws", state(`{"step": 3, "batches": ` + b64(pcg) + `}`), 0, "ss_draws is not a random generator's state"},
		{"unknown field", state(`{"step": 3, "stpe": 4}`), 0, `state.json: json: unknown field "stpe"`},
		{"two objects", state(okState("3") + okState("3")), 0, "state.json: data after the JSON object"},
		{"optimizer step", optimizer("4", zeros, zeros), 0, `optimizer.safetensors: step "4" in the metadata, and state.json says 3`},
		{"optimizer length", optimizer("3", zeros[1:], zeros[1:]), 0, "tensor exp_avg has shape"},
		{"NaN moment", optimizer("3", withValue(7, float32(math.NaN())), zeros), 0, "tensor exp_avg holds NaN at 7"},
		{"negative second moment", optimizer("3", zeros, withValue(2, -1)), 0, "tensor exp_avg_sq holds -1 at 2"},
		{"infinite second moment", optimizer("3", zeros, withValue(0, float32(math.Inf(1)))), 0, "tensor exp_avg_sq holds +Inf at 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyDir(t, good)
			tc.damage(dir)
			_, err := LoadCheckpoint(dir, text, tc.steps)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestDamagedCheckpointFiles is the fault probe: an empty, a truncated and
// a garbled copy of each file a checkpoint loads from gives an error that
// names the file, never a panic or a loaded checkpoint.
func TestDamagedCheckpointFiles(t *testing.T) {
	_, _, s := tinySetup(t)
	good, text := savedCheckpoint(t, s)
	for _, file := range []string{modeldir.ConfigFile, modeldir.WeightsFile, modeldir.TokenizerFile, modeldir.CountsFile,
		optimizerFile, stateFile, metricsFile} {
		orig, err := os.ReadFile(filepath.Join(good, file))
		if err != nil {
			t.Fatal(err)
		}
		if file == metricsFile {
			orig = []byte(`{"step": 1, "loss": 5.5}` + "\n" + `{"step": 2, "loss": 5.4}` + "\n")
		}
		garbage := make([]byte, len(orig))
		rng := rand.New(rand.NewPCG(uint64(len(file)), 7))
		for i := range garbage {
			garbage[i] = byte(rng.IntN(256))
		}
		for damage, content := range map[string][]byte{"empty": {}, "truncated": orig[:len(orig)*2/3], "garbage": garbage} {
			if file == metricsFile && damage == "empty" {
				continue // no metrics yet is a valid checkpoint
			}
			t.Run(file+"/"+damage, func(t *testing.T) {
				dir := copyDir(t, good)
				if err := os.WriteFile(filepath.Join(dir, file), content, 0o644); err != nil {
					t.Fatal(err)
				}
				_, err := LoadCheckpoint(dir, text, 0)
				if err == nil || !strings.Contains(err.Error(), file) {
					t.Errorf("error %v, want one naming %s", err, file)
				}
			})
		}
	}
}
