// Package root assembles the otzone command tree.
package root

import (
	"log/slog"

	"github.com/spf13/cobra"

	assessCmd "github.com/otzone/otzone/cmd/otzone/assess"
	assetsCmd "github.com/otzone/otzone/cmd/otzone/assets"
	captureCmd "github.com/otzone/otzone/cmd/otzone/capture"
	"github.com/otzone/otzone/cmd/otzone/cmdutil"
	diffCmd "github.com/otzone/otzone/cmd/otzone/diff"
	exportCmd "github.com/otzone/otzone/cmd/otzone/export"
	ingestCmd "github.com/otzone/otzone/cmd/otzone/ingest"
	probeCmd "github.com/otzone/otzone/cmd/otzone/probe"
	rulesCmd "github.com/otzone/otzone/cmd/otzone/rules"
	versionCmd "github.com/otzone/otzone/cmd/otzone/version"
	zonesCmd "github.com/otzone/otzone/cmd/otzone/zones"
)

// NewCmdRoot returns the otzone command with every noun attached.
func NewCmdRoot(f *cmdutil.Factory) *cobra.Command {
	var (
		quiet    bool
		logLevel string
		noColor  bool
	)
	cmd := &cobra.Command{
		Use:   "otzone <command>",
		Short: "OT network asset inventory, IEC 62443 zones and assessment from captures",
		Long: `otzone reads pcap/pcapng captures (and live SPAN traffic, plus safe opt-in
Modbus/OPC UA probes), builds an asset inventory with the evidence for every
fact, groups assets into IEC 62443 zones and conduits, and assesses them.

Everything is kept in one SQLite file per engagement (--db, default otzone.db
or $OTZONE_DB).`,
		Example: `  otzone ingest visit/*.pcapng
  otzone assets
  otzone assets show 3f2a9c1b7d0e
  otzone export inventory --format json -o inventory.json`,
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			var lvl slog.Level
			if err := lvl.UnmarshalText([]byte(logLevel)); err != nil {
				return cmdutil.FlagErrorf("--log-level %q: want debug, info, warn or error", logLevel)
			}
			f.Logger = slog.New(slog.NewTextHandler(f.IOStreams.ErrOut, &slog.HandlerOptions{Level: lvl}))
			f.IOStreams.Quiet = quiet
			if noColor {
				f.IOStreams.SetColorEnabled(false)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return cmdutil.FlagErrorf("unknown command %q for %q", args[0], cmd.CommandPath())
			}
			return cmd.Help()
		},
		Args: cobra.ArbitraryArgs,
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&f.DBPath, "db", f.DBPath, "database `FILE` (default otzone.db, or $OTZONE_DB)")
	pf.BoolVarP(&quiet, "quiet", "q", false, "no progress output")
	pf.StringVar(&logLevel, "log-level", "warn", "log `LEVEL`: debug, info, warn, error")
	pf.BoolVar(&noColor, "no-color", false, "no colour in terminal output")
	cmd.SetFlagErrorFunc(cmdutil.FlagErrorFunc)
	cmd.SetOut(f.IOStreams.Out)
	cmd.SetErr(f.IOStreams.ErrOut)

	// ---- Nouns: add yours here, one line each (keep alphabetical). ----
	cmd.AddCommand(assessCmd.NewCmdAssess(f, nil))
	cmd.AddCommand(assetsCmd.NewCmdAssets(f))
	cmd.AddCommand(captureCmd.NewCmdCapture(f, nil))
	cmd.AddCommand(diffCmd.NewCmdDiff(f, nil))
	cmd.AddCommand(exportCmd.NewCmdExport(f))
	cmd.AddCommand(ingestCmd.NewCmdIngest(f, nil))
	cmd.AddCommand(probeCmd.NewCmdProbe(f))
	cmd.AddCommand(rulesCmd.NewCmdRules(f))
	cmd.AddCommand(versionCmd.NewCmdVersion(f, nil))
	cmd.AddCommand(zonesCmd.NewCmdZones(f))
	f.Classify = rulesCmd.Classify // device types and Purdue levels from rules/ (+ --rules DIR / $OTZONE_RULES)
	// ---- end of nouns ----

	// Every subcommand's flag errors are usage errors (exit 2).
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.SetFlagErrorFunc(cmdutil.FlagErrorFunc)
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(cmd)
	return cmd
}
