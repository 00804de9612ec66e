package probe

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/otzone/otzone/cmd/otzone/cmdutil"
	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/modbus"
	mprobe "github.com/otzone/otzone/discovery/modbus/probe"
	"github.com/otzone/otzone/discovery/probe"
	"github.com/otzone/otzone/internal/store"
)

// ModbusOptions is what `otzone probe modbus` needs.
type ModbusOptions struct {
	IO         *cmdutil.IOStreams
	Store      func(context.Context) (*store.Store, error)
	Targets    []string
	AllowRange bool
	UnitIDs    string
	Read       string
	DryRun     bool
	Probe      mprobe.Options
}

// NewCmdModbus returns `otzone probe modbus`.
func NewCmdModbus(f *cmdutil.Factory) *cobra.Command {
	opts := &ModbusOptions{IO: f.IOStreams, Store: f.Store}
	cmd := &cobra.Command{
		Use:   "modbus TARGET...",
		Short: "Modbus/TCP Read Device Identification of explicit targets",
		Long: `Identify Modbus/TCP devices with Read Device Identification (FC 43 / MEI 14:
basic, regular and extended objects, following "more follows"; one object at
a time when a device refuses stream access), optionally Report Server ID
(FC 17) and bounded reads (FC 1-4). Nothing else is ever sent: the request
builder refuses every other function code.

TARGET is host or host:port (default port 502); a CIDR (at most 256
addresses) only with --allow-range. Unit ids default to 0 and 255, then 1,
stopping at the first that answers with an identity; an explicit --unit-ids
list is asked in full (units behind a gateway become their own assets).

Requests are paced: --rate overall (default 10/s, at most 100) and
--per-host-rate (default 2/s, at most 20), one connection per host. A host
is dropped after its first timeout or connection failure unless --retries.`,
		Example: `  otzone probe modbus --dry-run 10.0.0.5
  otzone probe modbus 10.0.0.5 10.0.0.6:5020
  otzone probe modbus --unit-ids 1-10 --report-server-id 10.0.0.7
  otzone probe modbus --allow-range --rate 5 10.10.10.0/28
  otzone probe modbus --read holding:0-9,input:100-109 10.0.0.5`,
		Args: cmdutil.MinimumArgs(1, "probe modbus: at least one target (host[:port]) is required"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Targets = args
			return runModbus(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&opts.AllowRange, "allow-range", false, "allow CIDR targets (at most 256 addresses)")
	fl.StringVar(&opts.UnitIDs, "unit-ids", "", "unit `IDS` to ask, e.g. 1,2,5-8 (default 0,255 then 1, stopping at the first identity)")
	fl.Float64Var(&opts.Probe.Rate, "rate", probe.DefaultRate, "requests per second overall")
	fl.Float64Var(&opts.Probe.PerHostRate, "per-host-rate", probe.DefaultPerHostRate, "requests per second to one host")
	fl.DurationVar(&opts.Probe.Timeout, "timeout", mprobe.DefaultTimeout, "connect and request timeout")
	fl.IntVar(&opts.Probe.Retries, "retries", 0, "retries of a request after a timeout (0-5); 0 drops a host at its first failure")
	fl.IntVar(&opts.Probe.Parallel, "parallel", 4, "hosts probed at once")
	fl.BoolVar(&opts.Probe.ReportServerID, "report-server-id", false, "also send Report Server ID (FC 17)")
	fl.StringVar(&opts.Read, "read", "", "also read `RANGES`: holding:0-9,input:100-109,coils:0-15,discrete:0-7")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "print every request that would be sent (hex ADU) and send nothing")
	return cmd
}

// ParseUnitIDs reads "0,255,1" or "1-10,20".
func ParseUnitIDs(s string) ([]uint8, error) {
	var out []uint8
	seen := map[int]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		from, to, isRange := strings.Cut(part, "-")
		if !isRange {
			to = from
		}
		a, err1 := strconv.Atoi(from)
		b, err2 := strconv.Atoi(to)
		if err1 != nil || err2 != nil || a < 0 || b > 255 || b < a {
			return nil, fmt.Errorf("--unit-ids %q: want ids 0-255 like 1,2,5-8", part)
		}
		for u := a; u <= b; u++ {
			if !seen[u] {
				seen[u] = true
				out = append(out, uint8(u))
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--unit-ids %q: no unit ids", s)
	}
	return out, nil
}

func runModbus(ctx context.Context, opts *ModbusOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	targets, err := probe.ParseTargets(opts.Targets, modbus.Port, opts.AllowRange)
	if err != nil {
		return cmdutil.FlagErrorf("probe modbus: %v", err)
	}
	if opts.UnitIDs != "" {
		if opts.Probe.UnitIDs, err = ParseUnitIDs(opts.UnitIDs); err != nil {
			return cmdutil.FlagErrorf("probe modbus: %v", err)
		}
	}
	if opts.Read != "" {
		if opts.Probe.Reads, err = mprobe.ParseReads(opts.Read); err != nil {
			return cmdutil.FlagErrorf("probe modbus: %v", err)
		}
	}
	if _, err := probe.NewPacer(opts.Probe.Rate, opts.Probe.PerHostRate); err != nil {
		return cmdutil.FlagErrorf("probe modbus: %v", err)
	}
	if opts.Probe.Retries < 0 || opts.Probe.Retries > 5 {
		return cmdutil.FlagErrorf("probe modbus: --retries %d: want 0..5", opts.Probe.Retries)
	}
	if opts.Probe.Parallel < 1 || opts.Probe.Parallel > 32 {
		return cmdutil.FlagErrorf("probe modbus: --parallel %d: want 1..32", opts.Probe.Parallel)
	}
	if opts.Probe.Timeout <= 0 || opts.Probe.Timeout > time.Minute {
		return cmdutil.FlagErrorf("probe modbus: --timeout %v: want more than 0 and at most 1m", opts.Probe.Timeout)
	}
	if opts.DryRun {
		plan, err := mprobe.Plan(targets, opts.Probe)
		if err != nil {
			return err
		}
		return writeDryRun(opts.IO.Out, len(targets), opts.Probe.Rate, opts.Probe.PerHostRate, "requests",
			"ADU (hex, MBAP header first)  request  [condition]", plan)
	}
	// Open the database before touching the network: a bad --db fails
	// without sending anything.
	st, err := opts.Store(ctx)
	if err != nil {
		return err
	}
	return runAndReport(ctx, opts.IO, st, "modbus",
		func(emit discovery.Emit) ([]mprobe.Result, error) { return mprobe.Run(ctx, targets, opts.Probe, emit) },
		func(r mprobe.Result) outcome {
			return outcome{Addr: r.Target.Addr(), Name: r.Target.Addr(), Requests: r.Requests, Err: r.Err}
		},
		printModbus)
}

func printModbus(ios *cmdutil.IOStreams, results []mprobe.Result) error {
	tp := cmdutil.NewTablePrinter(ios)
	tp.Header("TARGET", "UNIT", "VENDOR", "PRODUCT CODE", "REVISION", "MODEL", "NOTES")
	var reads []string
	for _, r := range results {
		status := "ok"
		switch {
		case !r.Connected:
			status = "no connection"
		case r.Err != nil && isTimeout(r.Err):
			status = "timeout"
		case r.Err != nil:
			status = "stopped: error"
		case !r.Answered:
			status = "no answer"
		}
		if len(r.Units) == 0 {
			tp.AddField(r.Target.Addr())
			tp.AddField("-")
			tp.AddField("")
			tp.AddField("")
			tp.AddField("")
			tp.AddField("")
			tp.AddField(status)
			tp.EndRow()
			continue
		}
		for _, u := range r.Units {
			notes := []string{}
			if status != "ok" {
				notes = append(notes, status)
			}
			if u.Sub {
				notes = append(notes, "behind gateway")
			}
			if u.ServerID != "" {
				notes = append(notes, "server id: "+u.ServerID)
			}
			notes = append(notes, u.Exceptions...)
			tp.AddField(r.Target.Addr())
			tp.AddField(strconv.Itoa(int(u.Unit)))
			tp.AddField(u.Objects[modbus.ObjVendorName])
			tp.AddField(u.Objects[modbus.ObjProductCode])
			tp.AddField(u.Objects[modbus.ObjMajorMinorRevision])
			tp.AddField(u.Objects[modbus.ObjModelName])
			tp.AddField(strings.Join(notes, "; "))
			tp.EndRow()
			for _, rr := range u.Reads {
				v := fmt.Sprint(rr.Values)
				if rr.Err != "" {
					v = rr.Err
				}
				reads = append(reads, fmt.Sprintf("%s unit %d %s = %s", r.Target.Addr(), u.Unit, rr.Spec, v))
			}
		}
	}
	if err := tp.Render(); err != nil {
		return err
	}
	sort.Strings(reads)
	for _, l := range reads {
		if _, err := fmt.Fprintln(ios.Out, cmdutil.EscapeTerminal(l)); err != nil {
			return err
		}
	}
	return nil
}

func isTimeout(err error) bool {
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout()
}
