// Package export is `otzone export KIND`: each kind is a file in this
// package with its own NewCmdX (inventory.go here; zones, assessment,
// diagram and report are added beside it).
package export

import (
	"github.com/spf13/cobra"

	"github.com/otzone/otzone/cmd/otzone/cmdutil"
	rulesCmd "github.com/otzone/otzone/cmd/otzone/rules"
)

// NewCmdExport returns `otzone export` with every kind attached.
func NewCmdExport(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export <kind>",
		Short: "Export the inventory, zones, assessment, diagrams and reports",
		Long: `Write one of otzone's products to stdout, or to a file with -o (written to a
temporary file and renamed, so a failed export never leaves half a file).`,
		Example: `  otzone export inventory --format json -o inventory.json
  otzone export inventory --format csv > assets.csv`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmdutil.FlagErrorf("export: name a kind: %s", kindNames(cmd))
		},
	}
	// ---- Kinds: add yours here, one line each (keep alphabetical). ----
	cmd.AddCommand(NewCmdAssessment(f, nil))
	cmd.AddCommand(NewCmdDiagram(f, nil))
	cmd.AddCommand(NewCmdInventory(f, nil))
	cmd.AddCommand(NewCmdReport(f, nil))
	cmd.AddCommand(NewCmdZones(f, nil))
	// ---- end of kinds ----
	rulesCmd.AddRulesFlag(cmd)
	return cmd
}

func kindNames(cmd *cobra.Command) string {
	s := ""
	for i, c := range cmd.Commands() {
		if i > 0 {
			s += ", "
		}
		s += c.Name()
	}
	return s
}
