package gemm

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/xent-dev/xent/internal/kernels"
)

// TestTune (skipped unless GEMM_TUNE is set) times blocking choices:
// GEMM_TUNE="name mc kc nc;…", GEMM_SHAPES="m k n;…". A name of a bfloat16
// kernel (ImplementationsBF16Native, e.g. amx; generic is float32's) times
// SgemmBF16Native.
func TestTune(t *testing.T) {
	spec := os.Getenv("GEMM_TUNE")
	if spec == "" {
		t.Skip("GEMM_TUNE not set")
	}
	type shape struct{ m, k, n int }
	var shapes []shape
	for _, s := range strings.Split(os.Getenv("GEMM_SHAPES"), ";") {
		var sh shape
		if _, err := fmt.Sscan(s, &sh.m, &sh.k, &sh.n); err == nil {
			shapes = append(shapes, sh)
		}
	}
	r := rand.New(rand.NewPCG(1, 1))
	rnd := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = r.Float32() - 0.5
		}
		return x
	}
	defer impls.Set(impls.All()[0])
	defer bf16Impls.Set(bf16Impls.All()[0])
	for _, cfg := range strings.Split(spec, ";") {
		var name string
		var mc, kc, nc int
		if _, err := fmt.Sscan(cfg, &name, &mc, &kc, &nc); err != nil {
			t.Fatalf("%q: %v", cfg, err)
		}
		var base *impl
		set := impls
		for _, im := range impls.All() {
			if im.name == name {
				base = im
			}
		}
		for _, im := range bf16Impls.All() {
			if im.name == name && base == nil {
				base, set = im, bf16Impls
			}
		}
		if base == nil {
			t.Fatalf("no kernel %q", name)
		}
		im := *base
		im.mc, im.kc, im.nc = mc/im.mr*im.mr, kc, nc/im.nr*im.nr
		set.Set(&im)
		line := fmt.Sprintf("%-8s mc=%4d kc=%4d nc=%5d", name, im.mc, kc, im.nc)
		for _, sh := range shapes {
			a, b, c := rnd(sh.m*sh.k), rnd(sh.k*sh.n), make([]float32, sh.m*sh.n)
			bh := make([]uint16, len(b))
			kernels.F32ToBF16(bh, b)
			best := time.Duration(1 << 62)
			for range 4 {
				t0 := time.Now()
				if set == bf16Impls {
					SgemmBF16Native(NoTrans, NoTrans, sh.m, sh.n, sh.k, 1, a, sh.k, bh, sh.n, 0, c, sh.n, 0)
				} else {
					Sgemm(NoTrans, NoTrans, sh.m, sh.n, sh.k, 1, a, sh.k, b, sh.n, 0, c, sh.n, 0)
				}
				best = min(best, time.Since(t0))
			}
			line += fmt.Sprintf("  %dx%dx%d %6.1f", sh.m, sh.k, sh.n, 2*float64(sh.m)*float64(sh.n)*float64(sh.k)/best.Seconds()/1e9)
		}
		fmt.Println(line)
	}
}
