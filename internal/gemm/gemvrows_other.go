//go:build purego || !amd64

package gemm

// gemvRowsKernels returns nil: without assembly, SgemvRows is Sgemv row by
// row.
func gemvRowsKernels[T float32 | uint16](*impl) []gemvRowsT[T] { return nil }
