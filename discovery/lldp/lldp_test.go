package lldp

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/internal/ittest"
	"github.com/otzone/otzone/internal/testutil"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// LLDPDUs (bytes after the EtherType) from the shared captures; the wanted
// values are Wireshark 4.0's decode (tshark -V) of the same frames.
var realFrames = []struct {
	name string
	hex  string
	want LLDPDU
}{
	{
		// profinet/profinet_io_cm_mixed_1.pcap frame 38: Chassis Id "versamax-pns11" (locally assigned),
		// Port Id "port-001", TTL 20, Management Address 192.168.1.2, PNO Chassis MAC 00:09:91:43:e0:67.
		name: "versamax frame 38",
		hex:  "020f0776657273616d61782d706e733131040907706f72742d30303106020014100c0501c0a80102020000000100fe08000ecf0200000000fe0a000ecf0500099143e067fe0900120f01036c0000100000",
		want: LLDPDU{ChassisSubtype: ChassisLocal, ChassisID: []byte("versamax-pns11"), PortSubtype: PortLocal, PortID: []byte("port-001"),
			TTL: 20, MgmtAddrs: [4]netip.Addr{netip.MustParseAddr("192.168.1.2")}, NumMgmtAddrs: 1,
			ProfinetChassisMAC: [6]byte{0x00, 0x09, 0x91, 0x43, 0xe0, 0x67}, HasProfinetChassis: true},
	},
	{
		// profinet/profinet_io_cm_mixed_1.pcap frame 29: "siemens-x208-switch" port-004, System Description
		// "Siemens AG SIMATIC S7 MULTIPORT SCALANCE X 200 FAM", Capabilities 0x0080/0x0080 (station only),
		// Management Address 0.0.0.0, Chassis MAC 00:0e:8c:ef:75:c5.
		name: "scalance frame 29",
		hex:  "0214077369656d656e732d783230382d737769746368040907706f72742d303034060200140c325369656d656e732041472053494d41544943205337204d554c5449504f5254205343414c414e43452058203230302046414d0e040080008010140501000000000200000004082b0601040181c06efe08000ecf0200000000fe0a000ecf05000e8cef75c5fe0900120f01036c0000100000",
		want: LLDPDU{ChassisSubtype: ChassisLocal, ChassisID: []byte("siemens-x208-switch"), PortSubtype: PortLocal, PortID: []byte("port-004"),
			TTL: 20, SystemDescription: []byte("Siemens AG SIMATIC S7 MULTIPORT SCALANCE X 200 FAM"),
			HasCapabilities: true, Capabilities: 0x80, EnabledCapabilities: 0x80,
			MgmtAddrs: [4]netip.Addr{netip.MustParseAddr("0.0.0.0")}, NumMgmtAddrs: 1,
			ProfinetChassisMAC: [6]byte{0x00, 0x0e, 0x8c, 0xef, 0x75, 0xc5}, HasProfinetChassis: true},
	},
	{
		// enip/enip_cip_example.pcap frame 181: Chassis MAC 00:21:91:06:f1:66, Port Id "19" (interface alias),
		// TTL 120, Management Address 208.73.217.142, then End and Ethernet padding.
		name: "d-link frame 181",
		hex:  "02070400219106f166040301313906020078100c0501d049d98e02000000000000000000000000000000000000000000",
		want: LLDPDU{ChassisSubtype: ChassisMACAddress, ChassisID: []byte{0x00, 0x21, 0x91, 0x06, 0xf1, 0x66}, PortSubtype: PortInterfaceAlias,
			PortID: []byte("19"), TTL: 120, MgmtAddrs: [4]netip.Addr{netip.MustParseAddr("208.73.217.142")}, NumMgmtAddrs: 1},
	},
	{
		// enip/enip_cip_example.pcap frame 623: Chassis and Port Id MAC 64:4b:f0:2b:31:71, TTL 3601,
		// IEEE 802.3 MAC/PHY (skipped) and LLDP-MED capabilities: Wireshark reads
		// "Capabilities: 0x0001 ... Class Type: Endpoint Class I (1)".
		name: "caldigit frame 623",
		hex:  "020704644bf02b3171040703644bf02b317106020e11fe0900120f010300010000fe070012bb0100010100000000",
		want: LLDPDU{ChassisSubtype: ChassisMACAddress, ChassisID: []byte{0x64, 0x4b, 0xf0, 0x2b, 0x31, 0x71}, PortSubtype: PortMACAddress,
			PortID: []byte{0x64, 0x4b, 0xf0, 0x2b, 0x31, 0x71}, TTL: 3601,
			MED: MED{HasCapabilities: true, Capabilities: 1, Class: 1}},
	},
}

