package gemm

import (
	"math/rand/v2"
	"os"
	"strconv"
	"syscall"
	"testing"

	"github.com/xent-dev/xent/internal/kernels"
)

func BenchmarkScratch(b *testing.B) {
	n, _ := strconv.Atoi(os.Getenv("N"))
	k, _ := strconv.Atoi(os.Getenv("K"))
	tr := NoTrans
	if os.Getenv("T") == "1" {
		tr = Trans
	}
	bf := os.Getenv("BF") == "1"
	th, _ := strconv.Atoi(os.Getenv("TH"))
	copies, _ := strconv.Atoi(os.Getenv("C"))
	copies = max(copies, 1)
	w := make([]float32, n*k*copies)
	r := rand.New(rand.NewPCG(1, 1))
	for i := range w {
		w[i] = r.Float32()
	}
	wb := make([]uint16, len(w))
	kernels.F32ToBF16(wb, w)
	ld := n
	if tr == Trans {
		ld = k
	}
	x, y := make([]float32, k), make([]float32, n)
	size := 4
	if bf {
		size = 2
	}
	i := 0
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	for b.Loop() {
		off := i % copies * n * k
		i++
		if bf {
			SgemvBF16(tr, n, k, 1, x, wb[off:], ld, 0, y, th)
		} else {
			Sgemv(tr, n, k, 1, x, w[off:], ld, 0, y, th)
		}
	}
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := float64(ru1.Utime.Nano()-ru0.Utime.Nano()+ru1.Stime.Nano()-ru0.Stime.Nano()) / 1e9
	b.ReportMetric(float64(b.N*n*k*size)/b.Elapsed().Seconds()/1e9, "GB/s")
	b.ReportMetric(float64(b.N*n*k*size)/cpu/1e9, "GB/cpu-s")
}
