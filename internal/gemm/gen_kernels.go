//go:build ignore

// gen_kernels writes kernels_amd64.s, the register-tiled micro-kernels,
// and (with gen_gemv.go) gemv_amd64.s and f16gemv_amd64.s, the
// matrix–vector kernels:
//
//	go run gen_kernels.go gen_gemv.go gen_bf16.go
//
// Every kernel has the Go signature
//
//	func(k int, a, b, c *float32, ldc int, alpha, beta float32)
//
// and computes the MR×NR tile C = alpha·A·B + beta·C, where A is a packed
// MR-row sliver (a[p·MR+i], p < k) and B a packed NR-column sliver
// (b[p·NR+j]). C is row-major with leading dimension ldc (in elements).
// beta == 0 (either sign) stores alpha·A·B without reading C.
package main

import (
	"bytes"
	"fmt"
	"os"
)

var out bytes.Buffer

func p(format string, args ...any) { fmt.Fprintf(&out, "\t"+format+"\n", args...) }
func label(l string)               { fmt.Fprintf(&out, "%s:\n", l) }

// kernel describes one micro-kernel: mr rows by vecs vector registers of
// lanes floats each (NR = vecs·lanes).
type kernel struct {
	name  string
	reg   string // "Z" or "Y"
	lanes int
	mr    int
	vecs  int
	zero  string // instruction that zeroes an accumulator
	// bf16: the packed slivers hold pairs of bfloat16 (one 32-bit word per
	// row or column and pair of k, the lower k in the low half), k counts
	// the pairs, and each step is VDPBF16PS with A broadcast from memory.
	bf16 bool
}

func (k kernel) acc(i, v int) string { return fmt.Sprintf("%s%d", k.reg, i*k.vecs+v) }
func (k kernel) r(n int) string      { return fmt.Sprintf("%s%d", k.reg, n) }

