// Package version is `otzone version`.
package version

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/otzone/otzone/cmd/otzone/cmdutil"
)

// VersionOptions is what `otzone version` needs.
type VersionOptions struct {
	IO      *cmdutil.IOStreams
	Version string
	Commit  string
}

// NewCmdVersion returns `otzone version`.
func NewCmdVersion(f *cmdutil.Factory, runF func(*VersionOptions) error) *cobra.Command {
	opts := &VersionOptions{IO: f.IOStreams}
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and Go version",
		Args:  cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Version, opts.Commit = f.Version, f.Commit
			if runF != nil {
				return runF(opts)
			}
			return runVersion(opts)
		},
	}
}

func runVersion(opts *VersionOptions) error {
	commit := opts.Commit
	if commit == "" {
		commit = "unknown"
	}
	_, err := fmt.Fprintf(opts.IO.Out, "otzone %s\ncommit %s\n%s %s/%s\n", opts.Version, commit, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return err
}
