package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/xent-dev/xent/internal/version"
)

// newVersionCmd is "xent version"; "xent --version" prints the same line.
func newVersionCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version [--json]",
		Short: "Print xent's version, commit, Go release and the kernels in use",
		Long: `Print what built this xent and what it runs: the module version (a tag when
installed with go install …@version, "(devel)" when built from a checkout),
the commit it was built from ("unknown" under go run or without version
control information; "modified" when the checkout had uncommitted changes),
the Go release and platform, and the kernel sets in use: avx512, avx2 or
generic, for the loss kernels and the matrix products. "xent --version"
prints the same line.`,
		Example: `  xent version
  xent version --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in := version.Get()
			if asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(in)
			}
			_, err := fmt.Fprintln(cmd.OutOrStdout(), in)
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object: module, version, commit, commit_time, modified, go, platform, tags, kernels, gemm (default false)")
	return cmd
}
