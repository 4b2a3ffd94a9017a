//go:build !amd64 || purego

package quant

import "github.com/xent-dev/xent/format/gguf"

// simdKernel: no assembly here; every type runs the generic path.
func simdKernel(gguf.Type) *kernel { return nil }

type kernel struct{}

func (m *Matrix) mulSIMD(*kernel, *acts, []float32, int, float32, int) {}
