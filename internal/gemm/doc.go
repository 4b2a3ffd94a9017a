// Package gemm is a float32 matrix multiply, C = alpha·op(A)·op(B) + beta·C,
// for row-major matrices with leading dimensions, in pure Go plus Go
// assembly (no cgo).
//
// Design (BLIS / GotoBLAS). Shapes: op(A) is [M,K], op(B) is [K,N], C is
// [M,N]. The work is split over C only, never over K:
//
//	for jc in N, step NC            // B panel  [KC,NC]  lives in L3
//	  for pc in K, step KC          //   packed once per (jc, pc)
//	    pack op(B)[pc:pc+KC, jc:jc+NC] into NR-column slivers  [NC/NR][KC][NR]
//	    for ic in M, step MC        // A block  [MC,KC]  lives in L2
//	      pack op(A)[ic:ic+MC, pc:pc+KC] into MR-row slivers   [MC/MR][KC][MR]
//	      for jr in NC, step NR     // B sliver [KC,NR]  lives in L1
//	        for ir in MC, step MR
//	          micro-kernel: C[MR,NR] = alpha·Asliver·Bsliver + beta'·C[MR,NR]
//
// where beta' is the caller's beta for the first K block and 1 afterwards.
// Packing absorbs the transposes, so one micro-kernel serves NN, NT, TN and
// TT. Slivers at the bottom and right edges are zero-padded; their tiles are
// computed by the same micro-kernel into a small MR×NR scratch tile (holding
// a copy of C when beta' ≠ 0) whose valid part is copied back, so edge
// elements get exactly the same arithmetic as interior ones.
//
// Micro-kernels (kernels_amd64.s, written by gen_kernels.go): AVX-512
// 14×32 (28 zmm accumulators, two zmm of B and one VBROADCASTSS of A per k,
// VFMADD231PS), AVX2+FMA 6×16, and a portable Go kernel. The best one the CPU
// supports is chosen at start-up with golang.org/x/sys/cpu; Use switches
// (for tests and benchmarks).
//
// beta == 0 never reads C, so NaN or garbage there is overwritten, as in
// BLAS; alpha == 0 or K == 0 never reads A or B.
//
// Threads and determinism. C is cut into a grid of rectangles, one per
// goroutine, with edges on multiples of MR and NR; every tile therefore sits
// at the same place, and each element's K reduction (KC blocks from 0, in
// order, each summed in k order inside the kernel) is the same, whatever the
// thread count. Results are bit-identical across runs and thread counts for
// a given implementation. Different implementations (AVX-512, AVX2, generic)
// round differently.
//
// Sizes are checked up front; inconsistent ones (negative dimensions,
// leading dimensions below the row width, slices too short) panic with a
// message naming the argument. The package is internal and its callers
// pass sizes they computed, so a panic marks a bug.
package gemm
