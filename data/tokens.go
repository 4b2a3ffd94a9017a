package data

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"

	"github.com/xent-dev/xent/internal/atomicfile"
	"github.com/xent-dev/xent/tokenizer"
)

// Encode encodes text with tok, through a cache: the ids of a (tokenizer,
// text) pair are kept under the user's cache directory (xent/tokens/,
// named by a SHA-256 of both), so a corpus is tokenized once. A cache that
// cannot be read or written is skipped, never fatal.
func Encode(tok *tokenizer.Tokenizer, text []byte) ([]int32, error) {
	var spec bytes.Buffer
	if err := tok.SaveHF(&spec); err != nil {
		return nil, err
	}
	h := sha256.New()
	h.Write(spec.Bytes())
	h.Write([]byte{0})
	h.Write(text)
	path := ""
	if dir, err := os.UserCacheDir(); err == nil {
		path = filepath.Join(dir, "xent", "tokens", hex.EncodeToString(h.Sum(nil))+".bin")
		if b, err := os.ReadFile(path); err == nil && len(b)%4 == 0 {
			ids := make([]int32, len(b)/4)
			for i := range ids {
				ids[i] = int32(binary.LittleEndian.Uint32(b[4*i:]))
			}
			return ids, nil
		}
	}
	ids, err := tok.EncodeParallel(text, nil, 0)
	if err != nil {
		return nil, err
	}
	if path != "" {
		b := make([]byte, 4*len(ids))
		for i, id := range ids {
			binary.LittleEndian.PutUint32(b[4*i:], uint32(id))
		}
		if os.MkdirAll(filepath.Dir(path), 0o755) == nil {
			atomicfile.WriteBytes(path, b) // best effort: the ids are in hand either way
		}
	}
	return ids, nil
}
