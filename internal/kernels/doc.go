// Package kernels holds the inner loops that every loss in xent runs through:
// a vectorised exp, the one-pass softmax row statistics of Milakov &
// Gimelshein (2018), the affine-exp pass that writes a softmax gradient, and
// the float16/bfloat16 conversions.
//
// Each kernel has a portable Go implementation (the *Generic functions) and,
// on amd64, AVX2+FMA and AVX-512 assembly. The implementation is chosen once
// at start-up from golang.org/x/sys/cpu; Use switches it (the tests run every
// path the machine supports against the same checks). The standard purego
// build tag (go build -tags purego) leaves the assembly out, so only the
// generic path is built, on amd64 too.
//
// Numerics. exp is Cephes' expf: Cody–Waite range reduction x = n·ln2 + r,
// |r| ≤ ln2/2, and a degree-7 polynomial, accurate to about 1 ulp in float32.
// The kernels only ever call it on arguments ≤ 0 (x − max), where it returns
// exactly 0 below the float32 range instead of a denormal tail on AVX2 and
// the generic path, and a correctly scaled denormal or 0 on AVX-512.
//
// Determinism. Every kernel processes a row in a fixed order that depends
// only on the row length and the implementation, never on threads, so the
// same inputs give the same bits.
package kernels
