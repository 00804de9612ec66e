package export

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/otzone/otzone/cmd/otzone/cmdutil"
	"github.com/otzone/otzone/discovery/inventory"
)

// InventoryOptions is what `otzone export inventory` needs.
type InventoryOptions struct {
	IO        *cmdutil.IOStreams
	Inventory func(context.Context) (*inventory.Inventory, error)
	Format    string
	// Table is what the CSV holds: "assets" (one row per asset) or
	// "communications" (one row per communication).
	Table  string
	Output string
}

// NewCmdInventory returns `otzone export inventory`.
func NewCmdInventory(f *cmdutil.Factory, runF func(context.Context, *InventoryOptions) error) *cobra.Command {
	opts := &InventoryOptions{IO: f.IOStreams, Inventory: f.Inventory}
	cmd := &cobra.Command{
		Use:   "inventory",
		Short: "Export the asset inventory (JSON otzone.inventory/v1, or CSV)",
		Long: `Export the asset inventory. JSON is the otzone.inventory/v1 document
described in the README (snake_case keys, only ever extended), assets and
communications together. CSV is one table: --table assets (the default, one
row per asset) or --table communications (one row per communication, with
both ends' ids, addresses and names, protocol, port, counts, operations and
attributes). In CSV, cells a spreadsheet would evaluate as a formula are
prefixed with a single quote.`,
		Example: `  otzone export inventory --format json -o inventory.json
  otzone export inventory --format csv -o assets.csv
  otzone export inventory --format csv --table communications -o communications.csv`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckFormat("format", opts.Format, "json", "csv"); err != nil {
				return err
			}
			if err := cmdutil.CheckFormat("table", opts.Table, "assets", "communications"); err != nil {
				return err
			}
			if opts.Format != "csv" && cmd.Flags().Changed("table") {
				return cmdutil.FlagErrorf("--table applies to --format csv (the JSON document holds every table)")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runInventory(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", "json", "output `FORMAT`: json, csv")
	cmd.Flags().StringVar(&opts.Table, "table", "assets", "CSV `TABLE`: assets, communications")
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "", "write to `FILE` instead of stdout")
	return cmd
}

func runInventory(ctx context.Context, opts *InventoryOptions) error {
	inv, err := opts.Inventory(ctx)
	if err != nil {
		return err
	}
	return cmdutil.WriteOutput(opts.IO, opts.Output, func(w io.Writer) error {
		if opts.Format == "csv" {
			if opts.Table == "communications" {
				return inventory.WriteCommunicationsCSV(w, inv)
			}
			return inventory.WriteCSV(w, inv)
		}
		return inventory.WriteJSON(w, inv)
	})
}
