//go:build !purego

package quant

import (
	"golang.org/x/sys/cpu"

	"github.com/xent-dev/xent/format/gguf"
)

//go:generate go run gen_amd64.go

// The AVX-512 VNNI kernels (kernels_amd64.s; gen_amd64.go gives the
// contract): eight rows of W against sixteen rows of x.

//go:noescape
func qdot32VNNI(nb int, x *byte, xd *float32, xb *int16, w *byte, rs int, out *float32)

//go:noescape
func qdotK16VNNI(nb int, x *byte, xd *float32, xb *int16, w *byte, rs int, out *float32)

//go:noescape
func qdotK16MinVNNI(nb int, x *byte, xd *float32, xb *int16, w *byte, rs int, out *float32)

//go:noescape
func qdotK32MinVNNI(nb int, x *byte, xd *float32, xb *int16, w *byte, rs int, out *float32)

//go:noescape
func qdot8RawVNNI(nb int, x *byte, xd *float32, w *byte, rs int, corr *int32, cs int, out *float32)

// The AVX2 kernels, one per type (the same contract; gen_amd64.go's
// kernelAVX2 says why VPMADDUBSW is exact for each).

//go:noescape
func qdotQ4_0AVX2(nb int, x *byte, xd *float32, xb *int16, w *byte, rs int, out *float32)

//go:noescape
func qdotQ5_0AVX2(nb int, x *byte, xd *float32, xb *int16, w *byte, rs int, out *float32)

//go:noescape
func qdotQ8_0AVX2(nb int, x *byte, xd *float32, xb *int16, w *byte, rs int, out *float32)

//go:noescape
func qdotQ2_KAVX2(nb int, x *byte, xd *float32, xb *int16, w *byte, rs int, out *float32)

//go:noescape
func qdotQ3_KAVX2(nb int, x *byte, xd *float32, xb *int16, w *byte, rs int, out *float32)

//go:noescape
func qdotQ4_KAVX2(nb int, x *byte, xd *float32, xb *int16, w *byte, rs int, out *float32)

//go:noescape
func qdotQ5_KAVX2(nb int, x *byte, xd *float32, xb *int16, w *byte, rs int, out *float32)

//go:noescape
func qdotQ6_KAVX2(nb int, x *byte, xd *float32, xb *int16, w *byte, rs int, out *float32)

//go:noescape
func quantQ8_0AVX512(nb int, x *float32, q *int8, d *float32)

//go:noescape
func quantQ8_KAVX512(nb int, x *float32, q *int8, d *float32, bsums *int32)

// simdImpls returns the assembly kernels this CPU supports, best first.
func simdImpls() []*impl {
	var ims []*impl
	if cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VNNI {
		k32 := &kernel{bs: 32, g: 32, fn: qdot32VNNI}
		k8 := &kernel{bs: 32, g: 32, fn: qdot32VNNI, raw: qdot8RawVNNI}
		k16 := &kernel{bs: 256, g: 16, fn: qdotK16VNNI}
		k16m := &kernel{bs: 256, g: 16, mins: true, fn: qdotK16MinVNNI}
		k32m := &kernel{bs: 256, g: 32, mins: true, fn: qdotK32MinVNNI}
		ims = append(ims, &impl{name: "avx512vnni", quantQ8_0: quantQ8_0AVX512, quantQ8_K: quantQ8_KAVX512, kernels: map[gguf.Type]*kernel{
			gguf.Q4_0: k32, gguf.Q5_0: k32, gguf.Q8_0: k8,
			gguf.Q2_K: k16m, gguf.Q3_K: k16, gguf.Q4_K: k32m, gguf.Q5_K: k32m, gguf.Q6_K: k16,
		}})
	}
	if cpu.X86.HasAVX2 {
		ims = append(ims, &impl{name: "avx2", kernels: map[gguf.Type]*kernel{
			gguf.Q4_0: {bs: 32, g: 32, fn: qdotQ4_0AVX2},
			gguf.Q5_0: {bs: 32, g: 32, fn: qdotQ5_0AVX2},
			gguf.Q8_0: {bs: 32, g: 32, fn: qdotQ8_0AVX2},
			gguf.Q2_K: {bs: 256, g: 16, mins: true, fn: qdotQ2_KAVX2},
			gguf.Q3_K: {bs: 256, g: 16, fn: qdotQ3_KAVX2},
			gguf.Q4_K: {bs: 256, g: 32, mins: true, fn: qdotQ4_KAVX2},
			gguf.Q5_K: {bs: 256, g: 32, mins: true, fn: qdotQ5_KAVX2},
			gguf.Q6_K: {bs: 256, g: 16, fn: qdotQ6_KAVX2},
		}})
	}
	return ims
}
