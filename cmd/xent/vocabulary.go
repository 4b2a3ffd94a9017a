package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/xent-dev/xent/internal/plotfile"
)

// renamedFlags maps the spellings flags had before xent's command-line
// vocabulary was made one (README, "One command-line vocabulary") to the
// names they have now. The old spellings keep working in every command,
// and the help shows only the new ones.
var renamedFlags = map[string]string{
	"ctx":        "context", // xent eval
	"t":          "context", // xent bench train, bench teacher-forcing
	"b":          "batch",   // xent bench train
	"new-tokens": "max-tokens",
}

// normalizeFlagName is the root command's global normalization: every
// flag name, as defined and as typed, goes through it.
func normalizeFlagName(_ *pflag.FlagSet, name string) pflag.NormalizedName {
	if now, ok := renamedFlags[name]; ok {
		return pflag.NormalizedName(now)
	}
	return pflag.NormalizedName(name)
}

// plotFlags are --plots DIR and --plot-format, where a command writes its
// figures and as what; every command that draws spells them so.
type plotFlags struct{ dir, format string }

func (p *plotFlags) add(cmd *cobra.Command, dirHelp string) {
	fl := cmd.Flags()
	fl.StringVar(&p.dir, "plots", "", dirHelp)
	fl.StringVar(&p.format, "plot-format", "svg", "figure format: "+strings.Join(plotfile.Formats, ", "))
}

// check refuses an unknown --plot-format before any work.
func (p *plotFlags) check() error {
	if err := plotfile.CheckFormat(p.format); err != nil {
		return fmt.Errorf("--plot-format: %w", err)
	}
	return nil
}

// path is where the figure called name goes under --plots (created if
// missing): DIR/name.FORMAT.
func (p *plotFlags) path(name string) (string, error) {
	if err := os.MkdirAll(p.dir, 0o755); err != nil {
		return "", fmt.Errorf("--plots: %w", err)
	}
	return filepath.Join(p.dir, name+"."+p.format), nil
}
