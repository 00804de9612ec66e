package snmp

import (
	"errors"
	"slices"
	"testing"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/internal/ittest"
	"github.com/otzone/otzone/internal/testutil"
)

// testdata/fixtures/snmp/snmp.pcap is written by testdata/fixtures/snmp/gen_fixture.py (scapy; the v3 message by hand).
// tshark -r testdata/fixtures/snmp/snmp.pcap reads:
//
//	1 10.10.20.22 → 10.10.10.2 get-request (v2c, community public) sysDescr.0 sysObjectID.0 sysName.0 sysLocation.0
//	2 10.10.10.2 → 10.10.20.22 get-response: sysDescr "Cisco IOS Software, IE4000 Software ... (fc2)\r\nTechnical
//	  Support: http://www.cisco.com/techsupport", sysObjectID 1.3.6.1.4.1.9.1.2157, sysName "ie4000-cell1",
//	  sysLocation "Building 2, cell 1 cabinet"
//	3 set-request (v1, community private) sysLocation.0 = "cabinet 1A"; 4 its get-response
//	5 10.10.10.2:50999 → 10.10.20.22:162 snmpV2-trap (community plant-traps)
//	6 10.10.20.22 → 10.10.10.2 SNMPv3, msgFlags 07 (reportable, encrypted, authenticated), USM,
//	  msgAuthoritativeEngineID 800000090300001b54100002, msgUserName opsadmin, encryptedPDU
func payloads(t testing.TB) [][]byte {
	var out [][]byte
	for _, f := range testutil.ReadFrames(t, testutil.Fixture("snmp", "snmp.pcap")) {
		out = append(out, f.Data[14+20+8:])
	}
	return out
}

func TestParse(t *testing.T) {
	ps := payloads(t)
	var m Message
	if err := Parse(ps[1], &m); err != nil {
		t.Fatal(err)
	}
	if m.Version != V2c || string(m.Community) != "public" || m.PDU != Response || m.RequestID != 1001 || m.NumVarBinds != 4 {
		t.Fatalf("%+v", m)
	}
	oid, _ := OIDString(m.VarBinds[1].Value)
	if oid != "1.3.6.1.4.1.9.1.2157" || string(m.VarBinds[2].Value) != "ie4000-cell1" {
		t.Errorf("varbinds: %q %q", oid, m.VarBinds[2].Value)
	}
	if err := Parse(ps[2], &m); err != nil || m.Version != V1 || m.PDU != SetRequest {
		t.Errorf("set: %v %+v", err, m)
	}
	if err := Parse(ps[4], &m); err != nil || m.PDU != TrapV2 || m.NumVarBinds != 2 {
		t.Errorf("trap: %v %+v", err, m)
	}
	if err := Parse(ps[5], &m); err != nil || m.Version != V3 || m.PDU != Encrypted || m.SecurityLevel() != "authPriv" ||
		!m.UserNamePresent || len(m.EngineID) != 12 {
		t.Errorf("v3: %v %+v", err, m)
	}
}

func TestOIDString(t *testing.T) {
	cases := map[string]string{"\x2b\x06\x01\x02\x01\x01\x01\x00": "1.3.6.1.2.1.1.1.0", "\x2b\x06\x01\x04\x01\x82\x37": "1.3.6.1.4.1.311", "\x88\x37\x03": "2.999.3"}
	for in, want := range cases {
		if got, ok := OIDString([]byte(in)); !ok || got != want {
			t.Errorf("% x: %q %v, want %q", in, got, ok, want)
		}
	}
	if _, ok := OIDString([]byte{0x2b, 0x86}); ok {
		t.Error("accepted a truncated sub-identifier")
	}
}

func TestFixture(t *testing.T) {
	h := ittest.Run(t, testutil.ReadFrames(t, testutil.Fixture("snmp", "snmp.pcap")), "snmp.pcap", New())
	h.NoErrors()
	h.CheckObservations()
	const sw, ews = "10.10.10.2", "10.10.20.22"
	checks := []struct {
		who, key string
		want     []string
	}{
		{sw, "snmp.sys_descr", []string{"Cisco IOS Software, IE4000 Software (IE4000-UNIVERSALK9-M), Version 15.2(7)E4, RELEASE SOFTWARE (fc2)  Technical Support: http://www.cisco.com/techsupport"}},
		{sw, "snmp.sys_object_id", []string{"1.3.6.1.4.1.9.1.2157"}},
		{sw, "snmp.sys_name", []string{"ie4000-cell1"}},
		{sw, "snmp.sys_location", []string{"Building 2, cell 1 cabinet", "cabinet 1A"}},
		{sw, "snmp.version", []string{"v2c", "v1"}},
		{sw, "snmp.community_default", []string{"true"}},
	}
	for _, c := range checks {
		if got := h.Attr(c.who, c.key); !slices.Equal(got, c.want) {
			t.Errorf("%s %s = %q, want %q", c.who, c.key, got, c.want)
		}
	}
	if got := h.Ops(ews); !slices.Equal(got, []string{"get_request/read", "set_request/write", "encrypted_pdu/other"}) {
		t.Errorf("ews ops %q", got)
	}
	if got := h.Ops(sw); !slices.Equal(got, []string{"trap_v2/other"}) {
		t.Errorf("switch ops %q", got)
	}
	if got := h.Comm(ews, "encrypted"); !slices.Equal(got, []string{"false", "true"}) {
		t.Errorf("encrypted %q", got)
	}
	if got := h.Comm(ews, "snmp.security_level"); !slices.Equal(got, []string{"authPriv"}) {
		t.Errorf("security level %q", got)
	}
	if got := h.Comm(ews, "snmp.community_default"); !slices.Equal(got, []string{"true"}) {
		t.Errorf("community_default %q", got)
	}
	if got := h.Services(sw); !slices.Equal(got, []string{"snmp/udp/161/server", "snmp/udp/162/client"}) {
		t.Errorf("switch services %q", got)
	}
	// Never store the community or the user name.
	for _, o := range h.Obs {
		for _, secret := range []string{"public", "private", "plant-traps", "opsadmin"} {
			if o.Value == secret {
				t.Errorf("stored %q: %+v", secret, o)
			}
		}
	}
}

