package quant

import (
	"github.com/xent-dev/xent/format/gguf"
	"github.com/xent-dev/xent/internal/dispatch"
)

// impl is one set of kernels: the assembly kernel of each type it speeds
// up (the others run the generic path).
type impl struct {
	name    string
	kernels map[gguf.Type]*kernel
	// quantQ8_0 rounds nb blocks of x to q8_0 quants q and scales d, as
	// quantizeQ8_0 does (nil: quantizeQ8_0).
	quantQ8_0 func(nb int, x *float32, q *int8, d *float32)
	// quantQ8_K rounds nb blocks to q8_K as quantizeQ8_K does, with the
	// sums of each 16 quants (nil: quantizeQ8_K).
	quantQ8_K func(nb int, x *float32, q *int8, d *float32, bsums *int32)
}

var generic = &impl{name: "generic"}

// impls are the kernel sets this machine can run, best first.
var impls = dispatch.NewSet(append(simdImpls(), generic), func(i *impl) string { return i.name })

// Implementations names the kernel sets this machine can run, best first
// ("avx512vnni", "avx2", "generic").
func Implementations() []string { return impls.Names() }

// Active names the kernel set in use.
func Active() string { return impls.Active() }

// Use switches to the named kernel set and reports whether there is one.
// It is meant for tests and benchmarks; do not call it while MulT runs.
func Use(name string) bool { return impls.Use(name) }

// simdKernel is the kernel in use for weights of type t, nil for none.
func simdKernel(t gguf.Type) *kernel { return impls.Current().kernels[t] }
