// Package assess is `otzone assess`: score the zones against their target
// security levels, evaluate the finding rules and print or write the
// assessment (table, JSON otzone.assessment/v1, Markdown, HTML). Build and
// Write are shared with `otzone export assessment|report|diagram`.
package assess

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/otzone/otzone/assess"
	"github.com/otzone/otzone/cmd/otzone/cmdutil"
	rulesCmd "github.com/otzone/otzone/cmd/otzone/rules"
	zonesCmd "github.com/otzone/otzone/cmd/otzone/zones"
	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/rules"
	"github.com/otzone/otzone/zones"
	"github.com/otzone/otzone/zones/diagram"
)

// Options is what `otzone assess` needs.
type Options struct {
	IO        *cmdutil.IOStreams
	Inventory func(context.Context) (*inventory.Inventory, error)
	Rules     func() (*rules.RuleSet, error)
	Now       func() time.Time
	Model     string
	TargetSL  string
	Format    string
	Output    string
	Detail    string
}

// NewCmdAssess returns `otzone assess`.
func NewCmdAssess(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Inventory: f.Inventory, Rules: rulesCmd.Load, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "assess",
		Short: "Score zones against their target security level and report findings",
		Long: `Group the inventory into zones (or place it in the designed model given with
--model), then:

  - evaluate the finding rules (otzone rules list --kind finding): cleartext
    industrial protocols crossing zones, writes and program downloads from
    unexpected hosts, OPC UA SecurityPolicy None, Telnet/FTP/HTTP/SNMPv1-2c
    to controllers, IT talking to controllers without a DMZ, remote access
    into control zones, flat networks, undeclared conduits, internet peers,
    missing time synchronisation and unknown assets;
  - score each zone per IEC 62443 foundational requirement FR1-FR7: SL-T
    (from the model, --target-sl N, or the default of the zone's kind) against
    the SL-A the traffic allows. Traffic proves missing capabilities, rarely
    present ones, so SL-A is an upper bound and an FR without evidence is
    "no gap seen" or "not observable from traffic";
  - map every finding to IEC 62443-3-3, 62443-3-2, NIST SP 800-82r3,
    SP 800-53r5, CSF 2.0 and ATT&CK for ICS, with each reference's basis.

--format table (default) prints the gap table and the findings; json is the
otzone.assessment/v1 document; md is a Markdown report with a Mermaid
diagram; html is a self-contained offline report (diagram, gap heat table,
findings with evidence, filterable asset table, compliance matrix).`,
		Example: `  otzone assess
  otzone assess --format html -o report.html
  otzone assess --model zones.yaml --target-sl 2 --format json | jq '.zones[] | {zone, gap}'`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckFormat("format", opts.Format, "table", "json", "md", "html"); err != nil {
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
			return runAssess(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Model, "model", "", "place assets in the designed model in `FILE` and check it")
	cmd.Flags().StringVar(&opts.TargetSL, "target-sl", "", "SL-T (0-4) of zones that have none (default: by zone kind)")
	cmd.Flags().StringVar(&opts.Format, "format", "table", "output `FORMAT`: table, json, md, html")
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "", "write to `FILE` instead of stdout")
	cmd.Flags().StringVar(&opts.Detail, "detail", diagram.DetailZones, "diagram detail in md/html reports: zones, assets")
	rulesCmd.AddRulesFlag(cmd)
	return cmd
}

// Result is an assessment with what it was computed from.
type Result struct {
	Assessment *assess.Assessment
	Model      *zones.Model
	Inventory  *inventory.Inventory
}

// Build loads rules and inventory, derives (or checks) the zone model and
// runs the assessment.
func Build(ctx context.Context, inv func(context.Context) (*inventory.Inventory, error), loadRules func() (*rules.RuleSet, error),
	modelPath, targetSL string, now func() time.Time) (*Result, error) {
	rs, err := loadRules()
	if err != nil {
		return nil, err
	}
	in, err := inv(ctx)
	if err != nil {
		return nil, err
	}
	m, err := zonesCmd.Build(in, rs, modelPath, targetSL)
	if err != nil {
		return nil, err
	}
	a, err := assess.Run(in, m, rs, assess.Options{Now: now})
	if err != nil {
		return nil, err
	}
	return &Result{Assessment: a, Model: m, Inventory: in}, nil
}

