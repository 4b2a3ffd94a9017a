package train

import (
	"fmt"

	"github.com/xent-dev/xent/model"
)

// DecayRanges lists where in the model's flat parameter buffer weight decay
// applies: every matrix (two or more dimensions: projections and
// embeddings), never the norms' gains or the biases, as GPT-2 and Llama
// training do.
func DecayRanges(m *model.Model) ([]Range, error) {
	buf := m.ParamBuffer()
	var out []Range
	off := 0
	for _, t := range m.Params() {
		if len(t.Data) > 0 && &t.Data[0] != &buf[off] {
			return nil, fmt.Errorf("train: parameter %s is not at offset %d of the flat buffer", t.Name, off)
		}
		if len(t.Shape) >= 2 {
			if k := len(out) - 1; k >= 0 && out[k].Hi == off {
				out[k].Hi += len(t.Data)
			} else {
				out = append(out, Range{off, off + len(t.Data)})
			}
		}
		off += len(t.Data)
	}
	return out, nil
}