func TestErrorsAndPrefixes(t *testing.T) {
	var m Message
	for _, c := range []struct {
		b    []byte
		want error
	}{
		{nil, ErrBER},
		{[]byte{0x30, 0x03, 0x02, 0x01, 0x02}, ErrVersion},
		{[]byte{0x30, 0x85, 1, 1, 1, 1, 1}, ErrBER},
		{[]byte{0x30, 0x10, 0x02, 0x01}, ErrBER},
	} {
		if err := Parse(c.b, &m); !errors.Is(err, c.want) {
			t.Errorf("% x: %v, want %v", c.b, err, c.want)
		}
	}
	d := New()
	for _, b := range payloads(t) {
		for i := range len(b) {
			if Parse(b[:i], &m) == nil {
				t.Errorf("prefix %d of %d accepted", i, len(b))
			}
			_ = d.Datagram(b[:i], &discovery.PacketInfo{}, func(discovery.Observation) {})
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, b := range payloads(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var m Message
		_ = Parse(b, &m)
		for _, vb := range m.VarBinds[:m.NumVarBinds] {
			_, _ = OIDString(vb.Name)
		}
		_ = New().Datagram(b, &discovery.PacketInfo{}, func(discovery.Observation) {})
	})
}

func BenchmarkParse(b *testing.B) {
	data := payloads(b)[1]
	var m Message
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Parse(data, &m); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRealNetSNMP: testdata/fixtures/snmp/real_netsnmp.pcap (testdata/fixtures/snmp/gen_real.sh: Debian 12
// net-snmp snmpget against snmpd on loopback). tshark -V reads:
//
//	1/2 v2c "public" get-request/get-response: sysDescr "Plant SNMP agent (net-snmp on Debian 12)",
//	    sysObjectID 1.3.6.1.4.1.8072.3.2.10, sysName "hist01", sysLocation "Building 2, server room rack 4"
//	3   v1 "private" get-request, unanswered
//	4   v3 msgFlags 04, msgAuthoritativeEngineID <MISSING> (engine discovery)
//	5   report usmStatsUnknownEngineIDs, msgFlags 00, engine id 80001f88802c873b12cab8096b00000000
//	6/7 msgFlags 07 (authPriv), encryptedPDU both ways
func TestRealNetSNMP(t *testing.T) {
	h := ittest.Run(t, testutil.ReadFrames(t, testutil.Fixture("snmp", "real_netsnmp.pcap")), "real_netsnmp.pcap", New())
	h.NoErrors()
	h.CheckObservations()
	const agent, mgr = "127.0.0.2", "127.0.0.1"
	checks := []struct {
		who, key string
		want     []string
	}{
		{agent, "snmp.sys_descr", []string{"Plant SNMP agent (net-snmp on Debian 12)"}},
		{agent, "snmp.sys_object_id", []string{"1.3.6.1.4.1.8072.3.2.10"}},
		{agent, "snmp.sys_name", []string{"hist01"}},
		{agent, "snmp.sys_location", []string{"Building 2, server room rack 4"}},
		{agent, "snmp.version", []string{"v2c", "v3"}},
		{agent, "snmp.engine_id", []string{"80001f88802c873b12cab8096b00000000"}},
		{agent, "snmp.community_default", []string{"true"}},
	}
	for _, c := range checks {
		if got := h.Attr(c.who, c.key); !slices.Equal(got, c.want) {
			t.Errorf("%s %s = %q, want %q", c.who, c.key, got, c.want)
		}
	}
	// The v3 flow is authPriv; its engine discovery does not make it look clear.
	if got := h.Comm(mgr, "snmp.security_level"); !slices.Equal(got, []string{"authPriv"}) {
		t.Errorf("security level %q", got)
	}
	if got := h.Comm(mgr, "encrypted"); !slices.Equal(got, []string{"false", "true"}) {
		t.Errorf("encrypted %q (v2c and v1 flows clear, v3 flow encrypted)", got)
	}
}
