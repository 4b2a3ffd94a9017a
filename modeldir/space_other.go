//go:build !unix

package modeldir

// freeBytes cannot tell here.
func freeBytes(path string) (uint64, bool) { return 0, false }
