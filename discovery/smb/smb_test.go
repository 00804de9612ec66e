package smb

import (
	"encoding/binary"
	"slices"
	"strings"
	"testing"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/internal/ittest"
	"github.com/otzone/otzone/internal/testutil"
)

// testdata/fixtures/smb/smb.pcap is written by testdata/fixtures/smb/gen_fixture.py ([MS-SMB2]/[MS-NLMP] layouts). tshark -V reads:
//
//	4/5   SMB2 Negotiate; response Security mode 0x03 (signing enabled, required), Dialect SMB 3.1.1
//	6     Session Setup Request, NTLMSSP_NEGOTIATE, version build 19041
//	7     NTLMSSP_CHALLENGE: target PLANT, NetBIOS computer HIST01, NetBIOS domain PLANT,
//	      DNS computer hist01.plant.local, DNS domain plant.local, version 10.0 build 17763
//	8     NTLMSSP_AUTH, User: PLANT\operator, Host HMI-1, build 19041; 9 Session Setup Response (success)
//	10-147 Write Request Len:200192 (148 segments); 148 Write Response; 149 Read Request Len:4096
//	153   NBSS Session request, to HIST01<20> from EWS-1<00>; 154 Positive session response
//	155/156 SMB Negotiate Protocol Request/Response, Selected Index: 2: NT LM 0.12
func TestFixture(t *testing.T) {
	h := ittest.Run(t, testutil.ReadFrames(t, testutil.Fixture("smb", "smb.pcap")), "smb.pcap", New())
	h.NoErrors()
	h.CheckObservations()
	const hmi, ews, hist = "10.10.20.21", "10.10.20.22", "10.10.30.31"
	attrs := []struct {
		who, key string
		want     []string
	}{
		{hist, "smb.hostname", []string{"HIST01"}},
		{hist, "smb.domain", []string{"PLANT"}},
		{hist, "smb.dns_hostname", []string{"hist01.plant.local"}},
		{hist, "smb.dns_domain", []string{"plant.local"}},
		{hist, "smb.os_version", []string{"10.0.17763"}},
		{hist, "smb.dialect", []string{"SMB 3.1.1", "SMB1 NT LM 0.12"}},
		{hmi, "smb.hostname", []string{"HMI-1"}},
		{hmi, "smb.domain", []string{"PLANT"}},
		{hmi, "smb.os_version", []string{"10.0.19041"}},
		{ews, "smb.hostname", []string{"EWS-1"}},
	}
	for _, c := range attrs {
		if got := h.Attr(c.who, c.key); !slices.Equal(got, c.want) {
			t.Errorf("%s %s = %q, want %q", c.who, c.key, got, c.want)
		}
	}
	comms := []struct {
		who, key string
		want     []string
	}{
		{hmi, "smb.signing_required", []string{"true"}},
		{hmi, "smb.version", []string{"2"}},
		{hmi, "encrypted", []string{"false"}},
		{hmi, "authenticated", []string{"true"}},
		{ews, "smb.version", []string{"1"}},
		{ews, "smb.dialect", []string{"SMB1 NT LM 0.12"}},
	}
	for _, c := range comms {
		if got := h.Comm(c.who, c.key); !slices.Equal(got, c.want) {
			t.Errorf("%s %s = %q, want %q", c.who, c.key, got, c.want)
		}
	}
	if got := h.Ops(hmi); !slices.Equal(got, []string{"write/write", "read/read"}) {
		t.Errorf("ops %q", got)
	}
	if got := h.Services(hist); !slices.Equal(got, []string{"smb/tcp/445/server", "smb/tcp/139/server"}) {
		t.Errorf("services %q", got)
	}
	for _, o := range h.Obs {
		if strings.Contains(o.Value, "operator") {
			t.Errorf("stored the user name: %+v", o)
		}
	}
}

// TestLargeWriteNotBuffered: the 200 192-byte WRITE is framed as a bounded
// head plus skipped pieces, and the READ after it is still parsed.
func TestLargeWriteNotBuffered(t *testing.T) {
	s := New().NewStream(nil).(*stream)
	msg := make([]byte, 4+200192)
	msg[1], msg[2], msg[3] = 0x03, 0x0e, 0x00 // 0x030e00 = 200192
	copy(msg[4:], sigSMB2)
	n, err := s.PDULen(msg, discovery.ToServer)
	if err != nil || n != headLimit {
		t.Fatalf("PDULen %d %v, want %d", n, err, headLimit)
	}
	_ = s.Parse(msg[:n], &discovery.PacketInfo{Dir: discovery.ToServer}, func(discovery.Observation) {})
	rest := msg[n:]
	for len(rest) > 0 {
		k, _ := s.PDULen(rest, discovery.ToServer)
		if k <= 0 || k > len(rest) {
			t.Fatalf("skip framing returned %d for %d bytes", k, len(rest))
		}
		_ = s.Parse(rest[:k], &discovery.PacketInfo{Dir: discovery.ToServer}, func(discovery.Observation) {})
		rest = rest[k:]
	}
	if s.dirs[0].skip != 0 {
		t.Errorf("skip left %d", s.dirs[0].skip)
	}
}

