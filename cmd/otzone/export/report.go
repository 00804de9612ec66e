package export

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/otzone/otzone/cmd/otzone/cmdutil"
	rulesCmd "github.com/otzone/otzone/cmd/otzone/rules"
	zonesCmd "github.com/otzone/otzone/cmd/otzone/zones"
	"github.com/otzone/otzone/zones/diagram"
)

// NewCmdReport returns `otzone export report` (html, md, json).
func NewCmdReport(f *cmdutil.Factory, runF func(context.Context, *AssessmentOptions) error) *cobra.Command {
	opts := &AssessmentOptions{IO: f.IOStreams, Inventory: f.Inventory, Rules: rulesCmd.Load, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Export the assessment report (self-contained HTML, Markdown with Mermaid, or JSON)",
		Long: `Write the assessment report. html is one file that works offline (inline CSS,
script and SVG diagram, a Content-Security-Policy that allows nothing else):
summary, zone diagram, gap heat table, findings with evidence and
references, a sortable and filterable asset table and the compliance matrix
per framework. md is the same for tickets and wikis with a Mermaid diagram;
json is the otzone.assessment/v1 document.`,
		Example: `  otzone export report -o report.html
  otzone export report --format md --detail assets -o report.md`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckFormat("format", opts.Format, "html", "md", "json"); err != nil {
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
			return runAssessment(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", "html", "output `FORMAT`: html, md, json")
	cmd.Flags().StringVar(&opts.Detail, "detail", diagram.DetailZones, "diagram detail: zones, assets")
	assessmentFlags(cmd, opts)
	return cmd
}