func TestParseReal(t *testing.T) {
	for _, c := range realFrames {
		t.Run(c.name, func(t *testing.T) {
			var got LLDPDU
			if err := Parse(unhex(t, c.hex), &got); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(c.want, got, cmpopts.EquateEmpty(), cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); d != "" {
				t.Errorf("-want +got\n%s", d)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name string
		hex  string
		want error
	}{
		{"empty", "", ErrNoChassis},
		{"end only", "0000", ErrNoChassis},
		{"tlv overruns", "0214077369", ErrTruncated},
		{"odd byte", "02", ErrTruncated},
		{"chassis too short", "020104", ErrBadTLV},
		{"mgmt addr length past tlv", "02020761" + "1002ff01", ErrBadTLV},
	}
	for _, c := range cases {
		var d LLDPDU
		err := Parse(unhex(t, c.hex), &d)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: err %v, want %v", c.name, err, c.want)
		}
	}
}

// Every prefix of a real frame parses or fails cleanly, never panics.
func TestPrefixes(t *testing.T) {
	for _, c := range realFrames {
		b := unhex(t, c.hex)
		for i := range len(b) {
			var d LLDPDU
			_ = Parse(b[:i], &d)
		}
	}
}

func TestCapabilitiesString(t *testing.T) {
	// 802.1AB table 8-4: bit 2 bridge, bit 4 router, bit 7 station only.
	if got := Capabilities(0x0014).String(); got != "bridge,router" {
		t.Errorf("got %q", got)
	}
	if got := Capabilities(0x0080).String(); got != "station_only" {
		t.Errorf("got %q", got)
	}
}

type oracle struct {
	Protocols struct {
		LLDP struct {
			Neighbors []struct {
				SrcMAC            string `json:"src_mac"`
				ChassisID         string `json:"chassis_id"`
				PortID            string `json:"port_id"`
				PortDescription   string `json:"port_description"`
				SystemName        string `json:"system_name"`
				SystemDescription string `json:"system_description"`
				ManagementIP      string `json:"management_ip"`
			} `json:"neighbors"`
		} `json:"lldp"`
	} `json:"protocols"`
}

// TestOracle runs the shared captures with LLDP through the dissector and
// compares every neighbour field Wireshark reports.
func TestOracle(t *testing.T) {
	for _, rel := range []string{"enip/enip_cip_example.pcap", "profinet/profinet_io_cm_mixed_1.pcap", "profinet/profinet_io_cm_mixed_2.pcapng"} {
		t.Run(rel, func(t *testing.T) {
			path := testutil.SharedPcap(t, rel)
			raw, err := os.ReadFile(path + ".oracle.json")
			if err != nil {
				t.Fatal(err)
			}
			var o oracle
			if err := json.Unmarshal(raw, &o); err != nil {
				t.Fatal(err)
			}
			h := ittest.Run(t, testutil.ReadFrames(t, path), rel, New())
			h.NoErrors()
			h.CheckObservations()
			want, hit := 0, 0
			check := func(mac, key, v string) {
				if v == "" {
					return
				}
				want++
				if slices.Contains(h.Attr(mac, key), v) {
					hit++
				} else {
					t.Errorf("%s %s: want %q, got %q", mac, key, v, h.Attr(mac, key))
				}
			}
			oracleMACs := map[string]bool{}
			for _, n := range o.Protocols.LLDP.Neighbors {
				oracleMACs[n.SrcMAC] = true
				check(n.SrcMAC, "lldp.chassis_id", n.ChassisID)
				check(n.SrcMAC, "lldp.port_id", n.PortID)
				check(n.SrcMAC, "lldp.port_description", n.PortDescription)
				check(n.SrcMAC, "lldp.system_name", n.SystemName)
				check(n.SrcMAC, "lldp.system_description", n.SystemDescription)
				check(n.SrcMAC, "lldp.management_ip", n.ManagementIP)
			}
			ours, good := 0, 0
			for _, ob := range h.Obs {
				if ob.Kind == discovery.KindService {
					ours++
					if oracleMACs[ob.Asset.MAC.String()] {
						good++
					}
				}
			}
			recall := float64(hit) / float64(max(want, 1))
			precision := float64(good) / float64(max(ours, 1))
			t.Logf("%s: neighbour fields recall %.3f (%d/%d), publisher precision %.3f (%d/%d)", rel, recall, hit, want, precision, good, ours)
			if recall < 0.95 || precision < 0.95 || want == 0 {
				t.Errorf("below 0.95")
			}
		})
	}
}

func TestDissectorEmits(t *testing.T) {
	d := New()
	var got []discovery.Observation
	pkt := &discovery.PacketInfo{Src: discovery.Endpoint{MAC: discovery.MAC{0x00, 0x0e, 0x8c, 0xef, 0x75, 0xc9}}}
	pkt.Evidence.Frame = 29
	if err := d.Frame(unhex(t, realFrames[1].hex), pkt, func(o discovery.Observation) { got = append(got, o) }); err != nil {
		t.Fatal(err)
	}
	kv := map[string]string{}
	for _, o := range got {
		if o.Kind == discovery.KindAttribute {
			kv[o.Key] = o.Value
		}
	}
	want := map[string]string{
		"lldp.chassis_id":         "siemens-x208-switch",
		"lldp.port_id":            "port-004",
		"lldp.system_description": "Siemens AG SIMATIC S7 MULTIPORT SCALANCE X 200 FAM",
		"lldp.capabilities":       "station_only",
		"lldp.chassis_mac":        "00:0e:8c:ef:75:c5",
	}
	if d := cmp.Diff(want, kv); d != "" {
		t.Errorf("-want +got\n%s", d)
	}
	// The same LLDPDU again within ten minutes is not re-emitted.
	n := len(got)
	_ = d.Frame(unhex(t, realFrames[1].hex), pkt, func(o discovery.Observation) { got = append(got, o) })
	if len(got) != n {
		t.Errorf("repeat frame emitted %d more observations", len(got)-n)
	}
	// A changed one (another system description) is.
	changed := unhex(t, realFrames[1].hex)
	i := bytes.Index(changed, []byte("SCALANCE"))
	if i < 0 {
		t.Fatal("no SCALANCE in the frame")
	}
	changed[i] = 'X'
	if err := d.Frame(changed, pkt, func(o discovery.Observation) { got = append(got, o) }); err != nil {
		t.Fatal(err)
	}
	desc := ""
	for _, o := range got[n:] {
		if o.Key == "lldp.system_description" {
			desc = o.Value
		}
	}
	if desc != "Siemens AG SIMATIC S7 MULTIPORT XCALANCE X 200 FAM" {
		t.Errorf("changed frame: system description %q", desc)
	}
}

func FuzzParse(f *testing.F) {
	for _, c := range realFrames {
		b, _ := hex.DecodeString(c.hex)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var d LLDPDU
		if Parse(b, &d) == nil && d.ChassisID == nil {
			t.Fatal("accepted without chassis id")
		}
		dis := New()
		_ = dis.Frame(b, &discovery.PacketInfo{Src: discovery.Endpoint{MAC: discovery.MAC{2}}}, func(discovery.Observation) {})
	})
}

func BenchmarkParse(b *testing.B) {
	data := unhex(b, realFrames[1].hex)
	var d LLDPDU
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Parse(data, &d); err != nil {
			b.Fatal(err)
		}
	}
}
