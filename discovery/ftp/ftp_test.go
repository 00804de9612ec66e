package ftp

import (
	"slices"
	"strings"
	"testing"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/internal/ittest"
	"github.com/otzone/otzone/internal/testutil"
)

// testdata/fixtures/ftp/ftp.pcap is written by testdata/fixtures/ftp/gen_fixture.py (scapy). tshark -Y ftp reads:
//
//	4  Response: 220-ProFTPD 1.3.5e Server (PLC Line 3 FTP) [10.10.10.13] (multi-line 220)
//	5  USER engineer; 7 PASS ...; 9 SYST → 10 "215 UNIX Type: L8"; 11 PWD; 13 PASV; 15 LIST;
//	17 RETR recipe.csv; 19 STOR project.zip; 21 DELE old.log; 23 QUIT
//	28 second session: 220 ...; 29 AUTH TLS → 30 "234 AUTH TLS successful", then a TLS ClientHello
func TestFixture(t *testing.T) {
	h := ittest.Run(t, testutil.ReadFrames(t, testutil.Fixture("ftp", "ftp.pcap")), "ftp.pcap", New())
	h.NoErrors()
	h.CheckObservations()
	const plc, ews = "10.10.10.13", "10.10.20.22"
	if got := h.Attr(plc, "ftp.banner"); !slices.Equal(got, []string{"ProFTPD 1.3.5e Server (PLC Line 3 FTP) [10.10.10.13]"}) {
		t.Errorf("banner %q", got)
	}
	if got := h.Attr(plc, "ftp.system"); !slices.Equal(got, []string{"UNIX Type: L8"}) {
		t.Errorf("system %q", got)
	}
	// SYST is in the verb table without a class of its own; PASV is not in it ("other").
	wantOps := []string{"user/other", "pass/other", "syst/other", "pwd/read", "other/other", "list/read", "retr/read", "stor/write", "dele/write", "quit/other", "auth/other"}
	if got := h.Ops(ews); !slices.Equal(got, wantOps) {
		t.Errorf("ops %q, want %q", got, wantOps)
	}
	if got := h.Comm(ews, "cleartext_credentials"); !slices.Equal(got, []string{"true"}) {
		t.Errorf("cleartext_credentials %q", got)
	}
	if got := h.Comm(ews, "encrypted"); !slices.Equal(got, []string{"false", "true"}) {
		t.Errorf("encrypted %q (session 1 clear, session 2 TLS)", got)
	}
	for _, o := range h.Obs {
		if strings.Contains(o.Value, "engineer") || strings.Contains(o.Value, "Line3!") || strings.Contains(o.Value, "recipe") {
			t.Errorf("stored user input: %+v", o)
		}
	}
}

func TestParse(t *testing.T) {
	var r Reply
	ParseReply([]byte("220-ProFTPD\r\n"), &r)
	if r.Code != 220 || !r.Multi || string(r.Text) != "ProFTPD" {
		t.Errorf("%+v", r)
	}
	ParseReply([]byte(" continued\r\n"), &r)
	if r.Code != 0 {
		t.Errorf("%+v", r)
	}
	for in, want := range map[string]Command{"STOR a b\r\n": CmdSTOR, "retr x": CmdRETR, "XCWD /": CmdOther} {
		if got, ok := ParseCommand([]byte(in)); !ok || got != want {
			t.Errorf("%q: %v %v", in, got, ok)
		}
	}
	if _, ok := ParseCommand([]byte("\x16\x03\x01")); ok {
		t.Error("binary accepted as a command")
	}
	for in, want := range map[string]discovery.Verdict{"220 x": discovery.Yes, "22": discovery.NeedMore, "250 x": discovery.No, "SSH-2": discovery.No} {
		if got := New().Detect([]byte(in), discovery.ToClient); got != want {
			t.Errorf("Detect(%q) = %v, want %v", in, got, want)
		}
	}
	if got := New().Detect([]byte("USER x\r\n"), discovery.ToServer); got != discovery.Yes {
		t.Errorf("client Detect %v", got)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("220-x\r\n220 y\r\n"), []byte("USER a\r\nSTOR b\r\nAUTH TLS\r\n"))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		s := New().NewStream(nil)
		for dir, data := range [][]byte{a, b} {
			pkt := &discovery.PacketInfo{Dir: discovery.Direction(1 - dir)}
			for len(data) > 0 {
				n, err := s.PDULen(data, pkt.Dir)
				if err != nil || n == 0 || n > len(data) {
					break
				}
				_ = s.Parse(data[:n], pkt, func(discovery.Observation) {})
				data = data[n:]
			}
		}
	})
}

func BenchmarkParseCommand(b *testing.B) {
	line := []byte("STOR project.zip\r\n")
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		if c, _ := ParseCommand(line); c != CmdSTOR {
			b.Fatal(c)
		}
	}
}

// TestRealPyftpdlib: testdata/fixtures/ftp/real_pyftpdlib.pcap (testdata/fixtures/ftp/gen_real.sh:
// Python ftplib against pyftpdlib 1.5.7 on loopback). tshark -Y ftp reads:
// frame 4 "220 PLC line 3 FTP service ready.", 6 USER engineer, 9 PASS,
// 11 SYST → 12 "215 UNIX Type: L8", 13 PWD, 15 TYPE A, 17 PASV, 19 LIST,
// 23 TYPE I, 27 STOR project.zip, 35 RETR recipe.csv, 39 DELE project.zip, 41 QUIT.
func TestRealPyftpdlib(t *testing.T) {
	h := ittest.Run(t, testutil.ReadFrames(t, testutil.Fixture("ftp", "real_pyftpdlib.pcap")), "real_pyftpdlib.pcap", New())
	h.NoErrors()
	h.CheckObservations()
	const srv, cli = "127.0.0.2", "127.0.0.1"
	if got := h.Attr(srv, "ftp.banner"); !slices.Equal(got, []string{"PLC line 3 FTP service ready."}) {
		t.Errorf("banner %q", got)
	}
	if got := h.Attr(srv, "ftp.system"); !slices.Equal(got, []string{"UNIX Type: L8"}) {
		t.Errorf("system %q", got)
	}
	want := []string{"user/other", "pass/other", "syst/other", "pwd/read", "other/other", "list/read", "stor/write", "retr/read", "dele/write", "quit/other"}
	if got := h.Ops(cli); !slices.Equal(got, want) {
		t.Errorf("ops %q, want %q", got, want)
	}
	if got := h.Comm(cli, "cleartext_credentials"); !slices.Equal(got, []string{"true"}) {
		t.Errorf("cleartext_credentials %q", got)
	}
}
