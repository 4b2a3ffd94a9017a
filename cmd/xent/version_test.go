package main

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/xent-dev/xent/internal/kernels"
)

func TestVersion(t *testing.T) {
	out, _, err := runXent(t, "version")
	if err != nil {
		t.Fatal(err)
	}
	flag, _, err := runXent(t, "--version")
	if err != nil || flag != out {
		t.Fatalf("xent --version printed %q (%v), xent version %q", flag, err, out)
	}
	for _, w := range []string{"xent ", "commit ", runtime.Version(), "kernels " + kernels.Active()} {
		if !strings.Contains(out, w) {
			t.Errorf("%q does not say %q", out, w)
		}
	}
	js, _, err := runXent(t, "version", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var in struct{ Version, Commit, Go, Kernels, Gemm string }
	if err := json.Unmarshal([]byte(js), &in); err != nil || in.Version == "" || in.Commit == "" || in.Go != runtime.Version() || in.Kernels != kernels.Active() {
		t.Fatalf("%q: %+v, %v", js, in, err)
	}
}
