package zones

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/otzone/otzone/cmd/otzone/cmdutil"
	rulesCmd "github.com/otzone/otzone/cmd/otzone/rules"
	"github.com/otzone/otzone/zones"
)

// InitOptions is what `otzone zones init` needs.
type InitOptions struct {
	Options
	Output string
}

// NewCmdInit returns `otzone zones init`.
func NewCmdInit(f *cmdutil.Factory, runF func(context.Context, *InitOptions) error) *cobra.Command {
	opts := &InitOptions{Options: Options{IO: f.IOStreams, Inventory: f.Inventory, Rules: rulesCmd.Load}}
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Print an editable designed-model YAML built from what was observed",
		Long: `Write the zones and conduits derived from the traffic as a designed-model
file (with comments explaining every field). Edit it to describe the
segmentation you want, then run "otzone zones --model FILE". The file reads
back to the same zones and conduits.`,
		Example: `  otzone zones init > zones.yaml
  otzone zones init -o zones.yaml --target-sl 2`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := ParseTargetSL(opts.TargetSL); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runInit(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "", "write to `FILE` instead of stdout")
	cmd.Flags().StringVar(&opts.TargetSL, "target-sl", "", "SL-T (0-4) to write for every zone (default: by zone kind)")
	return cmd
}

func runInit(ctx context.Context, opts *InitOptions) error {
	opts.Model = ""
	m, inv, err := load(ctx, &opts.Options)
	if err != nil {
		return err
	}
	return cmdutil.WriteOutput(opts.IO, opts.Output, func(w io.Writer) error {
		return zones.WriteModel(w, m, inv)
	})
}
