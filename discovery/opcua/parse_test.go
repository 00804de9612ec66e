package opcua

import (
	"encoding/hex"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/otzone/otzone/discovery"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Real frames (tcp.payload via tshark -T fields -e tcp.payload).
const (
	// opcua_with-gap.pcap frame 4: "Hello message", EndpointUrl opc.tcp://192.168.11.34:4840,
	// ReceiveBufferSize 65536, SendBufferSize 65536, MaxMessageSize 16777216, MaxChunkCount 256.
	helloFrame4 = "48454c463c00000000000000000001000000010000000001000100001c0000006f70632e7463703a2f2f3139322e3136382e31312e33343a34383430"
	// opcua_with-gap.pcap frame 6: "Acknowledge message".
	ackFrame6 = "41434b461c0000000000000000000100000001000000000100010000"
	// opcua_with-gap.pcap frame 7: OpenSecureChannelRequest, SecureChannelId 0,
	// SecurityPolicy#None, SecurityTokenRequestType Issue, MessageSecurityMode None, RequestedLifetime 3600000.
	opnFrame7 = "4f504e4685000000000000002f000000687474703a2f2f6f7063666f756e646174696f6e2e6f72672f55412f5365637572697479506f6c696379234e6f6e65ffffffffffffffff01000000010000000100be010000429d19f2b742d8010000000000000000ffffffff00000000000000000000000000000001000000010000000080ee3600"
	// opcua_with-gap.pcap frame 31: ActivateSessionRequest (467), SecureChannelId 13,
	// UserIdentityToken AnonymousIdentityToken (321), policy "Anonymous_Policy".
	activateFrame31 = "4d534746990000000d0000000100000003000000030000000100d30105000020000000ab28541b6afdf93a4703a5f287190cd8d7f50d7ec3aa739ed5bc828bb497478d3cff1bf2b742d80142420f0000000000ffffffff88130000000000ffffffffffffffff000000000100000002000000656e01004101011400000010000000416e6f6e796d6f75735f506f6c696379ffffffffffffffff"
	// opcua_with-gap.pcap frame 33: ReadRequest (631).
	readFrame33 = "4d534746920000000d0000000100000004000000040000000100770205000020000000ab28541b6afdf93a4703a5f287190cd8d7f50d7ec3aa739ed5bc828bb497478d80611ef2b742d80143420f0000000000ffffffff88130000000000000000000000000003000000020000000100b62d0d000000ffffffff0000ffffffff0100b92d0d000000ffffffff0000ffffffff"
	// open62541_client-server_mainloop.pcap frame 93: WriteRequest (673).
	writeFrame93 = "4d5347466d000000040000000400000015000000150000000100a1020401003912161546f36d34fecffcbfbacb4c14b28f934f2dd1d5011600000000000000ffffffff00000000000000010000000301000a0000007468652e616e737765720d000000ffffffff010601000000"
)

func TestParseHeader(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Header
		err  error
	}{
		{"hello frame 4", helloFrame4, Header{MsgHello, ChunkFinal, 60}, nil},
		{"ack frame 6", ackFrame6, Header{MsgAcknowledge, ChunkFinal, 28}, nil},
		{"opn frame 7", opnFrame7, Header{MsgOpen, ChunkFinal, 133}, nil},
		{"read frame 33", readFrame33, Header{MsgMessage, ChunkFinal, 146}, nil},
		{"short", "48454c46", Header{}, ErrShort},
		{"http", hex.EncodeToString([]byte("GET / HTTP/1.1\r\n")), Header{}, ErrNotOPCUA},
		{"hello intermediate", "48454c433c000000", Header{}, ErrNotOPCUA},
		{"size below minimum", "4d53474608000000", Header{}, ErrNotOPCUA},
		{"size above maximum", "4d534746ffffffff", Header{}, ErrNotOPCUA},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseHeader(unhex(t, tt.in))
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if tt.err == nil && got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseHello(t *testing.T) {
	got, err := ParseHello(unhex(t, helloFrame4))
	if err != nil {
		t.Fatal(err)
	}
	want := Hello{Version: 0, ReceiveBufferSize: 65536, SendBufferSize: 65536, MaxMessageSize: 16777216, MaxChunkCount: 256,
		EndpointURL: "opc.tcp://192.168.11.34:4840"}
	if d := cmp.Diff(want, got); d != "" {
		t.Error(d)
	}
}

func TestParseOpenNone(t *testing.T) {
	a, rest, err := ParseOpen(unhex(t, opnFrame7))
	if err != nil {
		t.Fatal(err)
	}
	if a.SecureChannelID != 0 || a.SecurityPolicyURI != "http://opcfoundation.org/UA/SecurityPolicy#None" || a.SenderCertificate != nil {
		t.Fatalf("header %+v", a)
	}
	_, body, err := ParseSequence(rest)
	if err != nil {
		t.Fatal(err)
	}
	svc, body, err := ServiceOf(body)
	if err != nil || svc != SvcOpenSecureChannelRequest {
		t.Fatalf("service %v %v", svc, err)
	}
	req, err := ParseOpenSecureChannelRequest(body)
	if err != nil {
		t.Fatal(err)
	}
	want := OpenSecureChannelRequest{ClientProtocolVersion: 0, RequestType: 0, SecurityMode: ModeNone, RequestedLifetime: 3600000}
	if req != want {
		t.Errorf("got %+v, want %+v", req, want)
	}
}

func TestServices(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		svc   ServiceID
		class discovery.OpClass
	}{
		{"read frame 33", readFrame33, 631, discovery.OpRead},
		{"write frame 93", writeFrame93, 673, discovery.OpWrite},
		{"activate frame 31", activateFrame31, 467, discovery.OpOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sh, rest, err := ParseSymmetric(unhex(t, tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if sh.SecureChannelID == 0 {
				t.Errorf("secure channel id 0")
			}
			_, body, err := ParseSequence(rest)
			if err != nil {
				t.Fatal(err)
			}
			svc, _, err := ServiceOf(body)
			if err != nil || svc != tt.svc {
				t.Fatalf("service %v %v, want %v", svc, err, tt.svc)
			}
			if info, _ := svc.Info(); info.Class != tt.class || !info.Request {
				t.Errorf("info %+v, want class %s request", info, tt.class)
			}
		})
	}
}

func TestParseActivateSessionAnonymous(t *testing.T) {
	_, rest, _ := ParseSymmetric(unhex(t, activateFrame31))
	_, body, _ := ParseSequence(rest)
	_, body, _ = ServiceOf(body)
	tok, err := ParseActivateSessionRequest(body)
	if err != nil {
		t.Fatal(err)
	}
	if tok != TokenAnonymous {
		t.Errorf("token %v, want anonymous", tok)
	}
}

func TestServiceOfEncrypted(t *testing.T) {
	// Random-looking bytes as a SignAndEncrypt body would be.
	if _, _, err := ServiceOf(unhex(t, "8e3a11f0c2d94b7a")); !errors.Is(err, ErrNotClear) {
		t.Errorf("err = %v, want ErrNotClear", err)
	}
	// Numeric NodeId of an unknown id.
	if _, _, err := ServiceOf(unhex(t, "0100ffff00000000")); !errors.Is(err, ErrNotClear) {
		t.Errorf("err = %v, want ErrNotClear", err)
	}
}

func TestDetect(t *testing.T) {
	d := New()
	tests := []struct {
		name string
		in   []byte
		want discovery.Verdict
	}{
		{"hello frame 4", unhex(t, helloFrame4), discovery.Yes},
		{"hello first 20 bytes", unhex(t, helloFrame4)[:20], discovery.NeedMore},
		{"ack frame 6", unhex(t, ackFrame6), discovery.Yes},
		{"opn frame 7", unhex(t, opnFrame7), discovery.Yes},
		{"msg mid-stream frame 33", unhex(t, readFrame33), discovery.Yes},
		{"hello with http url", func() []byte {
			b := unhex(t, helloFrame4)
			copy(b[32:], "http://x.")
			return b
		}(), discovery.No},
		{"hello size mismatch", func() []byte {
			b := unhex(t, helloFrame4)
			b[4] = 0x40
			return b
		}(), discovery.No},
		{"msg channel 0", unhex(t, "4d534746920000000000000001000000"), discovery.No},
		{"http", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), discovery.No},
		{"tls", unhex(t, "160301020001000200"), discovery.No},
		{"empty", nil, discovery.NeedMore},
	}
	for _, tt := range tests {
		if got := d.Detect(tt.in, discovery.ToServer); got != tt.want {
			t.Errorf("%s: Detect = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestPrefixes feeds every prefix of every real frame to every parser: the
// result is an error or need-more, never a panic, and PDULen never claims a
// whole PDU shorter than the header says.
func TestPrefixes(t *testing.T) {
	s := New().NewStream(&discovery.Flow{}).(*stream)
	for _, h := range []string{helloFrame4, ackFrame6, opnFrame7, activateFrame31, readFrame33, writeFrame93} {
		full := unhex(t, h)
		for i := 0; i <= len(full); i++ {
			p := append([]byte(nil), full[:i]...)
			n, err := s.PDULen(p, discovery.ToServer)
			if err == nil && n != 0 && n != len(full) {
				t.Fatalf("prefix %d: PDULen %d, want 0 or %d", i, n, len(full))
			}
			New().Detect(p, discovery.ToServer)
			pkt := &discovery.PacketInfo{}
			_ = s.Parse(p, pkt, func(discovery.Observation) {})
			ParseHello(p)
			ParseOpen(p)
			if _, rest, err := ParseSymmetric(p); err == nil {
				if _, body, err := ParseSequence(rest); err == nil {
					if _, b, err := ServiceOf(body); err == nil {
						ParseActivateSessionRequest(b)
						ParseCreateSessionRequest(b)
						ParseGetEndpointsResponse(b)
					}
				}
			}
		}
	}
}

func TestSanitize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"  pad\x00\x00", "pad"},
		{"a\x1b[31mred", "a [31mred"},
		{"bad\xffutf8", "bad utf8"},
	}
	for _, tt := range tests {
		if got := sanitize(tt.in); got != tt.want {
			t.Errorf("sanitize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	long := make([]byte, 1000)
	for i := range long {
		long[i] = 'x'
	}
	if got := sanitize(string(long)); len(got) != maxValue {
		t.Errorf("len %d, want %d", len(got), maxValue)
	}
}

func FuzzParse(f *testing.F) {
	for _, h := range []string{helloFrame4, ackFrame6, opnFrame7, activateFrame31, readFrame33, writeFrame93} {
		b, _ := hex.DecodeString(h)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d := New()
		d.Detect(b, discovery.ToServer)
		s := d.NewStream(&discovery.Flow{})
		n, err := s.PDULen(b, discovery.ToServer)
		if err == nil && n > 0 && n <= len(b) {
			pkt := &discovery.PacketInfo{}
			_ = s.Parse(b[:n], pkt, func(discovery.Observation) {})
		}
		if _, rest, err := ParseSymmetric(b); err == nil {
			if _, body, err := ParseSequence(rest); err == nil {
				if _, body, err := ServiceOf(body); err == nil {
					ParseGetEndpointsResponse(body)
					ParseFindServersResponse(body)
					ParseCreateSessionRequest(body)
					ParseCreateSessionResponse(body)
					ParseActivateSessionRequest(body)
					ParseOpenSecureChannelRequest(body)
				}
			}
		}
	})
}

func BenchmarkParseRead(b *testing.B) {
	pdu, _ := hex.DecodeString(readFrame33)
	s := New().NewStream(&discovery.Flow{Transport: discovery.TCP, ServerPort: 4840})
	pkt := &discovery.PacketInfo{}
	emit := func(discovery.Observation) {}
	b.SetBytes(int64(len(pdu)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := s.PDULen(pdu, discovery.ToServer); err != nil {
			b.Fatal(err)
		}
		if err := s.Parse(pdu, pkt, emit); err != nil {
			b.Fatal(err)
		}
	}
}
