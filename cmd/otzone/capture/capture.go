// Package capture is `otzone capture -i IFACE`: passive live capture into
// the inventory.
package capture

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/otzone/otzone/cmd/otzone/cmdutil"
	"github.com/otzone/otzone/discovery/live"
	"github.com/otzone/otzone/discovery/live/filter"
	"github.com/otzone/otzone/internal/ingest"
	"github.com/otzone/otzone/internal/store"
)

// CaptureOptions is what `otzone capture` needs.
type CaptureOptions struct {
	IO    *cmdutil.IOStreams
	Store func(context.Context) (*store.Store, error)
	// Config is the library configuration the flags fill in (tests may
	// inject a fake OpenHandle).
	Config live.Config
}

// NewCmdCapture returns `otzone capture`.
func NewCmdCapture(f *cmdutil.Factory, runF func(context.Context, *CaptureOptions) error) *cobra.Command {
	opts := &CaptureOptions{IO: f.IOStreams, Store: f.Store}
	var (
		ifaces                        []string
		snaplen                       int
		rotateSize, maxTotal, bufSize string
	)
	cmd := &cobra.Command{
		Use:   "capture -i IFACE [-i IFACE]...",
		Short: "Passive live capture from network interfaces into the inventory",
		Long: `Capture frames from one or more interfaces (a SPAN or mirror port) and add
what they show to the inventory, exactly as ingesting a capture file of the
same traffic would. The interfaces are put in promiscuous mode and only
read: otzone never transmits on them.

--filter takes a tcpdump expression (a subset: host, net, port, portrange,
src/dst, tcp/udp/sctp/icmp/icmp6/ip/ip6/arp/rarp, vlan, ether host/src/dst/proto,
and/or/not, parentheses), compiled to BPF and run in the kernel.

The inventory is committed every --flush interval, so "otzone assets" in
another terminal shows it growing. Ctrl-C (or SIGTERM) stops reading,
commits and prints the summary (exit 0); a second Ctrl-C exits at once,
keeping every commit made so far.

On a terminal, counters are shown on stderr every 2 s: packets, bytes,
kernel drops and ring freezes, application drops, assets, communications.
The summary (stdout) and each interface's source row in the database carry
the same loss counters.

Needs root or CAP_NET_RAW: sudo setcap cap_net_raw+ep ./otzone`,
		Example: `  sudo otzone capture -i eth1
  otzone capture -i eth1 -i eth2 --duration 72h --write-pcap /var/lib/otzone/pcap --max-total 20GB
  otzone capture -i eth1 --filter 'not (port 22 or port 443)' --flush 10s
  otzone capture -i eth1 --filter 'vlan 20 and tcp port 502' --max-packets 100000`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c := &opts.Config
			if len(ifaces) == 0 {
				return cmdutil.FlagErrorf("capture: at least one interface is required (-i IFACE)")
			}
			for _, i := range ifaces {
				if i == "" || len(i) > 15 || strings.ContainsAny(i, "/ \t\n\x00") {
					return cmdutil.FlagErrorf("-i %q: not an interface name", i)
				}
			}
			c.Interfaces = ifaces
			if snaplen < 64 || snaplen > live.DefaultSnapLen {
				return cmdutil.FlagErrorf("--snaplen %d: want 64 to %d", snaplen, live.DefaultSnapLen)
			}
			c.Open.SnapLen = snaplen
			if _, err := filter.Compile(c.Open.Filter, filter.Options{}); err != nil {
				return cmdutil.FlagErrorf("--filter: %v", strings.TrimPrefix(err.Error(), "filter: "))
			}
			var err error
			if c.Pcap.Size, err = parseSize(rotateSize); err != nil {
				return cmdutil.FlagErrorf("--rotate-size %q: %v", rotateSize, err)
			}
			if c.Pcap.MaxTotal, err = parseSize(maxTotal); err != nil {
				return cmdutil.FlagErrorf("--max-total %q: %v", maxTotal, err)
			}
			b, err := parseSize(bufSize)
			if err != nil || b < 1<<20 || b > 1<<32 {
				return cmdutil.FlagErrorf("--buffer-size %q: want 1MiB to 4GiB", bufSize)
			}
			c.Open.BufferSize = int(b)
			if c.Pcap.Dir == "" && (c.Pcap.Size > 0 || c.Pcap.MaxTotal > 0 || c.Pcap.Every > 0) {
				return cmdutil.FlagErrorf("--rotate-size, --rotate-every and --max-total need --write-pcap DIR")
			}
			if c.Pcap.MaxTotal > 0 && c.Pcap.Size > c.Pcap.MaxTotal {
				return cmdutil.FlagErrorf("--rotate-size is larger than --max-total")
			}
			if c.Duration < 0 || c.Flush < 0 || c.Pcap.Every < 0 {
				return cmdutil.FlagErrorf("durations must be positive")
			}
			if c.Flush > 0 && c.Flush < 100*time.Millisecond {
				return cmdutil.FlagErrorf("--flush %s: at least 100ms", c.Flush)
			}
			if strings.ContainsAny(c.Site, "\x00\n\r\t") || len(c.Site) > 128 {
				return cmdutil.FlagErrorf("--site %q: use a short name without control characters", c.Site)
			}
			c.Logger = f.Logger
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runCapture(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVarP(&ifaces, "interface", "i", nil, "capture on `IFACE` (repeat for several)")
	fl.StringVar(&opts.Config.Open.Filter, "filter", "", "tcpdump filter `EXPR` (run in the kernel)")
	fl.IntVar(&snaplen, "snaplen", live.DefaultSnapLen, "keep at most `N` bytes of each frame")
	fl.DurationVar(&opts.Config.Duration, "duration", 0, "stop after `D` (e.g. 72h; default: until Ctrl-C)")
	fl.Uint64Var(&opts.Config.MaxPackets, "max-packets", 0, "stop after `N` frames")
	fl.DurationVar(&opts.Config.Flush, "flush", 30*time.Second, "commit the inventory every `D`")
	fl.StringVar(&opts.Config.Pcap.Dir, "write-pcap", "", "also write the frames to rotating pcapng files in `DIR`")
	fl.StringVar(&rotateSize, "rotate-size", "", "start a new pcapng file at `SIZE` (e.g. 100MB)")
	fl.DurationVar(&opts.Config.Pcap.Every, "rotate-every", 0, "start a new pcapng file every `D`")
	fl.StringVar(&maxTotal, "max-total", "", "delete the oldest pcapng files above `SIZE` in total")
	fl.StringVar(&bufSize, "buffer-size", "64MiB", "kernel ring `SIZE` per interface")
	fl.StringVar(&opts.Config.Site, "site", "", "tag everything captured with this site `NAME`")
	return cmd
}

// parseSize reads 1048576, 512K, 100MB, 100MiB, 2G, 1.5GiB. K, M, G and T
// are powers of 1024 whether written KB or KiB.
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	up := strings.ToUpper(s)
	mult := float64(1)
	for _, u := range []struct {
		suf string
		m   float64
	}{{"TIB", 1 << 40}, {"GIB", 1 << 30}, {"MIB", 1 << 20}, {"KIB", 1 << 10},
		{"TB", 1 << 40}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10},
		{"T", 1 << 40}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(up, u.suf) {
			up, mult = strings.TrimSpace(strings.TrimSuffix(up, u.suf)), u.m
			break
		}
	}
	v, err := strconv.ParseFloat(up, 64)
	if err != nil || v < 0 || v*mult > 1<<62 {
		return 0, errors.New("want a size such as 100MB, 2GiB or 1048576")
	}
	return int64(v * mult), nil
}

