package ingest

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/otzone/otzone/cmd/otzone/cmdutil"
	"github.com/otzone/otzone/internal/store"
)

func TestNewCmdIngest(t *testing.T) {
	for _, tc := range []struct {
		argv      []string
		wantPaths []string
		wantSite  string
		wantErr   string
	}{
		{argv: []string{"a.pcap"}, wantPaths: []string{"a.pcap"}},
		{argv: []string{"--site", "north", "a.pcap", "dir/"}, wantPaths: []string{"a.pcap", "dir/"}, wantSite: "north"},
		{argv: nil, wantErr: "at least one capture file or directory is required"},
		{argv: []string{"--site", "a\nb", "x"}, wantErr: "--site"},
		{argv: []string{"--nope", "x"}, wantErr: "unknown flag: --nope"},
	} {
		t.Run(strings.Join(tc.argv, " "), func(t *testing.T) {
			ios, _, _, _ := cmdutil.Test()
			f := &cmdutil.Factory{IOStreams: ios}
			var got *IngestOptions
			cmd := NewCmdIngest(f, func(_ context.Context, o *IngestOptions) error { got = o; return nil })
			cmd.SetFlagErrorFunc(cmdutil.FlagErrorFunc)
			cmd.SetArgs(tc.argv)
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				if code := cmdutil.ExitCode(err, func(string) {}); code != cmdutil.ExitUsage {
					t.Errorf("exit %d, want 2", code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got.Paths, "|") != strings.Join(tc.wantPaths, "|") || got.Site != tc.wantSite {
				t.Errorf("got %+v", got)
			}
		})
	}
}

// writeCapture writes n UDP frames between two hosts (port 40000 -> 9999,
// no dissector) as a classic pcap: 24-byte header, then 16 + 60 bytes per
// record.
func writeCapture(t *testing.T, path string, n int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	a, _ := net.ParseMAC("00:0c:29:00:00:01")
	b, _ := net.ParseMAC("00:0c:29:00:00:02")
	for i := 0; i < n; i++ {
		eth := &layers.Ethernet{SrcMAC: a, DstMAC: b, EthernetType: layers.EthernetTypeIPv4}
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: net.IP{10, 0, 0, 1}, DstIP: net.IP{10, 0, 0, 2}}
		udp := &layers.UDP{SrcPort: 40000, DstPort: 9999}
		udp.SetNetworkLayerForChecksum(ip)
		buf := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
			eth, ip, udp, gopacket.Payload(make([]byte, 18))); err != nil {
			t.Fatal(err)
		}
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(1700000000+int64(i), 0), CaptureLength: 60, Length: 60}
		if err := w.WritePacket(ci, buf.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
}

func TestIngestRun(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.pcap")
	writeCapture(t, good, 5)
	text := filepath.Join(dir, "notes.txt")
	os.WriteFile(text, []byte("not a capture at all\n"), 0o644)
	raw, _ := os.ReadFile(good)
	cut := filepath.Join(dir, "cut.pcap")
	os.WriteFile(cut, raw[:24+3*76+20], 0o644) // 3 whole records, the 4th cut

	st, err := store.Open(context.Background(), filepath.Join(dir, "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	open := func(context.Context) (*store.Store, error) { return st, nil }

	ios, _, out, errOut := cmdutil.Test()
	err = runIngest(context.Background(), &IngestOptions{IO: ios, Store: open, Paths: []string{text, cut, good}})
	if !errors.Is(err, cmdutil.ErrSilent) {
		t.Fatalf("err %v: failed files must give exit 1 without a second message", err)
	}
	stderr := errOut.String()
	for _, re := range []string{
		`(?m)^otzone: ` + regexp.QuoteMeta(text) + `: not a pcap or pcapng capture`,
		`(?m)^otzone: ` + regexp.QuoteMeta(cut) + `: offset 252, frame 4: .*truncated \(the 3 frames before it were ingested\)$`,
	} {
		if !regexp.MustCompile(re).MatchString(stderr) {
			t.Errorf("stderr lacks %s:\n%s", re, stderr)
		}
	}
	if n := strings.Count(stderr, "\n"); n != 2 {
		t.Errorf("want one line per bad file, got:\n%s", stderr)
	}
	if !regexp.MustCompile(`^3 files \(2 failed\), 8 packets, 0 malformed, 2 assets, 1 communications, \S+\n$`).MatchString(out.String()) {
		t.Errorf("summary %q", out.String())
	}

	out.Reset()
	errOut.Reset()
	if err := runIngest(context.Background(), &IngestOptions{IO: ios, Store: open, Paths: []string{good}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut.String(), good+": already ingested (sha256 ") {
		t.Errorf("stderr %q", errOut.String())
	}
	if !strings.HasPrefix(out.String(), "1 file (1 already ingested), 0 packets") {
		t.Errorf("summary %q", out.String())
	}
}

func TestProgressBarOnlyOnTTY(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.pcap")
	writeCapture(t, good, 3)
	for _, tty := range []bool{false, true} {
		st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "t.db"))
		if err != nil {
			t.Fatal(err)
		}
		ios, _, _, errOut := cmdutil.Test()
		ios.SetStderrTTY(tty)
		err = runIngest(context.Background(), &IngestOptions{IO: ios, Store: func(context.Context) (*store.Store, error) { return st, nil },
			Paths: []string{good}})
		st.Close()
		if err != nil {
			t.Fatal(err)
		}
		drew := strings.Contains(errOut.String(), "[1/1] good.pcap")
		if drew != tty {
			t.Errorf("tty=%v: stderr %q", tty, errOut.String())
		}
	}
}
