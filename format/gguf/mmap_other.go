//go:build !unix

package gguf

import (
	"errors"
	"os"
)

// mmapFile is not available here: the caller reads the file instead.
func mmapFile(*os.File, int64) ([]byte, func() error, error) {
	return nil, nil, errors.New("no mmap on this system")
}
