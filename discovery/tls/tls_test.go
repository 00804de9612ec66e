package tls

import (
	"slices"
	"testing"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/internal/ittest"
	"github.com/otzone/otzone/internal/testutil"
)

// testdata/fixtures/tls/tls.pcap holds two real openssl sessions captured on loopback by
// testdata/fixtures/tls/gen_fixture.sh (client 127.0.0.1, server 127.0.0.2:443). tshark -V reads:
//
//	4  Client Hello, server_name "plc-line3.plant.local"
//	6  Server Hello (TLS 1.2, cipher suite 0xc02c), Certificate: subject and issuer
//	   O=Plant Line 3, CN=plc-line3.plant.local; notAfter 2036-11-24 16:49:03 UTC;
//	   dNSName plc-line3.plant.local, plc-line3; Server Key Exchange, Server Hello Done
//	18 Client Hello (supported_versions 0x0304) with the same SNI
//	20 Server Hello, supported_versions 0x0304 (TLS 1.3), cipher suite 0x1302, then encrypted records
func TestFixture(t *testing.T) {
	h := ittest.Run(t, testutil.ReadFrames(t, testutil.Fixture("tls", "tls.pcap")), "tls.pcap", New())
	h.NoErrors()
	h.CheckObservations()
	const srv, cli = "127.0.0.2", "127.0.0.1"
	checks := []struct {
		who, key string
		want     []string
	}{
		{srv, "tls.sni", []string{"plc-line3.plant.local"}},
		{srv, "tls.version", []string{"TLS 1.2", "TLS 1.3"}},
		{srv, "tls.cert_subject", []string{"CN=plc-line3.plant.local,O=Plant Line 3"}},
		{srv, "tls.cert_issuer", []string{"CN=plc-line3.plant.local,O=Plant Line 3"}},
		{srv, "tls.cert_not_after", []string{"2036-11-24T16:49:03Z"}},
		{srv, "tls.cert_self_signed", []string{"true"}},
		{srv, "tls.cert_dns_name", []string{"plc-line3.plant.local", "plc-line3"}},
	}
	for _, c := range checks {
		if got := h.Attr(c.who, c.key); !slices.Equal(got, c.want) {
			t.Errorf("%s %s = %q, want %q", c.who, c.key, got, c.want)
		}
	}
	if got := h.Comm(cli, "encrypted"); !slices.Equal(got, []string{"true"}) {
		t.Errorf("encrypted %q", got)
	}
	if got := h.Comm(cli, "tls.cipher_suite"); !slices.Equal(got, []string{"0xc02c", "0x1302"}) {
		t.Errorf("cipher suites %q", got)
	}
	if got := h.Services(srv); !slices.Equal(got, []string{"tls/tcp/443/server"}) {
		t.Errorf("services %q", got)
	}
}

func records(t testing.TB) (toServer, toClient []byte) {
	for _, f := range testutil.ReadFrames(t, testutil.Fixture("tls", "tls.pcap")) {
		// Ethernet(14) IPv4(20) TCP with options: data offset from the header.
		tcp := f.Data[34:]
		off := int(tcp[12]>>4) * 4
		p := tcp[off:]
		if len(p) == 0 {
			continue
		}
		if tcp[2] == 0x01 && tcp[3] == 0xbb {
			toServer = append(toServer, p...)
		} else {
			toClient = append(toClient, p...)
		}
	}
	return
}

func TestClientHello(t *testing.T) {
	cs, _ := records(t)
	n, err := RecordLen(cs)
	if err != nil || n != 218 { // frame 4: TLS record length 213 + 5
		t.Fatalf("record len %d %v", n, err)
	}
	var h Hello
	if err := ParseHello(ClientHello, cs[9:n], &h); err != nil {
		t.Fatal(err)
	}
	if string(h.SNI) != "plc-line3.plant.local" || h.Version != TLS12 {
		t.Errorf("%+v", h)
	}
}

