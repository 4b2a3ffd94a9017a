package version

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/xent-dev/xent/internal/gemm"
	"github.com/xent-dev/xent/internal/kernels"
	"github.com/xent-dev/xent/internal/quant"
)

func TestFromBuild(t *testing.T) {
	bi := &debug.BuildInfo{Main: debug.Module{Path: "github.com/xent-dev/xent", Version: "v0.3.1"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "1a2b3c4d5e6f7a8b9c0d1a2b3c4d5e6f7a8b9c0d"},
			{Key: "vcs.time", Value: "2026-12-04T16:00:00Z"},
			{Key: "vcs.modified", Value: "true"},
			{Key: "-tags", Value: "purego"},
		}}
	in := fromBuild(bi, true)
	want := Info{Module: "github.com/xent-dev/xent", Version: "v0.3.1", Commit: "1a2b3c4d5e6f7a8b9c0d1a2b3c4d5e6f7a8b9c0d",
		CommitTime: "2026-12-04T16:00:00Z", Modified: true, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH,
		Tags: "purego", Kernels: kernels.Active(), Gemm: gemm.Active(), GemmBF16: gemm.ActiveBF16Native(), Quant: quant.Active()}
	if in != want {
		t.Fatalf("got %+v\nwant %+v", in, want)
	}
	s := in.String()
	for _, w := range []string{"xent v0.3.1", "commit 1a2b3c4d5e6f of 2026-12-04T16:00:00Z, modified", runtime.Version(), "-tags purego", "kernels " + kernels.Active(), "gemm " + gemm.Active(), "bf16 " + gemm.ActiveBF16Native(), "quant " + quant.Active()} {
		if !strings.Contains(s, w) {
			t.Errorf("%q does not say %q", s, w)
		}
	}
	// No build information (or none of the VCS): devel and unknown.
	for _, in := range []Info{fromBuild(nil, false), fromBuild(&debug.BuildInfo{}, true)} {
		if in.Version != "(devel)" || in.Commit != Unknown || in.Modified || in.Go != runtime.Version() || in.Kernels == "" {
			t.Errorf("without build information: %+v", in)
		}
		if s := in.String(); !strings.Contains(s, "xent (devel) (commit unknown)") {
			t.Errorf("without build information: %q", s)
		}
	}
}

// TestGet: this test binary's Info, which go test builds without VCS
// information, names the Go release and the kernels in use.
func TestGet(t *testing.T) {
	in := Get()
	if in.Go != runtime.Version() || in.Kernels != kernels.Active() || in.Gemm != gemm.Active() || in.Version == "" || in.Commit == "" {
		t.Fatalf("%+v", in)
	}
}
