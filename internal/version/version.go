// Package version says what built this xent and what it runs: the module
// version, the commit, the Go release, and the kernel sets in use, so that
// `xent version` can print it and a report can record it.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/xent-dev/xent/internal/gemm"
	"github.com/xent-dev/xent/internal/kernels"
	"github.com/xent-dev/xent/internal/quant"
)

// Unknown marks what the binary does not record: the commit of a build
// without version control information (go run, go test, -buildvcs=false).
const Unknown = "unknown"

// Info is what built this binary and what it runs.
type Info struct {
	Module string `json:"module"`
	// Version is the module version: a tag such as v0.3.1 when installed
	// with go install …@version, "(devel)" when built from a checkout.
	Version string `json:"version"`
	// Commit is the VCS revision the binary was built from, or Unknown;
	// Modified says the working tree had uncommitted changes.
	Commit     string `json:"commit"`
	CommitTime string `json:"commit_time,omitempty"`
	Modified   bool   `json:"modified"`
	Go         string `json:"go"`       // the Go release, runtime.Version()
	Platform   string `json:"platform"` // GOOS/GOARCH
	Tags       string `json:"tags,omitempty"`
	// Kernels and Gemm name the implementations in use of the loss
	// kernels and of the matrix products: avx512, avx2 or generic (the
	// only one built with -tags purego or off amd64).
	Kernels string `json:"kernels"`
	Gemm    string `json:"gemm"`
	// GemmBF16 names the bfloat16 products' kernel (amx, avx512bf16 or
	// generic) and Quant the GGUF block products' (avx512vnni, avx2 or
	// generic).
	GemmBF16 string `json:"gemm_bf16"`
	Quant    string `json:"quant"`
}

// Get returns this binary's Info.
func Get() Info {
	bi, ok := debug.ReadBuildInfo()
	return fromBuild(bi, ok)
}

// fromBuild fills Info from the build information, if there is any.
func fromBuild(bi *debug.BuildInfo, ok bool) Info {
	in := Info{Module: "github.com/xent-dev/xent", Version: "(devel)", Commit: Unknown,
		Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH,
		Kernels: kernels.Active(), Gemm: gemm.Active(), GemmBF16: gemm.ActiveBF16Native(), Quant: quant.Active()}
	if !ok || bi == nil {
		return in
	}
	if bi.Main.Path != "" {
		in.Module = bi.Main.Path
	}
	if bi.Main.Version != "" {
		in.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			in.Commit = s.Value
		case "vcs.time":
			in.CommitTime = s.Value
		case "vcs.modified":
			in.Modified = s.Value == "true"
		case "-tags":
			in.Tags = s.Value
		}
	}
	return in
}

// String is Info on one line, e.g. "xent v0.3.1 (commit 1a2b3c4d5e6f,
// modified) go1.26.8 linux/amd64, kernels avx512, gemm avx512, bf16
// avx512bf16, quant avx512vnni".
func (in Info) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "xent %s (commit %s", in.Version, short(in.Commit))
	if in.CommitTime != "" {
		fmt.Fprintf(&b, " of %s", in.CommitTime)
	}
	if in.Modified {
		b.WriteString(", modified")
	}
	fmt.Fprintf(&b, ") %s %s", in.Go, in.Platform)
	if in.Tags != "" {
		fmt.Fprintf(&b, " -tags %s", in.Tags)
	}
	fmt.Fprintf(&b, ", kernels %s, gemm %s", in.Kernels, in.Gemm)
	if in.GemmBF16 != "" {
		fmt.Fprintf(&b, ", bf16 %s", in.GemmBF16)
	}
	if in.Quant != "" {
		fmt.Fprintf(&b, ", quant %s", in.Quant)
	}
	return b.String()
}

// short cuts a commit hash to the 12 characters that name it in practice.
func short(commit string) string {
	if len(commit) > 12 && commit != Unknown {
		return commit[:12]
	}
	return commit
}
