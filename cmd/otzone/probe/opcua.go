package probe

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/otzone/otzone/cmd/otzone/cmdutil"
	"github.com/otzone/otzone/discovery"
	oprobe "github.com/otzone/otzone/discovery/opcua/probe"
	"github.com/otzone/otzone/discovery/probe"
	"github.com/otzone/otzone/internal/store"
)

// OPCUAOptions is what `otzone probe opcua` needs.
type OPCUAOptions struct {
	IO      *cmdutil.IOStreams
	Store   func(context.Context) (*store.Store, error)
	Targets []string
	DryRun  bool
	Probe   oprobe.Options
}

// NewCmdOPCUA returns `otzone probe opcua`.
func NewCmdOPCUA(f *cmdutil.Factory) *cobra.Command {
	opts := &OPCUAOptions{IO: f.IOStreams, Store: f.Store}
	cmd := &cobra.Command{
		Use:   "opcua URL...",
		Short: "OPC UA discovery of explicit endpoints (FindServers, GetEndpoints, anonymous status read)",
		Long: `Discover OPC UA servers at explicit opc.tcp endpoints: FindServers and
GetEndpoints on a SecurityPolicy#None channel (every endpoint's security
policy, mode, user token types, transport, security level and server
certificate), then, only where the server offers an anonymous
SecurityPolicy#None endpoint on the same port, an anonymous session that
reads ServerStatus.State and BuildInfo (product, manufacturer, software
version, build number and date) and closes.

Nothing else is ever sent: every message passes a wire-level allow-list
(Hello, OpenSecureChannel with policy None, FindServers, GetEndpoints,
CreateSession, ActivateSession, Read, CloseSession, CloseSecureChannel). No
writes, method calls, subscriptions, credentials or certificates. The probe
only connects to the URLs given; it never follows discovery URLs.

URL is opc.tcp://host[:port][/path] (default port 4840); a bare host[:port]
is accepted. Ranges are not. Requests are paced: --rate overall (default
10/s, at most 100) and --per-host-rate (default 2/s, at most 20).`,
		Example: `  otzone probe opcua --dry-run opc.tcp://10.10.20.23:4840
  otzone probe opcua opc.tcp://10.10.20.23:4840 opc.tcp://kepware-1:49320
  otzone probe opcua --no-session --per-host-rate 1 opc.tcp://10.0.0.9:4840`,
		Args: cmdutil.MinimumArgs(1, "probe opcua: at least one endpoint URL (opc.tcp://host:port) is required"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Targets = args
			return runOPCUA(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.Float64Var(&opts.Probe.Rate, "rate", probe.DefaultRate, "requests per second overall")
	fl.Float64Var(&opts.Probe.PerHostRate, "per-host-rate", probe.DefaultPerHostRate, "requests per second to one host")
	fl.DurationVar(&opts.Probe.Timeout, "timeout", oprobe.DefaultTimeout, "connect and request timeout")
	fl.IntVar(&opts.Probe.Parallel, "parallel", 4, "hosts probed at once")
	fl.BoolVar(&opts.Probe.NoSession, "no-session", false, "discovery only: never open the anonymous session")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "print every message that would be sent (hex) and send nothing")
	return cmd
}

func runOPCUA(ctx context.Context, opts *OPCUAOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	targets, err := oprobe.ParseTargets(opts.Targets)
	if err != nil {
		return cmdutil.FlagErrorf("probe opcua: %v", err)
	}
	if _, err := probe.NewPacer(opts.Probe.Rate, opts.Probe.PerHostRate); err != nil {
		return cmdutil.FlagErrorf("probe opcua: %v", err)
	}
	if opts.Probe.Timeout <= 0 || opts.Probe.Timeout > time.Minute {
		return cmdutil.FlagErrorf("probe opcua: --timeout %v: want more than 0 and at most 1m", opts.Probe.Timeout)
	}
	if opts.Probe.Parallel < 1 || opts.Probe.Parallel > 64 {
		return cmdutil.FlagErrorf("probe opcua: --parallel %d: want 1..64", opts.Probe.Parallel)
	}
	if opts.DryRun {
		plan, err := oprobe.Plan(targets, opts.Probe)
		if err != nil {
			return err
		}
		return writeDryRun(opts.IO.Out, len(targets), opts.Probe.Rate, opts.Probe.PerHostRate, "messages",
			"chunk (hex; channel/token ids and the session token are assigned by the server)  message  [condition]", plan)
	}
	st, err := opts.Store(ctx)
	if err != nil {
		return err
	}
	return runAndReport(ctx, opts.IO, st, "opcua",
		func(emit discovery.Emit) ([]oprobe.Result, error) { return oprobe.Run(ctx, targets, opts.Probe, emit) },
		func(r oprobe.Result) outcome {
			return outcome{Addr: r.Target.Addr(), Name: r.Target.URL, Requests: r.Requests, Err: r.Err}
		},
		printOPCUA)
}

func printOPCUA(ios *cmdutil.IOStreams, results []oprobe.Result) error {
	tp := cmdutil.NewTablePrinter(ios)
	tp.Header("TARGET", "ENDPOINT", "POLICY", "MODE", "TOKENS", "LEVEL", "CERTIFICATE")
	var notes []string
	for _, r := range results {
		if len(r.Endpoints) == 0 {
			status := "no endpoints"
			if r.Err != nil {
				status = "failed"
				if isTimeout(r.Err) {
					status = "timeout"
				}
			}
			tp.AddField(r.Target.URL)
			tp.AddField(status)
			for i := 0; i < 5; i++ {
				tp.AddField("")
			}
			tp.EndRow()
			continue
		}
		for _, e := range r.Endpoints {
			cert := ""
			if c := e.Certificate; c != nil {
				cert = fmt.Sprintf("%s; %s %d bit; until %s", c.Subject, c.KeyAlgorithm, c.KeyBits, c.NotAfter.Format("2006-01-02"))
				if c.SelfSigned {
					cert += "; self-signed"
				}
			}
			tp.AddField(r.Target.URL)
			tp.AddField(e.URL)
			tp.AddField(policyShort(e.Policy))
			tp.AddField(e.Mode)
			tp.AddField(strings.Join(e.Tokens, ","))
			tp.AddField(fmt.Sprint(e.SecurityLevel))
			tp.AddField(cert)
			tp.EndRow()
		}
		app := r.Application
		line := fmt.Sprintf("%s: application %q (%s), product %s", r.Target.URL, app.ApplicationName, app.ApplicationURI, app.ProductURI)
		notes = append(notes, line)
		if r.Session {
			b := r.Build
			notes = append(notes, fmt.Sprintf("%s: build %s %s by %s, build %s (%s), state %s", r.Target.URL,
				b["product_name"], b["software_version"], b["manufacturer_name"], b["build_number"], b["build_date"], r.State))
		} else if r.SessionNote != "" {
			notes = append(notes, fmt.Sprintf("%s: no session: %s", r.Target.URL, r.SessionNote))
		}
	}
	if err := tp.Render(); err != nil {
		return err
	}
	for _, l := range notes {
		if _, err := fmt.Fprintln(ios.Out, cmdutil.EscapeTerminal(l)); err != nil {
			return err
		}
	}
	return nil
}

func policyShort(uri string) string {
	if i := strings.LastIndexByte(uri, '#'); i >= 0 {
		return uri[i+1:]
	}
	return uri
}
