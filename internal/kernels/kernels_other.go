//go:build !amd64 || purego

package kernels

// simdImpls: no assembly kernels on this architecture; the generic Go path runs.
func simdImpls() []*impl { return nil }