// TestSplit: every split of the server's byte stream gives the same facts.
func TestSplit(t *testing.T) {
	cs, sc := records(t)
	run := func(cut int) []string {
		s := New().NewStream(nil)
		var got []string
		emit := func(o discovery.Observation) { got = append(got, o.Key+"="+o.Value+o.Role) }
		for dir, chunks := range [2][][]byte{{cs}, {sc[:cut], sc[cut:]}} {
			pkt := &discovery.PacketInfo{Dir: discovery.Direction(dir)}
			var buf []byte
			for _, c := range chunks {
				buf = append(buf, c...)
				for {
					n, err := s.PDULen(buf, pkt.Dir)
					if err != nil {
						t.Fatal(err)
					}
					if n == 0 || n > len(buf) {
						break
					}
					if err := s.Parse(buf[:n], pkt, emit); err != nil {
						t.Fatal(err)
					}
					buf = buf[n:]
				}
			}
		}
		return got
	}
	want := run(0)
	if len(want) < 8 {
		t.Fatalf("emitted %q", want)
	}
	for cut := 1; cut < len(sc); cut += 37 {
		if got := run(cut); !slices.Equal(got, want) {
			t.Fatalf("cut %d: %q, want %q", cut, got, want)
		}
	}
}

// TestRecordSplitHandshake: a certificate message spread over several
// records is reassembled.
func TestRecordSplitHandshake(t *testing.T) {
	_, sc := records(t)
	// The handshake bytes of the server's first flight (frame 6), whatever their records.
	var frag []byte
	for b := sc; len(b) > 0 && b[0] == byte(Handshake); {
		n, err := RecordLen(b)
		if err != nil || n == 0 {
			t.Fatal(err)
		}
		frag = append(frag, b[5:n]...)
		b = b[n:]
	}
	s := New().NewStream(nil).(*stream)
	var got []string
	pkt := &discovery.PacketInfo{Dir: discovery.ToClient}
	for i := 0; i < len(frag); i += 50 {
		part := frag[i:min(i+50, len(frag))]
		rec := append([]byte{22, 3, 3, byte(len(part) >> 8), byte(len(part))}, part...)
		if err := s.Parse(rec, pkt, func(o discovery.Observation) { got = append(got, o.Key) }); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Contains(got, "tls.cert_subject") {
		t.Errorf("certificate not reassembled: %q", got)
	}
}

func TestDetectAndPrefixes(t *testing.T) {
	cs, sc := records(t)
	d := New()
	if d.Detect(cs, discovery.ToServer) != discovery.Yes || d.Detect(sc, discovery.ToClient) != discovery.Yes ||
		d.Detect(cs[:3], discovery.ToServer) != discovery.NeedMore || d.Detect([]byte("GET / HTTP/1.1"), discovery.ToServer) != discovery.No ||
		d.Detect(sc, discovery.ToServer) != discovery.No {
		t.Error("Detect")
	}
	for _, b := range [][]byte{cs, sc} {
		for i := range min(len(b), 800) {
			s := New().NewStream(nil)
			if n, err := s.PDULen(b[:i], discovery.ToClient); err == nil && n > 0 && n <= i {
				_ = s.Parse(b[:n], &discovery.PacketInfo{Dir: discovery.ToClient}, func(discovery.Observation) {})
			}
			var h Hello
			if i > 9 {
				_ = ParseHello(ClientHello, b[9:i], &h)
				_ = ParseHello(ServerHello, b[9:i], &h)
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	cs, sc := records(f)
	f.Add(cs[:min(len(cs), 2000)])
	f.Add(sc[:min(len(sc), 2000)])
	f.Fuzz(func(t *testing.T, b []byte) {
		s := New().NewStream(nil)
		for dir := discovery.ToServer; dir <= discovery.ToClient; dir++ {
			buf := b
			pkt := &discovery.PacketInfo{Dir: dir}
			for len(buf) > 0 {
				n, err := s.PDULen(buf, dir)
				if err != nil || n == 0 || n > len(buf) {
					break
				}
				_ = s.Parse(buf[:n], pkt, func(discovery.Observation) {})
				buf = buf[n:]
			}
		}
	})
}

func BenchmarkClientHello(b *testing.B) {
	cs, _ := records(b)
	n, _ := RecordLen(cs)
	body := cs[9:n]
	var h Hello
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := ParseHello(ClientHello, body, &h); err != nil {
			b.Fatal(err)
		}
	}
}
