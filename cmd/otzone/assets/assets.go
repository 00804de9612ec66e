// Package assets is `otzone assets` (the inventory as a table, JSON or CSV)
// and `otzone assets show ID` (one asset with the provenance of every fact).
package assets

import (
	"context"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/otzone/otzone/cmd/otzone/cmdutil"
	rulesCmd "github.com/otzone/otzone/cmd/otzone/rules"
	"github.com/otzone/otzone/discovery/inventory"
)

// ListOptions is what `otzone assets` needs.
type ListOptions struct {
	IO        *cmdutil.IOStreams
	Inventory func(context.Context) (*inventory.Inventory, error)
	Format    string
}

// NewCmdAssets returns `otzone assets` with its `show` verb.
func NewCmdAssets(f *cmdutil.Factory) *cobra.Command {
	cmd := NewCmdList(f, nil)
	cmd.AddCommand(NewCmdShow(f, nil))
	rulesCmd.AddRulesFlag(cmd)
	return cmd
}

// NewCmdList returns `otzone assets` (the noun lists when given no verb).
func NewCmdList(f *cmdutil.Factory, runF func(context.Context, *ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams, Inventory: f.Inventory}
	cmd := &cobra.Command{
		Use:   "assets",
		Short: "List the asset inventory",
		Long: `List every asset merged from what was ingested, captured and probed.

On a terminal the list is an aligned table; piped, it is tab-separated
rows without a header. --format json prints the otzone.inventory/v1
document (the same as "otzone export inventory --format json"); --format csv
prints one row per asset with spreadsheet formula injection defused.`,
		Example: `  otzone assets
  otzone assets --format json | jq '.assets[] | select(.vendor != "")'
  otzone assets show 10.10.10.11`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckFormat("format", opts.Format, "table", "json", "csv"); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runList(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", "table", "output `FORMAT`: table, json, csv")
	return cmd
}

func runList(ctx context.Context, opts *ListOptions) error {
	inv, err := opts.Inventory(ctx)
	if err != nil {
		return err
	}
	switch opts.Format {
	case "json":
		return inventory.WriteJSON(opts.IO.Out, inv)
	case "csv":
		return inventory.WriteCSV(opts.IO.Out, inv)
	}
	tp := cmdutil.NewTablePrinter(opts.IO)
	tp.Header("ID", "IP", "MAC", "NAME", "VENDOR", "MODEL", "FIRMWARE", "TYPE", "SERVICES")
	tp.Fixed(0, 1, 2)
	for _, a := range inv.Assets {
		tp.AddField(a.ID)
		tp.AddField(firstPlus(a.IPs))
		mac := firstPlus(a.MACs)
		if a.Via != "" {
			mac = "via " + a.Via
		}
		tp.AddField(mac)
		tp.AddField(strings.Join(a.Hostnames, ","))
		tp.AddField(a.Vendor)
		tp.AddField(a.Model)
		tp.AddField(a.Firmware)
		tp.AddField(a.DeviceType)
		tp.AddField(serviceSummary(a.Services))
		tp.EndRow()
	}
	if len(inv.Assets) == 0 && opts.IO.IsStdoutTTY() {
		opts.IO.ErrOut.Write([]byte("no assets yet: run otzone ingest FILE first\n"))
		return nil
	}
	return tp.Render()
}

// serviceSummary lists the protocols an asset serves (roles other than
// client), then the ones it uses, e.g. "modbus/502 enip/44818 > dns".
func serviceSummary(ss []inventory.Service) string {
	var srv, cli []string
	seen := map[string]bool{}
	for _, s := range ss {
		client := s.Role == "client" || s.Role == "master" || s.Role == "subscriber"
		name := s.Protocol
		if !client && s.Port != 0 {
			name += "/" + strconv.Itoa(s.Port)
		}
		k := name + "|" + s.Role
		if seen[k] {
			continue
		}
		seen[k] = true
		if client {
			cli = append(cli, name)
		} else {
			srv = append(srv, name)
		}
	}
	out := strings.Join(srv, " ")
	if len(cli) > 0 {
		if out != "" {
			out += " "
		}
		out += "> " + strings.Join(cli, " ")
	}
	return out
}

// firstPlus shows a list in a table cell: the first item and how many more
// ("10.10.10.1 +2"); `assets show` lists them all.
func firstPlus(vs []string) string {
	switch len(vs) {
	case 0:
		return ""
	case 1:
		return vs[0]
	}
	return vs[0] + " +" + strconv.Itoa(len(vs)-1)
}
