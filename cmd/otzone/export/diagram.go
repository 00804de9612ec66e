package export

import (
	"context"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/otzone/otzone/assess"
	assessCmd "github.com/otzone/otzone/cmd/otzone/assess"
	"github.com/otzone/otzone/cmd/otzone/cmdutil"
	rulesCmd "github.com/otzone/otzone/cmd/otzone/rules"
	zonesCmd "github.com/otzone/otzone/cmd/otzone/zones"
	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/rules"
	"github.com/otzone/otzone/zones/diagram"
)

// DiagramOptions is what `otzone export diagram` needs.
type DiagramOptions struct {
	IO        *cmdutil.IOStreams
	Inventory func(context.Context) (*inventory.Inventory, error)
	Rules     func() (*rules.RuleSet, error)
	Now       func() time.Time
	Format    string
	Output    string
	Model     string
	TargetSL  string
	Detail    string
}

// NewCmdDiagram returns `otzone export diagram`.
func NewCmdDiagram(f *cmdutil.Factory, runF func(context.Context, *DiagramOptions) error) *cobra.Command {
	opts := &DiagramOptions{IO: f.IOStreams, Inventory: f.Inventory, Rules: rulesCmd.Load, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "diagram",
		Short: "Export the zone and conduit diagram (svg, dot, mermaid, drawio)",
		Long: `Draw the zones and conduits: one box per zone (kind, Purdue level, asset
count), one edge per conduit labelled with its protocols and flags
(cleartext-write, program, control, undeclared). Zones are filled by kind and
bordered by their worst finding's severity; unencrypted conduits are dashed.
--detail assets draws the assets inside their zones.

svg is laid out in process by otzone itself (no Graphviz needed); dot is for your own Graphviz; mermaid renders on GitHub
and in many wikis; drawio opens in diagrams.net with zones as containers.`,
		Example: `  otzone export diagram -o zones.svg
  otzone export diagram --format drawio --detail assets -o zones.drawio
  otzone export diagram --format mermaid --model zones.yaml`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckFormat("format", opts.Format, diagram.Formats...); err != nil {
				return err
			}
			if err := cmdutil.CheckFormat("detail", opts.Detail, diagram.DetailZones, diagram.DetailAssets); err != nil {
				return err
			}
			if _, err := zonesCmd.ParseTargetSL(opts.TargetSL); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runDiagram(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", "svg", "output `FORMAT`: svg, dot, mermaid, drawio")
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "", "write to `FILE` instead of stdout")
	cmd.Flags().StringVar(&opts.Model, "model", "", "draw the designed model in `FILE` checked against the traffic")
	cmd.Flags().StringVar(&opts.TargetSL, "target-sl", "", "SL-T (0-4) of zones that have none (default: by zone kind)")
	cmd.Flags().StringVar(&opts.Detail, "detail", diagram.DetailZones, "`LEVEL` of detail: zones, assets")
	rulesCmd.AddRulesFlag(cmd)
	return cmd
}

func runDiagram(ctx context.Context, opts *DiagramOptions) error {
	r, err := assessCmd.Build(ctx, opts.Inventory, opts.Rules, opts.Model, opts.TargetSL, opts.Now)
	if err != nil {
		return err
	}
	g := assess.Diagram(r.Assessment, r.Model, r.Inventory, opts.Detail)
	return cmdutil.WriteOutput(opts.IO, opts.Output, func(w io.Writer) error {
		return diagram.Write(ctx, w, opts.Format, g)
	})
}
