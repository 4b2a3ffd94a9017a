package main

import "github.com/spf13/cobra"

func newStudyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "study",
		Short: "Measured studies of what cross-entropy training does and does not teach",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newStudyPosttrainCmd())
	return cmd
}
