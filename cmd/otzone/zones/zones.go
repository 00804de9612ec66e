// Package zones is `otzone zones` (derived zones and conduits, or a designed
// model checked against traffic) and `otzone zones init` (the observed model
// as an editable designed-model file).
package zones

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/otzone/otzone/cmd/otzone/cmdutil"
	rulesCmd "github.com/otzone/otzone/cmd/otzone/rules"
	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/rules"
	"github.com/otzone/otzone/zones"
)

// Options is what `otzone zones` needs.
type Options struct {
	IO        *cmdutil.IOStreams
	Inventory func(context.Context) (*inventory.Inventory, error)
	Rules     func() (*rules.RuleSet, error)
	Model     string
	Format    string
	TargetSL  string
}

// NewCmdZones returns `otzone zones` with its `init` verb.
func NewCmdZones(f *cmdutil.Factory) *cobra.Command {
	cmd := NewCmdList(f, nil)
	cmd.AddCommand(NewCmdInit(f, nil))
	rulesCmd.AddRulesFlag(cmd)
	return cmd
}

// NewCmdList returns `otzone zones` (the noun lists when given no verb).
func NewCmdList(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Inventory: f.Inventory, Rules: rulesCmd.Load}
	cmd := &cobra.Command{
		Use:   "zones",
		Short: "Show zones and conduits, derived from traffic or checked against a designed model",
		Long: `Without --model, group the inventory into IEC 62443 zones (by Purdue level,
VLAN or subnet, and which controllers share supervisory clients) and show the
conduits between them: protocols, ports, who initiates, volume, whether every
communication is encrypted, and the write/program/control operations that
cross.

With --model FILE, place the assets in the zones the file declares and report
the violations: undeclared_conduit, protocol_not_allowed,
direction_not_allowed, unused_conduit, asset_outside_model,
asset_in_two_zones and purdue_shortcut (level 4/5 talking straight to 0/1,
also reported without a model).

Zones without an SL-T in the model get --target-sl N, else the default of
their kind (README: "SL-T defaults").`,
		Example: `  otzone zones
  otzone zones --format json | jq '.conduits[] | select(.encrypted | not)'
  otzone zones init > zones.yaml
  otzone zones --model zones.yaml`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckFormat("format", opts.Format, "table", "json"); err != nil {
				return err
			}
			if _, err := ParseTargetSL(opts.TargetSL); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runList(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Model, "model", "", "check the designed model in `FILE` against the traffic")
	cmd.Flags().StringVar(&opts.Format, "format", "table", "output `FORMAT`: table, json")
	cmd.Flags().StringVar(&opts.TargetSL, "target-sl", "", "SL-T (0-4) of zones that have none (default: by zone kind)")
	return cmd
}

// ParseTargetSL reads --target-sl ("" is none).
func ParseTargetSL(s string) (*zones.SecurityLevel, error) {
	if s == "" {
		return nil, nil
	}
	l, err := zones.ParseSecurityLevel(s)
	if err != nil {
		return nil, cmdutil.FlagErrorf("--target-sl %q: want 0 to 4", s)
	}
	return &l, nil
}

// Build classifies inv with rs and returns the derived model, or the
// designed model in modelPath compared with the traffic. It is shared with
// `otzone export zones`.
func Build(inv *inventory.Inventory, rs *rules.RuleSet, modelPath, targetSL string) (*zones.Model, error) {
	sl, err := ParseTargetSL(targetSL)
	if err != nil {
		return nil, err
	}
	if err := rules.Classify(inv, rs); err != nil {
		return nil, err
	}
	opt := zones.Options{TargetSL: sl}
	if modelPath == "" {
		return zones.Derive(inv, rs, opt)
	}
	designed, err := zones.ParseModelFile(modelPath)
	if err != nil {
		return nil, err
	}
	return zones.Compare(designed, inv, opt)
}

func load(ctx context.Context, opts *Options) (*zones.Model, *inventory.Inventory, error) {
	rs, err := opts.Rules()
	if err != nil {
		return nil, nil, err
	}
	inv, err := opts.Inventory(ctx)
	if err != nil {
		return nil, nil, err
	}
	m, err := Build(inv, rs, opts.Model, opts.TargetSL)
	return m, inv, err
}