func (k kernel) gen() {
	nr := k.vecs * k.lanes
	vb := k.lanes * 4 // bytes per vector
	nacc := k.mr * k.vecs
	bReg := nacc        // first B register
	bc := nacc + k.vecs // broadcast register
	alphaR, betaR := bc, bc+1
	if max(betaR, bReg+k.vecs-1) >= map[string]int{"Z": 32, "Y": 16}[k.reg] {
		panic("too many registers")
	}
	const unroll = 4
	fmt.Fprintf(&out, "\n// func %s(k int, a, b, c *float32, ldc int, alpha, beta float32)\n", k.name)
	fmt.Fprintf(&out, "// %d×%d tile: accumulators %s0–%s%d, B in %s%d–%s%d", k.mr, nr, k.reg, k.reg, nacc-1, k.reg, bReg, k.reg, bReg+k.vecs-1)
	if k.bf16 {
		fmt.Fprintf(&out, ", A broadcast by VDPBF16PS.\n// k counts pairs of k; a and b hold bfloat16 pairs (see bf16native.go).\n")
	} else {
		fmt.Fprintf(&out, ", A broadcast into %s%d.\n", k.reg, bc)
	}
	fmt.Fprintf(&out, "TEXT ·%s(SB), NOSPLIT, $0-48\n", k.name)
	p("MOVQ k+0(FP), CX")
	p("MOVQ a+8(FP), AX")
	p("MOVQ b+16(FP), BX")
	p("MOVQ c+24(FP), DI")
	p("MOVQ ldc+32(FP), DX")
	p("SHLQ $2, DX")
	for i := 0; i < nacc; i++ {
		r := k.r(i)
		p("%s %s, %s, %s", k.zero, r, r, r)
	}
	// Prefetch the C tile while the products accumulate.
	p("MOVQ DI, R8")
	for i := 0; i < k.mr; i++ {
		for off := 0; off < nr*4; off += 64 {
			p("PREFETCHT0 %d(R8)", off)
		}
		if i < k.mr-1 {
			p("ADDQ DX, R8")
		}
	}
	// step emits k-step u of the unrolled loop; with pf it also prefetches
	// the A and B data pfDist steps ahead (the line of A and the NR·4 bytes
	// of B that step will read), spread between the FMAs.
	const pfDist = 8
	step := func(u int, pf bool) {
		for v := 0; v < k.vecs; v++ {
			p("VMOVUPS %d(BX), %s", u*nr*4+v*vb, k.r(bReg+v))
		}
		for i := 0; i < k.mr; i++ {
			if pf && i == k.mr/2 {
				p("PREFETCHT0 %d(AX)", (u+pfDist)*k.mr*4)
				for off := 0; off < nr*4; off += 64 {
					p("PREFETCHT0 %d(BX)", (u+pfDist)*nr*4+off)
				}
			}
			if k.bf16 {
				for v := 0; v < k.vecs; v++ {
					p("%s", vdpbf16ps(i*k.vecs+v, bReg+v, regAX, (u*k.mr+i)*4))
				}
				continue
			}
			p("VBROADCASTSS %d(AX), %s", (u*k.mr+i)*4, k.r(bc))
			for v := 0; v < k.vecs; v++ {
				p("VFMADD231PS %s, %s, %s", k.r(bc), k.r(bReg+v), k.acc(i, v))
			}
		}
	}
	p("MOVQ CX, R9")
	p("SHRQ $%d, R9", 2)
	p("JZ %s_tail", k.name)
	label(k.name + "_loop4")
	for u := 0; u < unroll; u++ {
		step(u, true)
	}
	p("ADDQ $%d, AX", unroll*k.mr*4)
	p("ADDQ $%d, BX", unroll*nr*4)
	p("DECQ R9")
	p("JNZ %s_loop4", k.name)
	label(k.name + "_tail")
	p("ANDQ $%d, CX", unroll-1)
	p("JZ %s_done", k.name)
	label(k.name + "_loop1")
	step(0, false)
	p("ADDQ $%d, AX", k.mr*4)
	p("ADDQ $%d, BX", nr*4)
	p("DECQ CX")
	p("JNZ %s_loop1", k.name)
	label(k.name + "_done")
	p("VBROADCASTSS alpha+40(FP), %s", k.r(alphaR))
	p("VBROADCASTSS beta+44(FP), %s", k.r(betaR))
	p("MOVL beta+44(FP), R8")
	p("ANDL $0x7fffffff, R8")
	p("JZ %s_beta0", k.name)
	for i := 0; i < k.mr; i++ {
		for v := 0; v < k.vecs; v++ {
			a := k.acc(i, v)
			p("VMULPS %s, %s, %s", k.r(alphaR), a, a)
			p("VFMADD231PS %d(DI), %s, %s", v*vb, k.r(betaR), a)
			p("VMOVUPS %s, %d(DI)", a, v*vb)
		}
		if i < k.mr-1 {
			p("ADDQ DX, DI")
		}
	}
	p("VZEROUPPER")
	p("RET")
	label(k.name + "_beta0")
	for i := 0; i < k.mr; i++ {
		for v := 0; v < k.vecs; v++ {
			a := k.acc(i, v)
			p("VMULPS %s, %s, %s", k.r(alphaR), a, a)
			p("VMOVUPS %s, %d(DI)", a, v*vb)
		}
		if i < k.mr-1 {
			p("ADDQ DX, DI")
		}
	}
	p("VZEROUPPER")
	p("RET")
}

// write saves what gen emits as the file name, with the generated-code
// header.
func write(name string, gen func()) {
	out.Reset()
	out.WriteString("// Code generated by gen_kernels.go; DO NOT EDIT.\n\n//go:build !purego\n\n#include \"textflag.h\"\n")
	gen()
	if err := os.WriteFile(name, out.Bytes(), 0o644); err != nil {
		panic(err)
	}
}

func main() {
	write("kernels_amd64.s", func() {
		kernels := []kernel{
			{name: "kernel14x32AVX512", reg: "Z", lanes: 16, mr: 14, vecs: 2, zero: "VPXORD"},
			{name: "kernel6x16AVX2", reg: "Y", lanes: 8, mr: 6, vecs: 2, zero: "VXORPS"},
			{name: "kernel14x32BF16AVX512", reg: "Z", lanes: 16, mr: 14, vecs: 2, zero: "VPXORD", bf16: true},
		}
		for _, k := range kernels {
			k.gen()
		}
	})
	write("gemv_amd64.s", genGemv)
	write("bf16_amd64.s", genBF16)
	write("f16gemv_amd64.s", genGemvF16)
}
