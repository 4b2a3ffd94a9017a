//go:build !amd64 || purego

package quant

// simdImpls: no assembly on this platform or under -tags purego.
func simdImpls() []*impl { return nil }
