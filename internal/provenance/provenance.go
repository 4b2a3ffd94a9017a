// Package provenance names what produced a report: the model (its path and
// a hash of its weights), the base model it was compared with, the data,
// the tokenizer, the settings and the xent build. Every command that
// prints a result puts a Source at the head of its table and in its JSON,
// so that a number can be traced back to what made it.
package provenance

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/xent-dev/xent/internal/version"
)

// Model names a model by where it was read and what its weights are.
type Model struct {
	Path string `json:"path"`
	// WeightsSHA256 is the SHA-256 of its weight file (several files:
	// of their bytes in the order given to HashFiles), in hex; the same
	// digest `sha256sum model.safetensors` prints.
	WeightsSHA256 string `json:"weights_sha256,omitempty"`
}

// String is the path and the first 12 hex digits of the hash.
func (m Model) String() string {
	if m.WeightsSHA256 == "" {
		return m.Path
	}
	return fmt.Sprintf("%s (weights sha256 %.12s)", m.Path, m.WeightsSHA256)
}

// Source is what produced a report.
type Source struct {
	Model     *Model `json:"model,omitempty"`
	Base      *Model `json:"base,omitempty"`
	Data      string `json:"data,omitempty"`      // a corpus name, a path, or "-" (standard input)
	Tokenizer string `json:"tokenizer,omitempty"` // what --tokenizer named, or where the model's came from
	// Settings are the options that shape the numbers (a window scheme and
	// its context, a training run's hyper-parameters), as JSON.
	Settings any          `json:"settings,omitempty"`
	Xent     version.Info `json:"xent"`
}

// New returns a Source that records this binary's version.
func New() Source { return Source{Xent: version.Get()} }

// WriteTable writes the source as aligned "name  value" lines, one per
// field that is set, ending with the xent build ("build").
func (s Source) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if s.Model != nil {
		fmt.Fprintf(tw, "model\t%s\n", s.Model)
	}
	if s.Base != nil {
		fmt.Fprintf(tw, "base model\t%s\n", s.Base)
	}
	if s.Data != "" {
		fmt.Fprintf(tw, "data\t%s\n", s.Data)
	}
	if s.Tokenizer != "" {
		fmt.Fprintf(tw, "tokenizer\t%s\n", s.Tokenizer)
	}
	if s.Settings != nil {
		b, err := json.Marshal(s.Settings)
		if err != nil {
			return fmt.Errorf("provenance: settings: %w", err)
		}
		fmt.Fprintf(tw, "settings\t%s\n", b)
	}
	fmt.Fprintf(tw, "build\t%s\n", s.Xent)
	return tw.Flush()
}

// HashFiles returns the hex SHA-256 of the files' bytes, read in the order
// given (one file: exactly its sha256sum).
func HashFiles(paths ...string) (string, error) {
	h := sha256.New()
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return "", fmt.Errorf("provenance: %w", err)
		}
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return "", fmt.Errorf("provenance: %s: %w", p, err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
