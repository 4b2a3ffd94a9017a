// Package quant multiplies by weight matrices held as GGUF's blocks, the
// way llama.cpp's CPU backend does: without widening the weights to
// float32 first.
//
// A Matrix is W [out, in] (nn.Linear's layout, a GGUF tensor of dims
// [in, out]) in the bytes the file stores: out rows, each in/BlockSize
// blocks of the tensor's type. New takes f32, f16, bf16, q4_0, q4_1, q5_0,
// q5_1, q8_0, q2_K, q3_K, q4_K, q5_K and q6_K. MulT computes
//
//	y[i·ldy+j] = Σ_k x[i·ldx+k]·W[j,k] + beta·y[i·ldy+j]   i < n, j < out
//
// and Row widens one row of W (an embedding lookup), bit for bit as
// gguf.Dequantize does.
//
// # Arithmetic
//
// As in ggml-cpu (ggml/src/ggml-cpu/ggml-cpu.c's type_traits_cpu, at
// llama.cpp commit d32676d77426540327835040d5d3279728f0b4c8), the
// activations are first rounded to the weight type's vec_dot_type, once
// per call and per row of x:
//
//	weights              activations    rounding of x
//	q4_0 q5_0 q8_0       q8_0           per 32: d = amax/127 (stored f16), q = round(x·127/amax), ties to even
//	q4_1 q5_1            q8_1           the same, and s = f16(d·Σq)
//	q2_K … q6_K          q8_K           per 256: d = 1/(−127/max), q = nearest_int(x·(−127/max)), sums per 16
//	f16                  f16            x rounded to binary16, products and sums in float32
//	bf16                 bf16           x rounded to bfloat16, products and sums in float32
//	f32                  f32            none
//
// (q8_0 and q8_1 follow arch/x86/quants.c's quantize_row_q8_0/q8_1, which
// llama.cpp runs on x86 with AVX2: 127/amax as the multiplier, rounding
// ties to even; q8_K follows ggml-quants.c's quantize_row_q8_K_ref.)
//
// Each block's dot product of quants is an exact integer, as in ggml's
// vec_dot_*; it is scaled in float32 and summed over the row's blocks in
// order, in one chain per output element:
//
//	q8_0 q4_0 q5_0:   acc += (dx·dw)·float(Σ x·w)
//	q4_1 q5_1:        acc += (dx·dw)·float(Σ x·q) + m·s
//	q2_K … q6_K:      acc += (dx·d)·float(Σ_j sc_j Σ x·q);  acc −= (dx·dmin)·float(Σ_j m_j·bsum_j)
//
// each product and sum rounded to float32 (no fused multiply-add), so
// every implementation gives the same bits, for any thread count. ggml
// sums the same integers but in other float32 orders (for q8_0, q4_0 and
// q5_0 llamafile's tinyBLAS_Q0_AVX, ggml-cpu/llamafile/sgemm.cpp: eight
// lanes of four products each, a fused multiply-add per block, then a
// horizontal sum; its repacked q4_K path in blocks of eight rows), so
// xent's values and llama.cpp's differ by float32 rounding of the block
// sums, not by the Q8 rounding of x, which they share. Through a model
// those roundings still move a perplexity by more than their size: where
// they change an activation across a Q8 rounding boundary, the next
// product sees a whole quantization step. On the trained models of
// eval/testdata/llamacpp, llama-perplexity's default estimate differs
// from xent's by up to 1.7e-4 (q8_0), and its own flash attention, on by
// default, accounts for it: with -fa off -ctk f32 -ctv f32 the two agree
// within 1.1e-5 (summing xent's blocks in tinyBLAS's order, in reverse or
// with fused multiply-adds moves xent's estimate by up to 7.6e-6). On
// random-weight models of real depth the effect is chaotic: on
// SmolLM2-135M's shapes (30 layers, near-uniform predictions; q8_0, one
// window of 128) four float32 orders of the same integer sums spread
// xent's estimate over 1.5e-3, llama.cpp's inside that spread, and
// llama.cpp's own estimate moves by 2.6e-4 between its repacked and
// plain q4_K paths (Q4_K_M) and by 2.1e-4 with flash attention off.
//
// The float types multiply with internal/gemm over W where it lies, as
// llama.cpp's f16 dot products widen to float32: Sgemm for f32, SgemmF16
// and SgemmBF16 (which widen W exactly as they pack it) for f16 and bf16,
// Sgemv, SgemvF16 and SgemvBF16 for one row.
//
// # Kernels
//
// The generic Go path is the reference (and the only one under -tags
// purego). On amd64 with AVX-512 VNNI, q4_0, q5_0, q8_0 and the K types
// run assembly kernels (kernels_amd64.s, written by gen_amd64.go) that
// put sixteen rows of x in the sixteen lanes of a register: the quantized
// activations are laid out in tiles of 16 rows (four bytes of each row in
// turn, plus 128 so that they are unsigned), four bytes of a row of W are
// broadcast to every lane, and VPDPBUSD adds the products for eight rows
// of W at a time; a table of −128·Σw per block takes the 128s out again.
// Each lane then runs exactly the generic path's chain for its row, so
// the kernels equal the generic path bit for bit
// (TestKernelsEqualGeneric). q8_0 blocks are read where they lie (the
// −128·Σw table, 4 bytes a block, is built by New); the other types'
// rows are unpacked a panel of 32 rows at a time into signed quants and
// integer scales (pack.go, eight quants at a time in a uint64), once per
// call for all the tiles of x. x is rounded to q8_0 and q8_K by AVX-512
// code equal to the Go rounding bit for bit.
//
// Without VNNI, on AVX2, the same types run kernels with the same
// contract and records (gen_amd64.go's kernelAVX2): VPMADDUBSW multiplies
// x+128 by w and adds pairs into int16s, summed in int16 only as many
// groups of four as cannot overflow for the type's range of w, then
// VPMADDWD widens them (by ones, or by the group's integer scale) into
// int32. That is exact for every type but q8_0, whose w reaches −128;
// q8_0 takes ggml's route, VPSIGNB moving w's sign onto x so that
// VPMADDUBSW multiplies |w| by x·sign(w), which cannot saturate since the
// q8_0 rounding keeps |x| ≤ 127 (except in a block whose scale rounds to
// 0, where the integer does not count). Sixteen ymm registers hold four
// rows of W against eight lanes, so each call makes four passes. Their
// results are the generic path's bits too (TestKernelsExtremes puts every
// int16 sum at its bound; FuzzKernels); x is rounded by the Go code.
// Dispatch takes avx512vnni, then avx2, then generic.
//
// # Threads
//
// The rows of W are split over goroutines (internal/par) in contiguous
// parts; x is quantized once per call, its rows split likewise. Every
// output element is computed by one goroutine in one fixed order.
package quant
