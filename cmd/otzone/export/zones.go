package export

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/otzone/otzone/cmd/otzone/cmdutil"
	rulesCmd "github.com/otzone/otzone/cmd/otzone/rules"
	zonesCmd "github.com/otzone/otzone/cmd/otzone/zones"
	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/rules"
	"github.com/otzone/otzone/zones"
)

// ZonesOptions is what `otzone export zones` needs.
type ZonesOptions struct {
	IO        *cmdutil.IOStreams
	Inventory func(context.Context) (*inventory.Inventory, error)
	Rules     func() (*rules.RuleSet, error)
	Format    string
	Output    string
	Model     string
	TargetSL  string
}

// NewCmdZones returns `otzone export zones`.
func NewCmdZones(f *cmdutil.Factory, runF func(context.Context, *ZonesOptions) error) *cobra.Command {
	opts := &ZonesOptions{IO: f.IOStreams, Inventory: f.Inventory, Rules: rulesCmd.Load}
	cmd := &cobra.Command{
		Use:   "zones",
		Short: "Export zones, conduits and violations (JSON otzone.zones/v1, or a designed-model YAML)",
		Long: `Export the zones and conduits derived from the traffic, or with --model FILE
the designed model checked against it, as the otzone.zones/v1 JSON document
(zones, conduits with the communications that cross them, violations).
--format yaml writes the designed-model file "otzone zones init" prints.`,
		Example: `  otzone export zones -o zones.json
  otzone export zones --model zones.yaml -o checked.json
  otzone export zones --format yaml -o zones.yaml`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckFormat("format", opts.Format, "json", "yaml"); err != nil {
				return err
			}
			if _, err := zonesCmd.ParseTargetSL(opts.TargetSL); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runZones(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", "json", "output `FORMAT`: json, yaml")
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "", "write to `FILE` instead of stdout")
	cmd.Flags().StringVar(&opts.Model, "model", "", "check the designed model in `FILE` against the traffic")
	cmd.Flags().StringVar(&opts.TargetSL, "target-sl", "", "SL-T (0-4) of zones that have none (default: by zone kind)")
	rulesCmd.AddRulesFlag(cmd)
	return cmd
}

func runZones(ctx context.Context, opts *ZonesOptions) error {
	rs, err := opts.Rules()
	if err != nil {
		return err
	}
	inv, err := opts.Inventory(ctx)
	if err != nil {
		return err
	}
	m, err := zonesCmd.Build(inv, rs, opts.Model, opts.TargetSL)
	if err != nil {
		return err
	}
	return cmdutil.WriteOutput(opts.IO, opts.Output, func(w io.Writer) error {
		if opts.Format == "yaml" {
			return zones.WriteModel(w, m, inv)
		}
		return zonesCmd.WriteJSON(w, m)
	})
}
