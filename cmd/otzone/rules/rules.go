package rules

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/otzone/otzone/cmd/otzone/cmdutil"
	"github.com/otzone/otzone/rules"
	"github.com/otzone/otzone/zones"
)

// NewCmdRules returns `otzone rules` with list and check.
func NewCmdRules(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rules <command>",
		Short: "List the classification, zoning and finding rules; check rule and model files",
		Long: `otzone decides device types, Purdue levels and zones with declarative YAML
rules: the built-in ones (embedded in the binary) plus yours, loaded from
--rules DIR (or $OTZONE_RULES). A user rule that reuses a built-in id must say
override: true.`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmdutil.FlagErrorf("rules: name a command: list, check")
		},
	}
	AddRulesFlag(cmd)
	cmd.AddCommand(NewCmdList(f, nil))
	cmd.AddCommand(NewCmdCheck(f, nil))
	return cmd
}

// ListOptions is what `otzone rules list` needs.
type ListOptions struct {
	IO     *cmdutil.IOStreams
	Load   func() (*rules.RuleSet, error)
	Format string
	Kind   string
}

// NewCmdList returns `otzone rules list`.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams, Load: Load}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List built-in and user rules",
		Example: `  otzone rules list
  otzone rules list --kind classify
  otzone rules list --rules ./site-rules --format json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckFormat("format", opts.Format, "table", "json"); err != nil {
				return err
			}
			if opts.Kind != "" {
				if err := cmdutil.CheckFormat("kind", opts.Kind, "classify", "zone", "finding"); err != nil {
					return err
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return runList(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", "table", "output `FORMAT`: table, json")
	cmd.Flags().StringVar(&opts.Kind, "kind", "", "only rules of `KIND`: classify, zone, finding")
	return cmd
}

// listEntry is one rule in `rules list --format json`.
type listEntry struct {
	ID       string `json:"id"`
	Kind     string `json:"kind"`
	Priority int    `json:"priority"`
	Title    string `json:"title"`
	Source   string `json:"source"`
	File     string `json:"file"`
	Disabled bool   `json:"disabled,omitempty"`
	Override bool   `json:"override,omitempty"`
}

func runList(opts *ListOptions) error {
	rs, err := opts.Load()
	if err != nil {
		return err
	}
	var list []listEntry
	for _, r := range rs.Rules {
		if opts.Kind != "" && string(r.Kind) != opts.Kind {
			continue
		}
		list = append(list, listEntry{ID: r.ID, Kind: string(r.Kind), Priority: r.Priority, Title: r.Title, Source: r.Origin, File: r.File, Disabled: r.Disabled, Override: r.Override})
	}
	if opts.Format == "json" {
		if list == nil {
			list = []listEntry{}
		}
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Rules []listEntry `json:"rules"`
		}{list})
	}
	tp := cmdutil.NewTablePrinter(opts.IO)
	tp.Header("ID", "KIND", "PRIORITY", "SOURCE", "TITLE")
	tp.Fixed(0)
	for _, e := range list {
		src := e.Source
		if e.Disabled {
			src += " (disabled)"
		}
		tp.AddField(e.ID)
		tp.AddField(e.Kind)
		tp.AddField(strconv.Itoa(e.Priority))
		tp.AddField(src)
		tp.AddField(e.Title)
		tp.EndRow()
	}
	return tp.Render()
}

// CheckOptions is what `otzone rules check` needs.
type CheckOptions struct {
	IO    *cmdutil.IOStreams
	Files []string
}

// NewCmdCheck returns `otzone rules check FILE...`.
func NewCmdCheck(f *cmdutil.Factory, runF func(*CheckOptions) error) *cobra.Command {
	opts := &CheckOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "check FILE...",
		Short: "Validate rule files and designed-model files",
		Long: `Validate each FILE strictly: a rule file (one or more YAML documents, each a
rule) or a designed-model file (top-level zones:/conduits:), told apart by
its keys. Every problem is one line FILE:LINE:COLUMN: message; the exit
status is 1 when any file has one.`,
		Example: `  otzone rules check site-rules/*.yaml
  otzone rules check zones.yaml`,
		Args: cmdutil.MinimumArgs(1, "rules check: give at least one rule or model file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Files = args
			if runF != nil {
				return runF(opts)
			}
			return runCheck(opts)
		},
	}
	return cmd
}

func runCheck(opts *CheckOptions) error {
	failed := 0
	for _, path := range opts.Files {
		msg, err := checkFile(path)
		if err != nil {
			failed++
			for _, e := range rules.AsErrorList(err) {
				fmt.Fprintln(opts.IO.ErrOut, cmdutil.EscapeTerminal(e.Error()))
			}
			continue
		}
		fmt.Fprintf(opts.IO.Out, "%s: ok (%s)\n", cmdutil.EscapeTerminal(path), msg)
	}
	if failed > 0 {
		return cmdutil.ErrSilent
	}
	return nil
}

func checkFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 8<<20))
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	if !rules.LooksLikeRuleFile(data) {
		m, err := zones.ParseModel(path, data)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("designed model: %d zones, %d conduits", len(m.Zones), len(m.Conduits)), nil
	}
	rs, err := rules.Parse(path, data, rules.OriginUser)
	if err != nil {
		return "", err
	}
	b, err := rules.Builtin()
	if err != nil {
		return "", err
	}
	if _, err := rules.NewRuleSet(b, rs); err != nil {
		return "", err
	}
	n := strconv.Itoa(len(rs)) + " rule"
	if len(rs) != 1 {
		n += "s"
	}
	return n, nil
}
