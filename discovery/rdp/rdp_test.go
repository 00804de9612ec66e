package rdp

import (
	"slices"
	"strings"
	"testing"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/internal/ittest"
	"github.com/otzone/otzone/internal/testutil"
)

// testdata/fixtures/rdp/rdp.pcap is written by testdata/fixtures/rdp/gen_fixture.py (scapy, PDUs per [MS-RDPBCGR]). tshark -V reads:
//
//	4  10.10.20.22 → 10.10.20.21 Cookie: mstshash=operator, Negotiate Request, requestedProtocols 0x0000000b
//	   (TLS, CredSSP, CredSSP with Early User Authorization Result PDU)
//	5  Negotiate Response, selectedProtocol CredSSP (0x00000002); 6 a TLS ClientHello
//	10 192.168.1.50 → 10.10.20.21 Cookie: mstshash=ADMINISTRATOR, requestedProtocols 0x00000000
//	11 Negotiate Failure, failureCode "Server requires Enhanced RDP Security with CredSSP" (5)
func TestFixture(t *testing.T) {
	h := ittest.Run(t, testutil.ReadFrames(t, testutil.Fixture("rdp", "rdp.pcap")), "rdp.pcap", New())
	h.NoErrors()
	h.CheckObservations()
	const ews, it, hmi = "10.10.20.22", "192.168.1.50", "10.10.20.21"
	checks := []struct {
		who, key string
		want     []string
	}{
		{ews, "rdp.requested_protocols", []string{"ssl,hybrid,hybrid_ex"}},
		{ews, "rdp.selected_protocol", []string{"hybrid"}},
		{ews, "authenticated", []string{"true"}},
		{ews, "encrypted", []string{"true"}},
		{ews, "rdp.cookie_present", []string{"true"}},
		{it, "rdp.requested_protocols", []string{"rdp"}},
		{it, "rdp.negotiation_failure", []string{"hybrid_required_by_server"}},
		{it, "encrypted", nil},
	}
	for _, c := range checks {
		if got := h.Comm(c.who, c.key); !slices.Equal(got, c.want) {
			t.Errorf("%s %s = %q, want %q", c.who, c.key, got, c.want)
		}
	}
	if got := h.Attr(hmi, "rdp.nla_required"); !slices.Equal(got, []string{"true"}) {
		t.Errorf("nla_required %q", got)
	}
	if got := h.Services(hmi); !slices.Equal(got, []string{"rdp/tcp/3389/server"}) {
		t.Errorf("services %q", got)
	}
	for _, o := range h.Obs {
		if strings.Contains(strings.ToLower(o.Value), "operator") || strings.Contains(strings.ToLower(o.Value), "administrator") {
			t.Errorf("stored the cookie's user name: %+v", o)
		}
	}
}

func TestParseAndPrefixes(t *testing.T) {
	frames := testutil.ReadFrames(t, testutil.Fixture("rdp", "rdp.pcap"))
	cr := frames[3].Data[54:] // frame 4
	var c Connection
	if err := ParseConnection(cr, &c); err != nil {
		t.Fatal(err)
	}
	if c.Code != X224ConnRequest || string(c.Cookie) != "Cookie: mstshash=operator" || c.NegType != NegRequest || c.Value != 0x0b {
		t.Errorf("%+v", c)
	}
	if n, err := PDULen(cr); err != nil || n != len(cr) {
		t.Errorf("PDULen %d %v", n, err)
	}
	for i := range len(cr) {
		_ = ParseConnection(cr[:i], &c)
		_, _ = PDULen(cr[:i])
	}
	d := New()
	if d.Detect(cr, discovery.ToServer) != discovery.Yes || d.Detect(cr, discovery.ToClient) != discovery.No ||
		d.Detect([]byte{3, 0}, discovery.ToServer) != discovery.NeedMore || d.Detect([]byte("GET "), discovery.ToServer) != discovery.No {
		t.Error("Detect")
	}
	if got := Protocols(0x0b).String(); got != "ssl,hybrid,hybrid_ex" {
		t.Errorf("protocols %q", got)
	}
}

func FuzzParse(f *testing.F) {
	for _, fr := range testutil.ReadFrames(f, testutil.Fixture("rdp", "rdp.pcap")) {
		if len(fr.Data) > 54 {
			f.Add(fr.Data[54:])
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var c Connection
		_ = ParseConnection(b, &c)
		s := New().NewStream(nil)
		for dir := discovery.ToServer; dir <= discovery.ToClient; dir++ {
			buf := b
			for len(buf) > 0 {
				n, err := s.PDULen(buf, dir)
				if err != nil || n == 0 || n > len(buf) {
					break
				}
				_ = s.Parse(buf[:n], &discovery.PacketInfo{Dir: dir}, func(discovery.Observation) {})
				buf = buf[n:]
			}
		}
	})
}

func BenchmarkParseConnection(b *testing.B) {
	cr := testutil.ReadFrames(b, testutil.Fixture("rdp", "rdp.pcap"))[3].Data[54:]
	var c Connection
	b.SetBytes(int64(len(cr)))
	b.ReportAllocs()
	for b.Loop() {
		if err := ParseConnection(cr, &c); err != nil {
			b.Fatal(err)
		}
	}
}
