package model

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/xent-dev/xent/loss"
)

// TestFiniteDifferences checks ForwardBackward's gradient against central
// differences of Forward's loss, on a few entries of every parameter of
// the golden models (whose weights are spread wide enough for every path
// to matter), and on a sequence long enough for the attention's row blocks.
func TestFiniteDifferences(t *testing.T) {
	const eps = 1e-2
	long := tinyConfigs[1].cfg // Llama's weights do not depend on the context length
	long.MaxPositionEmbeddings = 3 * attnRows / 2
	for _, tc := range []struct {
		name, dir string
		cfg       Config
		B, T      int
	}{
		{"gpt2", "gpt2", tinyConfigs[0].cfg, 2, 6},
		{"llama", "llama", tinyConfigs[1].cfg, 2, 6},
		{"llama-tied", "llama-tied", tinyConfigs[2].cfg, 2, 6},
		{"llama-long", "llama", long, 1, long.MaxPositionEmbeddings}, // more than one block of attention rows
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Load(tc.cfg, filepath.Join("testdata", tc.dir, "init.safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			B, T := tc.B, tc.T
			tokens := randomTokens(B*T, tc.cfg.VocabSize, 9)
			targets := nextTokens(tokens, B, T)
			if _, err := m.ForwardBackward(tokens, B, T, targets, loss.Options{}); err != nil {
				t.Fatal(err)
			}
			lossAt := func(i int, v float32) float64 {
				old := m.params[i]
				m.params[i] = v
				l, err := m.Forward(tokens, B, T, targets, loss.Options{})
				m.params[i] = old
				if err != nil {
					t.Fatal(err)
				}
				return l
			}
			for _, s := range m.specs {
				n := s.size()
				for _, j := range []int{0, n / 3, n - 1} {
					i := s.off + j
					p := m.params[i]
					fd := (lossAt(i, p+eps) - lossAt(i, p-eps)) / (2 * eps)
					g := float64(m.grads[i])
					if math.Abs(fd-g) > 2e-3+2e-2*math.Abs(g) {
						t.Errorf("%s[%d]: gradient %.6g, finite difference %.6g", s.name, j, g, fd)
					}
				}
			}
		})
	}
}
