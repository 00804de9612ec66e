package export

import (
	"context"
	"io"
	"time"

	"github.com/spf13/cobra"

	assessCmd "github.com/otzone/otzone/cmd/otzone/assess"
	"github.com/otzone/otzone/cmd/otzone/cmdutil"
	rulesCmd "github.com/otzone/otzone/cmd/otzone/rules"
	zonesCmd "github.com/otzone/otzone/cmd/otzone/zones"
	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/rules"
)

// AssessmentOptions is what `otzone export assessment` and `export report` need.
type AssessmentOptions struct {
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

// NewCmdAssessment returns `otzone export assessment` (JSON otzone.assessment/v1).
func NewCmdAssessment(f *cmdutil.Factory, runF func(context.Context, *AssessmentOptions) error) *cobra.Command {
	opts := &AssessmentOptions{IO: f.IOStreams, Inventory: f.Inventory, Rules: rulesCmd.Load, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "assessment",
		Short: "Export the assessment as JSON (otzone.assessment/v1)",
		Long: `Write the assessment document: per zone SL-T, SL-A (an upper bound from
traffic) and gap per FR, the findings with evidence and references, the
compliance matrix and the asset rows (schema otzone.assessment/v1).`,
		Example: `  otzone export assessment -o assessment.json
  otzone export assessment --model zones.yaml --target-sl 3`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckFormat("format", opts.Format, "json"); err != nil {
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
	cmd.Flags().StringVar(&opts.Format, "format", "json", "output `FORMAT`: json")
	assessmentFlags(cmd, opts)
	return cmd
}

func assessmentFlags(cmd *cobra.Command, opts *AssessmentOptions) {
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "", "write to `FILE` instead of stdout")
	cmd.Flags().StringVar(&opts.Model, "model", "", "place assets in the designed model in `FILE` and check it")
	cmd.Flags().StringVar(&opts.TargetSL, "target-sl", "", "SL-T (0-4) of zones that have none (default: by zone kind)")
	rulesCmd.AddRulesFlag(cmd)
}

func runAssessment(ctx context.Context, opts *AssessmentOptions) error {
	r, err := assessCmd.Build(ctx, opts.Inventory, opts.Rules, opts.Model, opts.TargetSL, opts.Now)
	if err != nil {
		return err
	}
	return cmdutil.WriteOutput(opts.IO, opts.Output, func(w io.Writer) error {
		return assessCmd.Write(ctx, w, r, opts.Format, opts.Detail, opts.IO)
	})
}