// Write renders r in format: json, md, html (and table for the terminal).
func Write(ctx context.Context, w io.Writer, r *Result, format, detail string, ios *cmdutil.IOStreams) error {
	switch format {
	case "json":
		return assess.WriteJSON(w, r.Assessment)
	case "md":
		return assess.WriteMarkdown(w, r.Assessment, assess.Diagram(r.Assessment, r.Model, r.Inventory, detail))
	case "html":
		return assess.WriteHTML(ctx, w, r.Assessment, assess.Diagram(r.Assessment, r.Model, r.Inventory, detail))
	case "table":
		cp := *ios
		cp.Out = w
		return writeTable(w, r.Assessment, &cp)
	}
	return fmt.Errorf("assess: unknown format %q", format)
}

func runAssess(ctx context.Context, opts *Options) error {
	r, err := Build(ctx, opts.Inventory, opts.Rules, opts.Model, opts.TargetSL, opts.Now)
	if err != nil {
		return err
	}
	ios := *opts.IO
	if opts.Output != "" && opts.Output != "-" {
		ios.SetStdoutTTY(false)
	}
	return cmdutil.WriteOutput(opts.IO, opts.Output, func(w io.Writer) error {
		return Write(ctx, w, r, opts.Format, opts.Detail, &ios)
	})
}

// writeTable prints the gap table and the findings. On a terminal the two
// are titled tables; piped, each row starts with its record type (zone,
// finding) so the stream stays parseable.
func writeTable(w io.Writer, a *assess.Assessment, ios *cmdutil.IOStreams) error {
	tty := ios.IsStdoutTTY()
	esc := cmdutil.EscapeTerminal
	if tty {
		fmt.Fprintf(w, "GAP TABLE (%d zones; T=SL-T, A<=upper bound from traffic)\n", len(a.Zones))
	}
	tp := cmdutil.NewTablePrinter(ios)
	hdr := []string{"ZONE", "KIND", "SL-T"}
	for i := 1; i <= 7; i++ {
		hdr = append(hdr, "FR"+strconv.Itoa(i))
	}
	hdr = append(hdr, "FINDINGS")
	tp.Header(hdr...)
	for _, z := range a.Zones {
		if !tty {
			tp.AddField("zone")
		}
		tp.AddField(esc(z.Zone))
		tp.AddField(z.Kind)
		tp.AddField(z.SLTarget.Compact())
		for _, c := range z.FR {
			tp.AddField(shortCell(c))
		}
		tp.AddField(strconv.Itoa(len(z.Findings)))
		tp.EndRow()
	}
	if err := tp.Render(); err != nil {
		return err
	}
	if tty {
		fmt.Fprintf(w, "\nFINDINGS (%d)\n", len(a.Findings))
	}
	tp = cmdutil.NewTablePrinter(ios)
	tp.Header("SEVERITY", "ID", "EVIDENCE", "FIRST EVIDENCE", "BECAUSE")
	for _, f := range a.Findings {
		if !tty {
			tp.AddField("finding")
		}
		first := ""
		if len(f.Evidence) > 0 {
			first = f.Evidence[0].Source
		}
		tp.AddField(f.Severity)
		tp.AddField(esc(f.ID))
		tp.AddField(strconv.Itoa(f.EvidenceTotal))
		tp.AddField(esc(first))
		tp.AddField(esc(f.Because))
		tp.EndRow()
	}
	if err := tp.Render(); err != nil {
		return err
	}
	if tty && len(a.NotEvaluated) > 0 {
		var parts []string
		for _, n := range a.NotEvaluated {
			parts = append(parts, n.Rule+" ("+n.Reason+")")
		}
		fmt.Fprintf(w, "\nnot evaluated: %s\n", esc(strings.Join(parts, "; ")))
	}
	return nil
}

func shortCell(c assess.FRScore) string {
	switch c.Status {
	case assess.StatusGap:
		return fmt.Sprintf("GAP%d", c.Gap)
	case assess.StatusMeetsSeen:
		return "ok"
	case assess.StatusNotRequired:
		return "-"
	}
	return "n/o"
}
