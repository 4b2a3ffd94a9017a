package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestRenamedFlagsStillWork runs a command under an old spelling of each
// renamed flag and checks the help shows only the new one.
func TestRenamedFlagsStillWork(t *testing.T) {
	for old, now := range renamedFlags {
		root := newRootCmd()
		var found bool
		for _, c := range allCommands(root) {
			if c.Flags().Lookup(old) == nil {
				continue
			}
			found = true
			if f := c.Flags().Lookup(now); f == nil || f.Name != now {
				t.Errorf("%s: --%s does not resolve to --%s", c.CommandPath(), old, now)
			}
			value := strings.Trim(c.Flags().Lookup(now).DefValue, "[]") // a slice's default prints as [a,b]
			if err := c.Flags().Set(old, value); err != nil {
				t.Errorf("%s: --%s: %v", c.CommandPath(), old, err)
			}
			var help bytes.Buffer
			c.SetOut(&help)
			c.Help()
			if strings.Contains(help.String(), "--"+old+" ") {
				t.Errorf("%s: the help still shows --%s", c.CommandPath(), old)
			}
		}
		if !found {
			t.Errorf("no command has --%s (as --%s)", old, now)
		}
	}
}

// allCommands is root and every command under it.
func allCommands(root *cobra.Command) []*cobra.Command {
	out := []*cobra.Command{root}
	for _, c := range root.Commands() {
		out = append(out, allCommands(c)...)
	}
	return out
}
