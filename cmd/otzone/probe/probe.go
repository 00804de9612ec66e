// Package probe is `otzone probe <protocol>`: opt-in, read-only, paced
// identification of explicit targets. Each protocol is one verb in its own
// file (modbus.go, opcua.go) listed in verbs below.
package probe

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/otzone/otzone/cmd/otzone/cmdutil"
	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/discovery/probe"
	"github.com/otzone/otzone/internal/store"
)

// verbs are the probe protocols: adding one is its file and one line here.
var verbs = []func(*cmdutil.Factory) *cobra.Command{
	NewCmdModbus,
	NewCmdOPCUA,
}

// NewCmdProbe returns `otzone probe`.
func NewCmdProbe(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "probe <protocol>",
		Short: "Read-only identification of explicit targets (opt-in, paced)",
		Long: `Ask devices to identify themselves with read-only requests. Probes are never
run implicitly: only the targets named on the command line are contacted,
ranges need --allow-range, every request is on a closed read-only list, and
requests are paced (a global and a per-host rate, one connection per host).
Use --dry-run to see exactly what would be sent.

The answers are stored in the database like captured facts, with the
evidence "probe:<protocol>@host:port".`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	for _, v := range verbs {
		cmd.AddCommand(v(f))
	}
	return cmd
}

// Persist stores a probe run's observations as one source of kind "probe"
// in a single transaction. name is the source name ("modbus@10.0.0.5:502").
func Persist(ctx context.Context, st *store.Store, name string, requests uint64, started, finished time.Time, obs []discovery.Observation) error {
	b := inventory.NewBuilder("")
	for _, o := range obs {
		b.Add(o)
	}
	src := inventory.Source{Kind: "probe", Name: name, Packets: requests, FirstSeen: started, LastSeen: finished}
	id, err := st.BeginSource(ctx, src, "", started)
	if err != nil {
		return err
	}
	return st.Commit(ctx, id, b.Drain(), &store.Progress{Source: src, Complete: true, Finished: finished, Frames: requests})
}

// SourceName names a run's source: "modbus@a:502,b:502", capped.
func SourceName(proto string, targets []string) string {
	s := proto + "@" + strings.Join(targets, ",")
	if len(s) > 200 {
		s = fmt.Sprintf("%s@%s +%d more", proto, targets[0], len(targets)-1)
	}
	return s
}

// outcome is what the shared tail of a verb needs from one target's result.
type outcome struct {
	Addr     string // host:port, for the source name
	Name     string // how a failure names the target on stderr
	Requests int
	Err      error
}

// runAndReport is the shared tail of every verb: it runs the probe with an
// emitter that collects observations (from any goroutine), persists them
// as one source even after Ctrl-C, prints the results, and reports every
// failed target on stderr (then returns cmdutil.ErrSilent).
func runAndReport[R any](ctx context.Context, ios *cmdutil.IOStreams, st *store.Store, proto string,
	run func(discovery.Emit) ([]R, error), view func(R) outcome, print func(*cmdutil.IOStreams, []R) error) error {
	var (
		mu  sync.Mutex
		obs []discovery.Observation
	)
	started := time.Now()
	results, runErr := run(func(o discovery.Observation) {
		mu.Lock()
		obs = append(obs, o)
		mu.Unlock()
	})
	finished := time.Now()
	var requests uint64
	names := make([]string, 0, len(results))
	for _, r := range results {
		v := view(r)
		requests += uint64(v.Requests)
		names = append(names, v.Addr)
	}
	if len(obs) > 0 || requests > 0 {
		// Persist whatever was learnt, even after Ctrl-C.
		if err := Persist(context.WithoutCancel(ctx), st, SourceName(proto, names), requests, started, finished, obs); err != nil {
			return err
		}
	}
	if err := print(ios, results); err != nil {
		return err
	}
	if runErr != nil {
		return runErr
	}
	failed := 0
	for _, r := range results {
		if v := view(r); v.Err != nil {
			failed++
			fmt.Fprintf(ios.ErrOut, "%s: %s\n", v.Name, cmdutil.EscapeTerminal(v.Err.Error()))
		}
	}
	if failed > 0 {
		return cmdutil.ErrSilent
	}
	return nil
}

// writeDryRun prints a --dry-run plan under a header naming the pacing;
// unit is what is paced ("requests", "messages") and columns describes a
// plan line.
func writeDryRun(w io.Writer, targets int, rate, perHost float64, unit, columns string, plan []probe.Planned) error {
	fmt.Fprintf(w, "# dry run: nothing is sent. %d target(s), at most %g %s/s overall and %g/s per host.\n",
		targets, rate, unit, perHost)
	fmt.Fprintln(w, "# protocol target  "+columns)
	return probe.WritePlan(w, plan)
}