func runCapture(ctx context.Context, opts *CaptureOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	st, err := opts.Store(ctx)
	if err != nil {
		return err
	}
	cfg := opts.Config
	var line *statusLine
	if opts.IO.ShowProgress() {
		line = &statusLine{w: opts.IO.ErrOut}
		cfg.Progress = line.update
	}
	// OTZONE_CPUPROFILE=cpu.pprof profiles the whole capture, as for `otzone ingest`.
	stopProfile := ingest.StartCPUProfile()
	sum, runErr := live.Run(ctx, st, cfg)
	stopProfile()
	line.clear()
	if runErr != nil && sum.Commits == 0 && sum.Packets == 0 {
		if errors.Is(runErr, live.ErrPermission) {
			return fmt.Errorf("%s", strings.TrimPrefix(runErr.Error(), "live: "))
		}
		return runErr
	}
	writeSummary(opts.IO.Out, &sum, cfg.Interfaces)
	if runErr != nil {
		return runErr
	}
	return nil
}

func writeSummary(w io.Writer, s *live.Summary, ifaces []string) {
	why := map[string]string{"interrupted": "interrupted", "duration": "duration reached", "max-packets": "packet limit reached", "error": "stopped by an error"}[s.Reason]
	fmt.Fprintf(w, "captured %d packets (%s) on %s in %s (%s)\n", s.Packets, cmdutil.HumanBytes(int64(s.Bytes)),
		cmdutil.EscapeTerminal(strings.Join(ifaces, ", ")), s.Elapsed.Round(time.Millisecond), why)
	fmt.Fprintf(w, "kernel: %d received, %d dropped, %d freezes; application drops: %d; loss %.3f %%\n",
		s.Kernel.Packets, s.Kernel.Drops, s.Kernel.Freezes, s.AppDrops, s.LossPercent())
	if len(s.PerInterface) > 1 {
		for _, p := range s.PerInterface {
			fmt.Fprintf(w, "  %s: %d packets, %d kernel drops, %d freezes, %d application drops\n",
				cmdutil.EscapeTerminal(p.Name), p.Packets, p.Kernel.Drops, p.Kernel.Freezes, p.AppDrops)
		}
	}
	if s.PcapFiles > 0 {
		fmt.Fprintf(w, "pcapng: %d files written, %s kept\n", s.PcapFiles, cmdutil.HumanBytes(s.PcapBytes))
	}
	fmt.Fprintf(w, "%d malformed, %d assets, %d communications, %d commits\n", s.Malformed, s.Assets, s.Communications, s.Commits)
}

// statusLine redraws one line of counters on stderr.
type statusLine struct {
	w     io.Writer
	drawn bool
}

func (l *statusLine) update(s live.Stats) {
	fmt.Fprintf(l.w, "\r\x1b[K%s  %d pkts  %s  drops %d kernel / %d app  freezes %d  %d assets  %d comms",
		s.Elapsed.Round(time.Second), s.Packets, cmdutil.HumanBytes(int64(s.Bytes)), s.Kernel.Drops, s.AppDrops, s.Kernel.Freezes,
		s.Assets, s.Communications)
	l.drawn = true
}

func (l *statusLine) clear() {
	if l != nil && l.drawn {
		fmt.Fprint(l.w, "\r\x1b[K")
	}
}
