//go:build !amd64 || purego

package gemm

// simdImpls: no assembly micro-kernels on this architecture; the generic Go
// kernel runs.
func simdImpls() []*impl { return nil }

// bf16SimdImpls: no assembly bfloat16 kernels; the Go one runs.
func bf16SimdImpls() []*impl { return nil }

// amxStatus: the AMX kernel is amd64 assembly.
func amxStatus() string { return "no AMX kernel in this build" }
