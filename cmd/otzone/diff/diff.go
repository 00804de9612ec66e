// Package diff is `otzone diff OLD.db NEW.db`: what changed between two
// databases of one site.
package diff

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/otzone/otzone/cmd/otzone/cmdutil"
	rulesCmd "github.com/otzone/otzone/cmd/otzone/rules"
	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/internal/store"
	"github.com/otzone/otzone/rules"
	"github.com/otzone/otzone/zones"
)

// Options is what `otzone diff` needs.
type Options struct {
	IO     *cmdutil.IOStreams
	Old    string
	New    string
	Format string
	Output string
	Rules  func() (*rules.RuleSet, error)
	// Load reads a database's inventory (tests replace it).
	Load func(ctx context.Context, path string) (*inventory.Inventory, error)
}

// NewCmdDiff returns `otzone diff`.
func NewCmdDiff(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Rules: rulesCmd.Load, Load: loadDB(f)}
	cmd := &cobra.Command{
		Use:   "diff OLD.db NEW.db",
		Short: "Show what changed between two databases: assets, facts, communications, conduits",
		Long: `Compare two otzone databases of one site (last month's and this week's
capture, say): assets that appeared or vanished; identity facts that changed
(firmware, model, vendor, serial, IP, MAC, host name, device type, level);
communications that appeared or vanished; write, program and control
operations never seen before on that client/server/protocol; and conduits
between derived zones that appeared or fell silent. Assets are matched by
their id, which otzone derives from the MAC (or IP behind a router), so the
same device has the same id in both files.

--format json prints the otzone.diff/v1 document.`,
		Example: `  otzone diff last-month.db otzone.db
  otzone diff old.db new.db --format json | jq .new_operations`,
		Args: cmdutil.ExactArgs(2, "diff: give two databases, OLD.db NEW.db"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Old, opts.New = args[0], args[1]
			if err := cmdutil.CheckFormat("format", opts.Format, "table", "json"); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runDiff(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", "table", "output `FORMAT`: table, json")
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "", "write to `FILE` instead of stdout")
	rulesCmd.AddRulesFlag(cmd)
	return cmd
}

// loadDB opens an existing database read-only (never creates, migrates or
// writes it: the old database of a diff is a record of the past) and
// builds its inventory.
func loadDB(f *cmdutil.Factory) func(ctx context.Context, path string) (*inventory.Inventory, error) {
	return func(ctx context.Context, path string) (*inventory.Inventory, error) {
		if _, err := os.Stat(path); err != nil {
			return nil, err
		}
		st, err := store.OpenReadOnly(ctx, path)
		if err != nil {
			return nil, err
		}
		defer st.Close()
		now := f.Now
		opt := inventory.BuildOptions{}
		if now != nil {
			opt.Now = now()
		}
		inv, err := st.Inventory(ctx, opt)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return inv, nil
	}
}

func runDiff(ctx context.Context, opts *Options) error {
	rs, err := opts.Rules()
	if err != nil {
		return err
	}
	old, err := opts.Load(ctx, opts.Old)
	if err != nil {
		return err
	}
	cur, err := opts.Load(ctx, opts.New)
	if err != nil {
		return err
	}
	d, err := zones.DiffInventories(old, cur, rs)
	if err != nil {
		return err
	}
	d.Old, d.New = opts.Old, opts.New
	return cmdutil.WriteOutput(opts.IO, opts.Output, func(w io.Writer) error {
		if opts.Format == "json" {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(d)
		}
		return writeTable(w, opts.IO, d, cur, old)
	})
}

// writeTable prints one row per change: WHAT, SUBJECT, DETAIL (aligned on
// a terminal, tab-separated when piped).
func writeTable(w io.Writer, ios *cmdutil.IOStreams, d *zones.Diff, cur, old *inventory.Inventory) error {
	name := names(cur, old)
	tty := ios.IsStdoutTTY() && ios.Out == w
	sub := &cmdutil.IOStreams{Out: w}
	sub.SetStdoutTTY(tty)
	tp := cmdutil.NewTablePrinter(sub)
	tp.Header("CHANGE", "SUBJECT", "DETAIL")
	add := func(what, subject, detail string) {
		tp.AddField(what)
		tp.AddField(subject)
		tp.AddField(detail)
		tp.EndRow()
	}
	for _, a := range d.NewAssets {
		add("new asset", name(a.ID), words(strings.Join(a.IPs, ","), strings.Join(a.MACs, ","), a.DeviceType, a.Vendor))
	}
	for _, a := range d.VanishedAssets {
		add("vanished asset", name(a.ID), words(strings.Join(a.IPs, ","), strings.Join(a.MACs, ","), a.DeviceType, a.Vendor))
	}
	for _, c := range d.ChangedFacts {
		add("changed "+c.Field, name(c.Asset), fmt.Sprintf("%q -> %q", c.Old, c.New))
	}
	for _, c := range d.NewCommunications {
		add("new communication", name(c.Client)+" -> "+name(c.Server), fmt.Sprintf("%s/%s %d %s", c.Protocol, c.Transport, c.Port, c.Evidence))
	}
	for _, c := range d.GoneCommunications {
		add("vanished communication", name(c.Client)+" -> "+name(c.Server), fmt.Sprintf("%s/%s %d", c.Protocol, c.Transport, c.Port))
	}
	for _, o := range d.NewOperations {
		add("new "+o.Class+" operation", name(o.Client)+" -> "+name(o.Server), fmt.Sprintf("%s %s x%d %s", o.Protocol, o.Name, o.Count, o.Evidence))
	}
	for _, c := range d.NewConduits {
		add("new conduit", c.ID, strings.Join(c.Protocols, ",")+" ("+strconv.Itoa(c.Communications)+" communications)")
	}
	for _, c := range d.UnusedConduits {
		add("unused conduit", c.ID, strings.Join(c.Protocols, ",")+" (was "+strconv.Itoa(c.Communications)+" communications)")
	}
	if d.Empty() && tty {
		_, err := fmt.Fprintln(w, "no changes")
		return err
	}
	return tp.Render()
}

func names(invs ...*inventory.Inventory) func(string) string {
	m := map[string]string{}
	for _, inv := range invs {
		for _, a := range inv.Assets {
			if _, ok := m[a.ID]; ok {
				continue
			}
			n := a.ID
			switch {
			case len(a.Hostnames) > 0:
				n = a.Hostnames[0]
			case len(a.IPs) > 0:
				n = a.IPs[0]
			case len(a.MACs) > 0:
				n = a.MACs[0]
			}
			m[a.ID] = n
		}
	}
	return func(id string) string {
		if n, ok := m[id]; ok {
			return n
		}
		return id
	}
}

// words joins the non-empty parts with one space.
func words(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, " ")
}