func runList(ctx context.Context, opts *Options) error {
	m, inv, err := load(ctx, opts)
	if err != nil {
		return err
	}
	if opts.Format == "json" {
		return WriteJSON(opts.IO.Out, m)
	}
	return writeTable(opts.IO, m, inv)
}

// WriteJSON writes the otzone.zones/v1 document.
func WriteJSON(w io.Writer, m *zones.Model) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(m)
}

func levelString(p *int) string {
	if p == nil {
		return "-"
	}
	return strconv.Itoa(*p)
}

// writeTable prints zones, conduits and violations. On a terminal they are
// three titled tables; piped, every row starts with its record type (zone,
// conduit, violation) so that one tab-separated stream stays parseable.
func writeTable(ios *cmdutil.IOStreams, m *zones.Model, inv *inventory.Inventory) error {
	tty := ios.IsStdoutTTY()
	names := map[string]string{}
	for _, a := range inv.Assets {
		n := a.ID
		if len(a.Hostnames) > 0 {
			n = a.Hostnames[0]
		} else if len(a.IPs) > 0 {
			n = a.IPs[0]
		} else if len(a.MACs) > 0 {
			n = a.MACs[0]
		}
		names[a.ID] = n
	}
	section := func(title string) {
		if tty {
			fmt.Fprintf(ios.Out, "%s\n", title)
		}
	}
	row := func(tp *cmdutil.TablePrinter, kind string, cells ...string) {
		if !tty {
			tp.AddField(kind)
		}
		for _, c := range cells {
			tp.AddField(c)
		}
		tp.EndRow()
	}
	section(fmt.Sprintf("ZONES (%d)", len(m.Zones)))
	tp := cmdutil.NewTablePrinter(ios)
	tp.Header("ID", "KIND", "LEVEL", "ASSETS", "SL-T", "DECLARED", "MEMBERS")
	tp.Fixed(0)
	for _, z := range m.Zones {
		var mem []string
		for _, id := range z.Assets {
			mem = append(mem, names[id])
		}
		row(tp, "zone", z.ID, z.Kind.String(), levelString(z.PurdueLevel), strconv.Itoa(len(z.Assets)), z.SLTarget.Compact(), yesNo(z.Declared), strings.Join(mem, " "))
	}
	if err := tp.Render(); err != nil {
		return err
	}
	if tty {
		fmt.Fprintln(ios.Out)
	}
	section(fmt.Sprintf("CONDUITS (%d)", len(m.Conduits)))
	tp = cmdutil.NewTablePrinter(ios)
	tp.Header("ID", "COMMS", "ENCRYPTED", "W/P/C", "DECLARED", "INITIATED BY", "PROTOCOLS")
	tp.Fixed(0)
	for _, c := range m.Conduits {
		ops := fmt.Sprintf("%d/%d/%d", c.Operations["write"], c.Operations["program"], c.Operations["control"])
		row(tp, "conduit", c.ID, strconv.Itoa(c.Communications), yesNo(c.Encrypted), ops, yesNo(c.Declared),
			strings.Join(c.Initiators, ","), strings.Join(c.Protocols, ","))
	}
	if err := tp.Render(); err != nil {
		return err
	}
	if len(m.Violations) == 0 && m.Source == "derived" {
		return nil
	}
	if tty {
		fmt.Fprintln(ios.Out)
	}
	section(fmt.Sprintf("VIOLATIONS (%d)", len(m.Violations)))
	if tty {
		// A detail is a sentence: on a terminal it gets its own line.
		for _, v := range m.Violations {
			fmt.Fprintf(ios.Out, "%s  %s\n", v.Kind, cmdutil.EscapeTerminal(v.Detail))
			if len(v.Communications) > 0 {
				c := v.Communications[0]
				fmt.Fprintf(ios.Out, "    e.g. %s -> %s %s/%d  %s\n", cmdutil.EscapeTerminal(names[c.Client]), cmdutil.EscapeTerminal(names[c.Server]),
					cmdutil.EscapeTerminal(c.Protocol), c.Port, cmdutil.EscapeTerminal(c.Evidence))
			}
		}
		return nil
	}
	tp = cmdutil.NewTablePrinter(ios)
	for _, v := range m.Violations {
		ev := ""
		if len(v.Communications) > 0 {
			ev = v.Communications[0].Evidence
		}
		row(tp, "violation", string(v.Kind), strconv.Itoa(len(v.Communications)), ev, v.Detail)
	}
	return tp.Render()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
