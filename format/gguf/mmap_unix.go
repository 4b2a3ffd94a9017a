//go:build unix

package gguf

import (
	"os"

	"golang.org/x/sys/unix"
)

// mmapFile maps the file read-only; an empty file, or a system that
// refuses, gets an error and the caller reads the file instead.
func mmapFile(fh *os.File, size int64) ([]byte, func() error, error) {
	if size <= 0 || int64(int(size)) != size {
		return nil, nil, unix.EINVAL
	}
	b, err := unix.Mmap(int(fh.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, nil, err
	}
	return b, func() error { return unix.Munmap(b) }, nil
}
