//go:build !unix

package eval

// cpuSeconds: no getrusage here; the benchmarks then report no CPU rate.
func cpuSeconds() float64 { return 0 }
