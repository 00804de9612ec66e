package ssh

import (
	"slices"
	"testing"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/internal/ittest"
	"github.com/otzone/otzone/internal/testutil"
)

// testdata/fixtures/ssh/ssh.pcap is written by testdata/fixtures/ssh/gen_fixture.py (scapy). tshark (-d tcp.port==2222,ssh) reads:
//
//	4  10.10.10.40 → 10.10.20.22 Server: Protocol (SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6)
//	5  Client: Protocol (SSH-2.0-PuTTY_Release_0.78); 6, 7 Key Exchange Init
//	11 10.10.10.41:2222 Server: Protocol (SSH-1.99-Cisco-1.25)
//	12 Client: Protocol (SSH-2.0-PuTTY_Release_0.78), Key Exchange Init (one segment)
func TestFixture(t *testing.T) {
	h := ittest.Run(t, testutil.ReadFrames(t, testutil.Fixture("ssh", "ssh.pcap")), "ssh.pcap", New())
	h.NoErrors()
	h.CheckObservations()
	for who, want := range map[string][]string{
		"10.10.10.40": {"2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6"},
		"10.10.20.22": {"2.0-PuTTY_Release_0.78"},
		"10.10.10.41": {"1.99-Cisco-1.25"},
	} {
		if got := h.Attr(who, "ssh.banner"); !slices.Equal(got, want) {
			t.Errorf("%s ssh.banner %q, want %q", who, got, want)
		}
	}
	if got := h.Services("10.10.10.41"); !slices.Equal(got, []string{"ssh/tcp/2222/server"}) {
		t.Errorf("heuristic port: %q", got)
	}
	if got := h.Comm("10.10.20.22", "ssh.protocol_version"); !slices.Equal(got, []string{"2.0", "1.99"}) {
		t.Errorf("protocol versions %q", got)
	}
	if got := h.Comm("10.10.20.22", "encrypted"); !slices.Equal(got, []string{"true"}) {
		t.Errorf("encrypted %q", got)
	}
}

func TestParseIdent(t *testing.T) {
	var id Ident
	if !ParseIdent([]byte("SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6\r\n"), &id) || string(id.ProtoVersion) != "2.0" ||
		string(id.SoftwareVersion) != "OpenSSH_8.9p1" || string(id.Comments) != "Ubuntu-3ubuntu0.6" {
		t.Errorf("%+v", id)
	}
	for _, bad := range []string{"", "SSH-", "SSH-2.0", "HTTP/1.1 200 OK\r\n"} {
		if ParseIdent([]byte(bad), &id) {
			t.Errorf("%q accepted", bad)
		}
	}
	for in, want := range map[string]discovery.Verdict{"SSH-2.0-x": discovery.Yes, "SS": discovery.NeedMore,
		"SSH-9.0-x": discovery.No, "GET /": discovery.No, "": discovery.NeedMore} {
		if got := New().Detect([]byte(in), discovery.ToClient); got != want {
			t.Errorf("Detect(%q) = %v, want %v", in, got, want)
		}
	}
	long := make([]byte, 300)
	if _, err := LineLen(long); err == nil {
		t.Error("300 bytes without LF accepted")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6\r\n\x00\x00\x01\x0c\x0a\x14"))
	f.Add([]byte("banner line\r\nSSH-1.99-Cisco-1.25\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := New().NewStream(nil)
		pkt := &discovery.PacketInfo{Dir: discovery.ToClient}
		for len(b) > 0 {
			n, err := s.PDULen(b, pkt.Dir)
			if err != nil || n == 0 || n > len(b) {
				break
			}
			_ = s.Parse(b[:n], pkt, func(discovery.Observation) {})
			b = b[n:]
		}
	})
}

func BenchmarkParseIdent(b *testing.B) {
	line := []byte("SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6\r\n")
	var id Ident
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		if !ParseIdent(line, &id) {
			b.Fatal("no")
		}
	}
}

// TestRealOpenSSH: testdata/fixtures/ssh/real_openssh.pcap (testdata/fixtures/ssh/gen_real.sh): the
// real OpenSSH 9.2 client against a stub server on loopback. tshark reads:
// frame 4 Client: Protocol (SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u6), sent
// before the server's; frame 6 Server: Protocol (SSH-2.0-OpenSSH_8.9p1
// Ubuntu-3ubuntu0.6); frame 8 Client: Key Exchange Init (1560 bytes).
func TestRealOpenSSH(t *testing.T) {
	h := ittest.Run(t, testutil.ReadFrames(t, testutil.Fixture("ssh", "real_openssh.pcap")), "real_openssh.pcap", New())
	h.NoErrors()
	h.CheckObservations()
	if got := h.Attr("127.0.0.1", "ssh.banner"); !slices.Equal(got, []string{"2.0-OpenSSH_9.2p1 Debian-2+deb12u6"}) {
		t.Errorf("client banner %q", got)
	}
	if got := h.Attr("127.0.0.2", "ssh.banner"); !slices.Equal(got, []string{"2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6"}) {
		t.Errorf("server banner %q", got)
	}
	if got := h.Services("127.0.0.2"); !slices.Equal(got, []string{"ssh/tcp/22/server"}) {
		t.Errorf("services %q", got)
	}
}
