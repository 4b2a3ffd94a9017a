package bench

import (
	"strings"
	"testing"
)

func TestKernelsRunsTheChosenMeasurement(t *testing.T) {
	ms, err := Kernels(Config{Iters: 2, Only: "sgemm/256x768x2304"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 || !strings.HasPrefix(ms[0].Name, "sgemm/256x768x2304") || ms[0].Unit != "GFLOPS" {
		t.Fatalf("got %+v", ms)
	}
	if m := ms[0]; !(m.Min > 0 && m.Min <= m.Value && m.Value <= m.Max) {
		t.Fatalf("min/median/max out of order: %+v", m)
	}
	if _, err := Kernels(Config{Iters: 0}); err == nil {
		t.Fatal("zero iterations accepted")
	}
}
