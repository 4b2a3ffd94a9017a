package modeldir

import (
	"fmt"

	"github.com/xent-dev/xent/format/npy"
)

// CountsFile is the model-directory file holding how often each token id occurs
// in the training text: int64 [V], NumPy format. Evaluation buckets the loss
// by these counts (common tokens are learned better than rare ones).
const CountsFile = "token_counts.npy"

// WriteTokenCounts writes counts [V] to path atomically.
func WriteTokenCounts(path string, counts []int64) error {
	b := make([]byte, 8*len(counts))
	for i, c := range counts {
		for k := range 8 {
			b[8*i+k] = byte(uint64(c) >> (8 * k))
		}
	}
	return npy.WriteFile(path, npy.Int64, []int{len(counts)}, b)
}

// ReadTokenCounts reads a counts file written by WriteTokenCounts and checks
// that it holds V non-negative counts.
func ReadTokenCounts(path string, V int) ([]int64, error) {
	a, err := npy.ReadFile(path)
	if err != nil {
		return nil, err
	}
	counts, err := a.Int64s()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(a.Shape) != 1 || len(counts) != V {
		return nil, fmt.Errorf("%s: shape %v, want [%d] (the vocabulary)", path, a.Shape, V)
	}
	for i, c := range counts {
		if c < 0 {
			return nil, fmt.Errorf("%s: count %d of token %d is negative", path, c, i)
		}
	}
	return counts, nil
}
