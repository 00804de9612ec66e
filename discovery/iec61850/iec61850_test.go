package iec61850

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/otzone/otzone/discovery"
)

// No shared capture carries IEC 61850, so these frames are built from the
// standards' ASN.1 (IEC 61850-8-1 Annex A goosePdu, 61850-9-2 savPdu,
// ISO 9506-2 MMSpdu, ISO 8327/8823 session/presentation). The same bytes,
// written by testdata/gen/iec61850.go into the demo plant, are decoded by
// tshark 4.0 as "GOOSE", "IEC61850 Sampled Values" and "MMS"
// (tshark -r testdata/demo/plant.pcapng -Y 'goose || sv || mms').

func tlvb(tag byte, content ...[]byte) []byte {
	c := bytes.Join(content, nil)
	out := []byte{tag}
	switch {
	case len(c) < 0x80:
		out = append(out, byte(len(c)))
	case len(c) < 0x100:
		out = append(out, 0x81, byte(len(c)))
	default:
		out = append(out, 0x82, byte(len(c)>>8), byte(len(c)))
	}
	return append(out, c...)
}

func str(tag byte, s string) []byte { return tlvb(tag, []byte(s)) }

func l2frame(appID uint16, apdu []byte) []byte {
	b := make([]byte, 8, 8+len(apdu))
	binary.BigEndian.PutUint16(b, appID)
	binary.BigEndian.PutUint16(b[2:], uint16(8+len(apdu)))
	return append(b, apdu...)
}

// gooseFrame is a goosePdu as a protection IED publishes it (libiec61850
// naming style), with allData of one BOOLEAN.
func gooseFrame() []byte {
	return l2frame(0x3001, tlvb(0x61,
		str(0x80, "IED1LD0/LLN0$GO$gcbTrip"),
		tlvb(0x81, []byte{0x07, 0xd0}),
		str(0x82, "IED1LD0/LLN0$dsTrip"),
		str(0x83, "IED1_TRIP"),
		tlvb(0x84, []byte{0x69, 0x68, 0xae, 0x40, 0, 0, 0, 0x0a}),
		tlvb(0x85, []byte{1}), tlvb(0x86, []byte{42}), tlvb(0x87, []byte{0}),
		tlvb(0x88, []byte{1}), tlvb(0x89, []byte{0}), tlvb(0x8a, []byte{1}),
		tlvb(0xab, tlvb(0x83, []byte{0})),
	))
}

func svFrame() []byte {
	asdu := tlvb(0x30, str(0x80, "MU01_SV1"), tlvb(0x82, []byte{0x0f, 0xa0}), tlvb(0x83, []byte{0, 0, 0, 1}),
		tlvb(0x85, []byte{2}), tlvb(0x87, make([]byte, 64)))
	return l2frame(0x4000, tlvb(0x60, tlvb(0x80, []byte{1}), tlvb(0xa2, asdu)))
}

func TestParseGOOSE(t *testing.T) {
	g, err := ParseGOOSE(gooseFrame())
	if err != nil {
		t.Fatal(err)
	}
	if g.AppID != 0x3001 || string(g.GocbRef) != "IED1LD0/LLN0$GO$gcbTrip" || string(g.GoID) != "IED1_TRIP" ||
		string(g.DatSet) != "IED1LD0/LLN0$dsTrip" || g.StNum != 1 || g.SqNum != 42 || g.ConfRev != 1 || g.Simulation {
		t.Errorf("got %+v", g)
	}
}