func TestNTLMErrorsAndPrefixes(t *testing.T) {
	frames := testutil.ReadFrames(t, testutil.Fixture("smb", "smb.pcap"))
	var n NTLM
	for _, fr := range frames {
		raw := FindNTLMSSP(fr.Data)
		if raw == nil {
			continue
		}
		if err := ParseNTLM(raw, &n); err != nil {
			t.Errorf("frame %d: %v", fr.Number, err)
		}
		for i := range len(raw) {
			_ = ParseNTLM(raw[:i], &n)
		}
	}
	// A field pointing outside the message.
	bad := append([]byte("NTLMSSP\x00\x03\x00\x00\x00"), make([]byte, 60)...)
	bad[28], bad[32] = 10, 0xff
	if err := ParseNTLM(bad, &n); err == nil {
		t.Error("field outside the message accepted")
	}
	d := New()
	for in, want := range map[string]discovery.Verdict{"\x00\x00\x00\x40\xfeSMB": discovery.Yes, "\x00\x00\x00\x40\xffSMB": discovery.Yes,
		"\x00\x00": discovery.NeedMore, "\x16\x03\x01\x00\x40\x01\x00\x00": discovery.No, "\x00\x00\x00\x40GET ": discovery.No} {
		if got := d.Detect([]byte(in), discovery.ToServer); got != want {
			t.Errorf("Detect(%q) = %v, want %v", in, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, fr := range testutil.ReadFrames(f, testutil.Fixture("smb", "smb.pcap")) {
		if len(fr.Data) > 54 && len(fr.Data) < 600 {
			f.Add(fr.Data[54:])
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
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

func BenchmarkParseReadRequest(b *testing.B) {
	fr := testutil.ReadFrames(b, testutil.Fixture("smb", "smb.pcap"))[148] // frame 149: Read Request
	pdu := fr.Data[54:]
	s := New().NewStream(nil)
	pkt := &discovery.PacketInfo{Dir: discovery.ToServer}
	nop := func(discovery.Observation) {}
	b.SetBytes(int64(len(pdu)))
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Parse(pdu, pkt, nop); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRealImpacket: testdata/fixtures/smb/real_impacket.pcap (testdata/fixtures/smb/gen_real.sh: impacket
// 0.10.0 SMBConnection and SimpleSMBServer on loopback). tshark -V reads:
// frame 4 SMB1 Negotiate offering NT LM 0.12, SMB 2.002, SMB 2.???; frame 6 SMB2
// Negotiate Response, Dialect SMB 2.0.2, Security mode 0x01 (signing not required);
// frame 9 NTLMSSP_CHALLENGE with the server's random names (NetBIOS computer
// odBNVLte, domain pphqvqpj) and version 255.255 build 65535; frame 10
// NTLMSSP_AUTH, domain PLANT, user operator, host EWS-1; frame 16 Write Request
// Len:10244; frame 29 Read Request Len:13.
func TestRealImpacket(t *testing.T) {
	h := ittest.Run(t, testutil.ReadFrames(t, testutil.Fixture("smb", "real_impacket.pcap")), "real_impacket.pcap", New())
	h.NoErrors()
	h.CheckObservations()
	const srv, cli = "127.0.0.2", "127.0.0.1"
	attrs := []struct {
		who, key string
		want     []string
	}{
		{srv, "smb.dialect", []string{"SMB 2.0.2"}},
		{srv, "smb.hostname", []string{"odBNVLte"}},
		{srv, "smb.domain", []string{"pphqvqpj"}},
		{srv, "smb.os_version", nil}, // 255.255.65535 is filler, not a version
		{cli, "smb.hostname", []string{"EWS-1"}},
		{cli, "smb.domain", []string{"PLANT"}},
	}
	for _, c := range attrs {
		if got := h.Attr(c.who, c.key); !slices.Equal(got, c.want) {
			t.Errorf("%s %s = %q, want %q", c.who, c.key, got, c.want)
		}
	}
	if got := h.Comm(cli, "smb.signing_required"); !slices.Equal(got, []string{"false"}) {
		t.Errorf("signing_required %q", got)
	}
	if got := h.Ops(cli); !slices.Equal(got, []string{"write/write", "read/read"}) {
		t.Errorf("ops %q", got)
	}
}

// TestCompound: a compound CREATE + READ + CLOSE request ([MS-SMB2] 3.2.4.1.4,
// NextCommand 8-byte aligned) yields the READ operation inside it.
func TestCompound(t *testing.T) {
	hdr := func(cmd uint16, next uint32) []byte {
		h := make([]byte, 64)
		copy(h, sigSMB2)
		h[4] = 64
		h[12] = byte(cmd)
		binary.LittleEndian.PutUint32(h[20:], next)
		return h
	}
	create := append(hdr(5, 64+64), make([]byte, 64)...)
	read := append(hdr(8, 64+56), make([]byte, 56)...)
	closeCmd := append(hdr(6, 0), make([]byte, 24)...)
	m := append(append(create, read...), closeCmd...)
	pdu := append([]byte{0, byte(len(m) >> 16), byte(len(m) >> 8), byte(len(m))}, m...)
	var ops []string
	s := New().NewStream(nil)
	if err := s.Parse(pdu, &discovery.PacketInfo{Dir: discovery.ToServer}, func(o discovery.Observation) {
		if o.Kind == discovery.KindOperation {
			ops = append(ops, o.Op.Name)
		}
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ops, []string{"read"}) {
		t.Errorf("ops %q", ops)
	}
}
