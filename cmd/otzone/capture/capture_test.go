package capture

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/otzone/otzone/cmd/otzone/cmdutil"
	"github.com/otzone/otzone/discovery/live"
)

func TestNewCmdCapture(t *testing.T) {
	for _, tc := range []struct {
		argv    []string
		wantErr string
		check   func(t *testing.T, c live.Config)
	}{
		{argv: []string{"-i", "eth1"}, check: func(t *testing.T, c live.Config) {
			if len(c.Interfaces) != 1 || c.Interfaces[0] != "eth1" || c.Open.SnapLen != 262144 || c.Flush != 30*time.Second ||
				c.Open.BufferSize != 64<<20 || c.Pcap.Dir != "" {
				t.Errorf("defaults: %+v", c)
			}
		}},
		{argv: []string{"-i", "eth1", "-i", "eth2", "--filter", "vlan 20 and tcp port 502", "--snaplen", "128", "--duration", "72h",
			"--max-packets", "1000", "--flush", "10s", "--write-pcap", "/tmp/p", "--rotate-size", "100MB", "--rotate-every", "1h",
			"--max-total", "2GiB", "--buffer-size", "256M", "--site", "north"}, check: func(t *testing.T, c live.Config) {
			if strings.Join(c.Interfaces, ",") != "eth1,eth2" || c.Open.Filter != "vlan 20 and tcp port 502" || c.Open.SnapLen != 128 ||
				c.Duration != 72*time.Hour || c.MaxPackets != 1000 || c.Flush != 10*time.Second || c.Pcap.Dir != "/tmp/p" ||
				c.Pcap.Size != 100<<20 || c.Pcap.Every != time.Hour || c.Pcap.MaxTotal != 2<<30 || c.Open.BufferSize != 256<<20 || c.Site != "north" {
				t.Errorf("flags: %+v", c)
			}
		}},
		{argv: nil, wantErr: "at least one interface"},
		{argv: []string{"eth1"}, wantErr: "unexpected argument"},
		{argv: []string{"-i", "eth1", "--filter", "tcp port http"}, wantErr: "--filter: column 10"},
		{argv: []string{"-i", "eth1", "--filter", "greater 100"}, wantErr: "column 1"},
		{argv: []string{"-i", "eth1", "--snaplen", "10"}, wantErr: "--snaplen"},
		{argv: []string{"-i", "eth1", "--rotate-size", "1MB"}, wantErr: "need --write-pcap"},
		{argv: []string{"-i", "eth1", "--write-pcap", "d", "--rotate-size", "lots"}, wantErr: "--rotate-size"},
		{argv: []string{"-i", "eth1", "--write-pcap", "d", "--rotate-size", "2GB", "--max-total", "1GB"}, wantErr: "larger than --max-total"},
		{argv: []string{"-i", "eth1", "--flush", "1ms"}, wantErr: "--flush"},
		{argv: []string{"-i", "../etc"}, wantErr: "not an interface name"},
		{argv: []string{"-i", "eth1", "--buffer-size", "1K"}, wantErr: "--buffer-size"},
	} {
		t.Run(strings.Join(tc.argv, " "), func(t *testing.T) {
			ios, _, _, _ := cmdutil.Test()
			f := &cmdutil.Factory{IOStreams: ios}
			var got *CaptureOptions
			cmd := NewCmdCapture(f, func(_ context.Context, o *CaptureOptions) error { got = o; return nil })
			cmd.SetFlagErrorFunc(cmdutil.FlagErrorFunc)
			cmd.SetArgs(append([]string{}, tc.argv...)) // never nil: cobra would read os.Args (go test -update)
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				if code := cmdutil.ExitCode(err, func(string) {}); code != cmdutil.ExitUsage {
					t.Errorf("exit %d, want 2 (usage)", code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, got.Config)
		})
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"": 0, "1048576": 1 << 20, "512K": 512 << 10, "100MB": 100 << 20, "100MiB": 100 << 20, "2G": 2 << 30,
		"1.5GiB": 3 << 29, "1 TB": 1 << 40, "10b": 10,
	} {
		got, err := parseSize(in)
		if err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"x", "-5M", "1Q", "M"} {
		if _, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q): no error", bad)
		}
	}
}

func TestSummary(t *testing.T) {
	var b bytes.Buffer
	s := &live.Summary{Reason: "interrupted", Interrupted: true}
	s.Packets, s.Bytes, s.Elapsed = 1000, 123456, 90*time.Second
	s.Kernel = live.KernelStats{Packets: 1003, Drops: 3, Freezes: 1}
	s.Assets, s.Communications, s.Commits = 7, 9, 4
	writeSummary(&b, s, []string{"eth1"})
	out := b.String()
	for _, want := range []string{"captured 1000 packets (120.6 KiB) on eth1 in 1m30s (interrupted)",
		"kernel: 1003 received, 3 dropped, 1 freezes; application drops: 0; loss 0.299 %", "7 assets, 9 communications, 4 commits"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}
