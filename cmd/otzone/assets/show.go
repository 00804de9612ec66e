package assets

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/otzone/otzone/cmd/otzone/cmdutil"
	"github.com/otzone/otzone/discovery/inventory"
)

// ShowOptions is what `otzone assets show` needs.
type ShowOptions struct {
	IO        *cmdutil.IOStreams
	Inventory func(context.Context) (*inventory.Inventory, error)
	Query     string
	Format    string
}

// NewCmdShow returns `otzone assets show ID`.
func NewCmdShow(f *cmdutil.Factory, runF func(context.Context, *ShowOptions) error) *cobra.Command {
	opts := &ShowOptions{IO: f.IOStreams, Inventory: f.Inventory}
	cmd := &cobra.Command{
		Use:   "show ID|IP|MAC|HOSTNAME",
		Short: "Show one asset with the provenance of every fact",
		Long: `Show one asset: every fact with its source (pcap:FILE#frame=N,
probe:modbus@HOST), confidence and first sighting; which candidate won each
identity field (vendor, model, firmware, serial) and why; the rules'
decisions; and its communications.

The asset may be named by id, a unique id prefix, a MAC, an IP or a hostname.`,
		Example: `  otzone assets show 3f2a9c1b7d0e
  otzone assets show 10.10.10.11
  otzone assets show 00:80:f4:10:00:11 --format json`,
		Args: cmdutil.ExactArgs(1, "assets show: one asset id, IP, MAC or hostname is required"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Query = args[0]
			if err := cmdutil.CheckFormat("format", opts.Format, "text", "json"); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runShow(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", "text", "output `FORMAT`: text, json")
	return cmd
}

func runShow(ctx context.Context, opts *ShowOptions) error {
	inv, err := opts.Inventory(ctx)
	if err != nil {
		return err
	}
	found := inv.Find(opts.Query)
	switch len(found) {
	case 0:
		return fmt.Errorf("no asset matches %q (try otzone assets)", opts.Query)
	case 1:
	default:
		ids := make([]string, len(found))
		for i, a := range found {
			ids[i] = a.ID
		}
		return fmt.Errorf("%q matches %d assets: %s", opts.Query, len(found), strings.Join(ids, ", "))
	}
	a := found[0]
	if opts.Format == "json" {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(a)
	}
	return writeAsset(opts.IO.Out, inv, a)
}

func esc(s string) string { return cmdutil.EscapeTerminal(s) }

func ts(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func conf(c float64) string { return strconv.FormatFloat(c, 'f', 2, 64) }

func writeAsset(w io.Writer, inv *inventory.Inventory, a *inventory.Asset) error {
	bw := &errWriter{w: w}
	p := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }
	p("asset %s  (%s)\n", esc(a.ID), esc(a.Key))
	list := func(label string, vs []string) {
		out := make([]string, len(vs))
		for i, v := range vs {
			out[i] = esc(v)
		}
		p("  %-13s %s\n", label+":", orDash(strings.Join(out, ", ")))
	}
	list("macs", a.MACs)
	list("ips", a.IPs)
	list("hostnames", a.Hostnames)
	if a.Via != "" {
		via := esc(a.Via)
		if g := inv.AssetByID(a.Via); g != nil {
			via += " (" + esc(g.Key) + ")"
		}
		p("  %-13s %s\n", "via:", via)
	}
	for _, field := range inventory.FieldNames {
		var v string
		switch field {
		case "vendor":
			v = a.Vendor
		case "model":
			v = a.Model
		case "firmware":
			v = a.Firmware
		case "serial":
			v = a.Serial
		}
		p("  %-13s %s\n", field+":", orDash(esc(v)))
		for _, c := range a.Fields[field] {
			mark := " "
			if c.Chosen {
				mark = "*"
			}
			p("      %s %-30s from %s, %s, confidence %s\n", mark, esc(c.Value), esc(c.From), esc(c.Source), conf(c.Confidence))
		}
	}
	purdue := "-"
	if a.PurdueLevel != nil {
		purdue = strconv.Itoa(*a.PurdueLevel)
	}
	p("  %-13s %s\n", "device_type:", esc(a.DeviceType))
	p("  %-13s %s\n", "purdue_level:", purdue)
	for _, d := range a.Decisions {
		won := "lost"
		if d.Won {
			won = "won"
		}
		p("      %s=%s by rule %s (priority %d, %s, confidence %s): %s\n", esc(d.Field), esc(d.Value), esc(d.Rule),
			d.Priority, won, conf(d.Confidence), esc(d.Because))
		for _, e := range d.Evidence {
			p("          evidence %s\n", esc(e))
		}
	}
	list("sites", a.Sites)
	p("  %-13s %s\n", "first_seen:", ts(a.FirstSeen))
	p("  %-13s %s\n", "last_seen:", ts(a.LastSeen))

	p("\nservices:\n")
	if len(a.Services) == 0 {
		p("  -\n")
	}
	for _, s := range a.Services {
		p("  %-28s source %s, first seen %s\n", esc(inventory.ServiceString(s)), orDash(esc(s.Source)), ts(s.FirstSeen))
	}
	p("\nfacts:\n")
	if len(a.Attributes) == 0 {
		p("  -\n")
	}
	for _, at := range a.Attributes {
		p("  %s = %s\n      source %s, confidence %s, first seen %s, seen %d times\n",
			esc(at.Key), esc(at.Value), esc(at.Source), conf(at.Confidence), ts(at.FirstSeen), max(at.Count, 1))
	}
	p("\ncommunications:\n")
	var comms []inventory.Communication
	for _, c := range inv.Communications {
		if c.Client == a.ID || c.Server == a.ID {
			comms = append(comms, c)
		}
	}
	sort.SliceStable(comms, func(i, j int) bool { return comms[i].Packets > comms[j].Packets })
	if len(comms) == 0 {
		p("  -\n")
	}
	for _, c := range comms {
		dir, peer := "->", c.Server
		if c.Server == a.ID {
			dir, peer = "<-", c.Client
		}
		name := peer
		if pa := inv.AssetByID(peer); pa != nil && len(pa.IPs) > 0 {
			name += " (" + pa.IPs[0] + ")"
		}
		p("  %s %s %s/%s/%d  %d packets, %d bytes, %s .. %s, first %s\n", dir, esc(name), esc(c.Protocol), esc(c.Transport),
			c.Port, c.Packets, c.Bytes, ts(c.FirstSeen), ts(c.LastSeen), orDash(esc(c.Source)))
		for _, o := range c.Operations {
			p("       op %d %s (%s) x%d, first %s\n", o.Code, esc(o.Name), esc(o.Class), o.Count, orDash(esc(o.Source)))
		}
		for _, at := range c.Attributes {
			p("       %s = %s (%s)\n", esc(at.Key), esc(at.Value), esc(at.Source))
		}
	}
	return bw.err
}

// errWriter keeps the first write error so the printer can ignore them.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(b []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(b)
	e.err = err
	return n, err
}