func TestParseSV(t *testing.T) {
	s, err := ParseSV(svFrame(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.AppID != 0x4000 || len(s.SvIDs) != 1 || string(s.SvIDs[0]) != "MU01_SV1" {
		t.Errorf("got %+v", s)
	}
}

func TestFrameDissector(t *testing.T) {
	d := New()
	var got []discovery.Observation
	emit := func(o discovery.Observation) { got = append(got, o) }
	pub := discovery.MAC{0x00, 0x0f, 0x73, 0x10, 0x00, 0x17}
	pkt := &discovery.PacketInfo{Evidence: discovery.Evidence{Kind: "pcap", Name: "t", Frame: 1}, Src: discovery.Endpoint{MAC: pub}}
	for i := 0; i < 3; i++ { // retransmissions report once
		if err := d.Frame(gooseFrame(), pkt, emit); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Frame(svFrame(), pkt, emit); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{
		"service goose publisher": true, "attribute goose.gocb_ref=IED1LD0/LLN0$GO$gcbTrip": true,
		"attribute goose.go_id=IED1_TRIP": true, "attribute goose.dat_set=IED1LD0/LLN0$dsTrip": true,
		"service sv publisher": true, "attribute sv.sv_id=MU01_SV1": true,
	}
	if len(got) != len(want) {
		t.Errorf("got %d observations, want %d: %+v", len(got), len(want), got)
	}
	for _, o := range got {
		k := o.Kind.String() + " " + o.Protocol + " " + o.Role
		if o.Kind == discovery.KindAttribute {
			k = "attribute " + o.Key + "=" + o.Value
		}
		if !want[k] {
			t.Errorf("unexpected %q", k)
		}
		if o.Asset.MAC != pub {
			t.Errorf("%q about %v", k, o.Asset)
		}
	}
}

// mmsData wraps an MMS PDU in session Give-Tokens + Data-Transfer and a
// presentation fully-encoded-data PDV (context 3), as IEC 61850 clients send it.
func mmsData(pdu []byte) []byte {
	return append([]byte{0x01, 0x00, 0x01, 0x00}, tlvb(0x61, tlvb(0x30, tlvb(0x02, []byte{3}), tlvb(0xa0, pdu)))...)
}

func TestMMS(t *testing.T) {
	cases := []struct {
		name  string
		pdu   []byte
		op    string
		class discovery.OpClass
	}{
		{"read", tlvb(0xa0, tlvb(0x02, []byte{0x01}), tlvb(0xa4, tlvb(0xa1, tlvb(0xa0, tlvb(0x30, tlvb(0xa0, tlvb(0xa1, str(0x1a, "IED1LD0"), str(0x1a, "MMXU1$MX$TotW")))))))), "read", discovery.OpRead},
		{"write", tlvb(0xa0, tlvb(0x02, []byte{0x02}), tlvb(0xa5, tlvb(0xa0, tlvb(0xa1, str(0x1a, "IED1LD0"), str(0x1a, "GGIO1$SP$SPCSO1"))))), "write", discovery.OpWrite},
		{"operate", tlvb(0xa0, tlvb(0x02, []byte{0x03}), tlvb(0xa5, tlvb(0xa0, tlvb(0xa1, str(0x1a, "IED1LD0"), str(0x1a, "CSWI1$CO$Pos$Oper"))))), "write", discovery.OpControl},
		{"identify", tlvb(0xa0, tlvb(0x02, []byte{0x04}), []byte{0x82, 0x00}), "identify", discovery.OpDiscovery},
		{"get_name_list", tlvb(0xa0, tlvb(0x02, []byte{0x05}), tlvb(0xa1, tlvb(0xa0, []byte{0x80, 0x01, 0x09}))), "get_name_list", discovery.OpDiscovery},
		{"download", tlvb(0xa0, tlvb(0x02, []byte{0x06}), []byte{0xbf, 0x1a, 0x03, 0x80, 0x01, 'D'}), "initiate_download_sequence", discovery.OpProgram},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw, ok := FindMMS(mmsData(c.pdu))
			if !ok {
				t.Fatal("no MMS PDU found")
			}
			m, err := ParseMMS(raw)
			if err != nil {
				t.Fatal(err)
			}
			op, ok := m.Operation()
			if !ok || op.Name != c.op || op.Class != c.class {
				t.Errorf("got %+v %v, want %s/%s", op, ok, c.op, c.class)
			}
		})
	}
}

func TestMMSIdentifyResponse(t *testing.T) {
	pdu := tlvb(0xa1, tlvb(0x02, []byte{0x04}), tlvb(0xa2, str(0x80, "ACME Protection"), str(0x81, "REL-670"), str(0x82, "2.2.4")))
	raw, ok := FindMMS(mmsData(pdu))
	if !ok {
		t.Fatal("not found")
	}
	m, err := ParseMMS(raw)
	if err != nil {
		t.Fatal(err)
	}
	if m.Kind != ConfirmedResponse || m.Service != 2 || string(m.Vendor) != "ACME Protection" || string(m.Model) != "REL-670" || string(m.Revision) != "2.2.4" {
		t.Errorf("got %+v", m)
	}
}

func TestTruncatedNeverPanics(t *testing.T) {
	for _, f := range [][]byte{gooseFrame(), svFrame(), mmsData(tlvb(0xa1, tlvb(0x02, []byte{0x04}), tlvb(0xa2, str(0x80, "v"))))} {
		for i := 0; i < len(f); i++ {
			_, _ = ParseGOOSE(f[:i])
			_, _ = ParseSV(f[:i], nil)
			if raw, ok := FindMMS(f[:i]); ok {
				_, _ = ParseMMS(raw)
			}
			d := New()
			pkt := &discovery.PacketInfo{Src: discovery.Endpoint{IP: netip.MustParseAddr("10.0.0.1")}}
			_ = d.Frame(f[:i], pkt, func(discovery.Observation) {})
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(gooseFrame())
	f.Add(svFrame())
	f.Add(mmsData(tlvb(0xa1, tlvb(0x02, []byte{0x04}), tlvb(0xa2, str(0x80, "v")))))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParseGOOSE(b)
		_, _ = ParseSV(b, nil)
		if raw, ok := FindMMS(b); ok {
			_, _ = ParseMMS(raw)
		}
		_ = New().Frame(b, &discovery.PacketInfo{}, func(discovery.Observation) {})
	})
}

func BenchmarkParseGOOSE(b *testing.B) {
	f := gooseFrame()
	b.SetBytes(int64(len(f)))
	for b.Loop() {
		if _, err := ParseGOOSE(f); err != nil {
			b.Fatal(err)
		}
	}
}

// A session CONNECT carrying presentation CP → ACSE AARQ → MMS
// initiate-RequestPDU, built as testdata/gen/iec61850.go does (tshark:
// "MMS initiate-RequestPDU"). The AARQ also carries calling AP/AE
// invocation identifiers ([8] and [9], constructed): they must not be
// taken for the MMS initiate PDUs with the same tags.
func TestFindMMSInConnect(t *testing.T) {
	initiate := tlvb(0xa8, tlvb(0x80, []byte{0x00, 0xfd, 0xe8}), tlvb(0x81, []byte{5}), tlvb(0x82, []byte{5}), tlvb(0x83, []byte{10}),
		tlvb(0xa4, tlvb(0x80, []byte{1}), tlvb(0x81, []byte{0x05, 0xf1, 0x00})))
	aarq := tlvb(0x60, tlvb(0xa1, tlvb(0x06, []byte{0x28, 0xca, 0x22, 0x02, 0x03})),
		tlvb(0xa8, tlvb(0x02, []byte{1})), tlvb(0xa9, tlvb(0x02, []byte{2})),
		tlvb(0xbe, tlvb(0x28, tlvb(0x02, []byte{3}), tlvb(0xa0, initiate))))
	cp := tlvb(0x31, tlvb(0xa0, tlvb(0x80, []byte{1})),
		tlvb(0xa2, tlvb(0x81, []byte{0, 0, 0, 1}), tlvb(0x82, []byte{0, 0, 0, 1}),
			tlvb(0x61, tlvb(0x30, tlvb(0x02, []byte{1}), tlvb(0xa0, aarq)))))
	params := append([]byte{0x05, 0x06, 0x13, 0x01, 0x00, 0x16, 0x01, 0x02, 0x14, 0x02, 0x00, 0x02, 0xc1, byte(len(cp))}, cp...)
	spdu := append([]byte{0x0d, byte(len(params))}, params...)
	if !IsSession(spdu) {
		t.Fatal("CONNECT SPDU not recognised")
	}
	raw, ok := FindMMS(spdu)
	if !ok {
		t.Fatal("initiate not found")
	}
	m, err := ParseMMS(raw)
	if err != nil {
		t.Fatal(err)
	}
	if op, ok := m.Operation(); m.Kind != InitiateRequest || !ok || op.Name != "initiate" {
		t.Errorf("got %+v %+v", m, op)
	}
	for i := 0; i < len(spdu); i++ {
		if raw, ok := FindMMS(spdu[:i]); ok {
			_, _ = ParseMMS(raw)
		}
	}
}
