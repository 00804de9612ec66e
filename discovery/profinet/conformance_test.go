package profinet

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/internal/testutil"
)

// runCapture feeds EtherType 0x8892 frames to the frame dissector and UDP
// datagrams that Detect accepts to the RPC dissector, with one flow record
// per UDP 5-tuple (until the engine-level harness exists).
func runCapture(t testing.TB, path string) []discovery.Observation {
	frames := testutil.ReadFrames(t, path)
	fd, rd := NewFrames(), NewRPC()
	flows := map[string]*discovery.Flow{}
	var out []discovery.Observation
	emit := func(o discovery.Observation) { out = append(out, o) }
	base := filepath.Base(path)
	for _, fr := range frames {
		pkt := gopacket.NewPacket(fr.Data, fr.LinkType, gopacket.Default)
		eth, ok := pkt.LinkLayer().(*layers.Ethernet)
		if !ok {
			continue
		}
		info := discovery.PacketInfo{
			Evidence: discovery.Evidence{Kind: "pcap", Name: base, Frame: uint64(fr.Number)},
			Time:     fr.CI.Timestamp,
			Src:      discovery.Endpoint{MAC: discovery.MACFromBytes(eth.SrcMAC)},
			Dst:      discovery.Endpoint{MAC: discovery.MACFromBytes(eth.DstMAC)},
		}
		et, payload := eth.EthernetType, eth.Payload
		if q, ok := pkt.Layer(layers.LayerTypeDot1Q).(*layers.Dot1Q); ok {
			et, payload, info.VLAN = q.Type, q.Payload, q.VLANIdentifier
		}
		if et == EtherType {
			if err := fd.Frame(payload, &info, emit); err != nil {
				t.Logf("%s frame %d: %v", base, fr.Number, err)
			}
			continue
		}
		udp, ok := pkt.TransportLayer().(*layers.UDP)
		if !ok {
			continue
		}
		ip4, ok := pkt.NetworkLayer().(*layers.IPv4)
		if !ok {
			continue
		}
		info.Src.IP, _ = netip.AddrFromSlice(ip4.SrcIP.To4())
		info.Dst.IP, _ = netip.AddrFromSlice(ip4.DstIP.To4())
		info.SrcPort, info.DstPort = uint16(udp.SrcPort), uint16(udp.DstPort)
		a := fmt.Sprintf("%s:%d", info.Src.IP, info.SrcPort)
		b := fmt.Sprintf("%s:%d", info.Dst.IP, info.DstPort)
		key := a + "|" + b
		if b < a {
			key = b + "|" + a
		}
		f := flows[key]
		if f == nil {
			if rd.Detect(udp.Payload, &info) != discovery.Yes {
				continue
			}
			f = &discovery.Flow{Client: info.Src, Server: info.Dst, ClientPort: info.SrcPort, ServerPort: info.DstPort, Transport: discovery.UDP}
			flows[key] = f
		}
		info.Flow = f
		if err := rd.Datagram(udp.Payload, &info, emit); err != nil {
			t.Logf("%s frame %d: %v", base, fr.Number, err)
		}
	}
	return out
}

type oracleDevice struct {
	MAC           string `json:"mac"`
	StationName   string `json:"station_name"`
	VendorID      *int   `json:"vendor_id"`
	DeviceID      *int   `json:"device_id"`
	IP            string `json:"ip"`
	TypeOfStation string `json:"type_of_station"`
	DeviceRole    *int   `json:"device_role"`
}

type oracleOther struct {
	Publishers []string `json:"publishers"`
}

type oracle struct {
	Protocols struct {
		DCP struct {
			Devices []oracleDevice `json:"devices"`
		} `json:"profinet_dcp"`
		Other map[string]oracleOther `json:"other"`
	} `json:"protocols"`
	Writes []struct {
		Protocol string `json:"protocol"`
		Client   string `json:"client"`
		Server   string `json:"server"`
	} `json:"write_operations"`
}

func oracleFacts(o oracle) map[string]bool {
	m := map[string]bool{}
	for _, d := range o.Protocols.DCP.Devices {
		k := d.MAC + "|"
		if d.StationName != "" {
			m[k+"station_name|"+d.StationName] = true
		}
		if d.TypeOfStation != "" {
			m[k+"type_of_station|"+d.TypeOfStation] = true
		}
		if d.VendorID != nil {
			m[k+"vendor_id|"+strconv.Itoa(*d.VendorID)] = true
		}
		if d.DeviceID != nil {
			m[k+"device_id|"+strconv.Itoa(*d.DeviceID)] = true
		}
		if d.DeviceRole != nil {
			m[k+"device_role|"+DeviceRole(*d.DeviceRole).String()] = true
		}
		if d.IP != "" {
			m[k+"ip|"+d.IP] = true
		}
	}
	// Wireshark's pn_rt covers every 0x8892 frame (DCP, PTCP, RT, alarms):
	// its publishers are the source MACs of all of them.
	for _, p := range o.Protocols.Other["profinet_rt"].Publishers {
		m["l2|"+p] = true
	}
	for _, w := range o.Writes {
		if w.Protocol == "pn_dcp" {
			m["dcp_set|"+w.Client+">"+w.Server] = true
		}
	}
	return m
}

func observedFacts(obs []discovery.Observation) map[string]bool {
	m := map[string]bool{}
	for _, o := range obs {
		switch {
		case o.Kind == discovery.KindAttribute && o.Protocol == "profinet_dcp" && o.Confidence >= 0.9:
			k := strings.TrimPrefix(o.Key, "profinet.")
			switch k {
			case "station_name", "type_of_station", "vendor_id", "device_id", "device_role", "ip":
				m[o.Asset.MAC.String()+"|"+k+"|"+o.Value] = true
			}
		case o.Kind == discovery.KindService && o.Transport == "eth" && (o.Role == "publisher" || o.Role == "server" || o.Role == "client"):
			m["l2|"+o.Asset.MAC.String()] = true
		case o.Kind == discovery.KindOperation && o.Protocol == "profinet_dcp" && o.Op.Code == int(DCPSet):
			m["dcp_set|"+o.Asset.MAC.String()+">"+o.Peer.MAC.String()] = true
		}
	}
	return m
}

func score(want, got map[string]bool) (r, p float64, miss, extra []string) {
	hit := 0
	for k := range want {
		if got[k] {
			hit++
		} else {
			miss = append(miss, k)
		}
	}
	for k := range got {
		if !want[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(miss)
	sort.Strings(extra)
	r, p = 1, 1
	if len(want) > 0 {
		r = float64(hit) / float64(len(want))
	}
	if len(got) > 0 {
		p = float64(hit) / float64(len(got))
	}
	return
}

// tsharkRPCRequests is the PN-IO CM ground truth the oracle lacks (its
// "profinet_io" entry only counts layer-2 frames): every DCE/RPC request
// (first fragment) to a PNIO device or controller interface, as
// "src>dst|opnum" with its count. dedup first drops duplicate frames with
// Wireshark's own tool (editcap -w 0.02: the same frame again within
// 20 ms), as the engine drops SPAN duplicates (discovery/dup.go):
// profinet_io_cm_mixed_1.pcap and _2.pcapng hold every packet twice, 1 µs
// apart (frames 1 and 2: the same IP identification 0x017e), and tshark
// counts both.
func tsharkRPCRequests(t *testing.T, path string, dedup bool) map[string]int {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		return nil
	}
	if dedup {
		editcap, err := exec.LookPath("editcap")
		if err != nil {
			return nil
		}
		out := filepath.Join(t.TempDir(), "dedup.pcapng")
		if b, err := exec.Command(editcap, "-F", "pcapng", "-w", "0.02", path, out).CombinedOutput(); err != nil {
			t.Logf("editcap: %v %s", err, b)
			return nil
		}
		path = out
	}
	out, err := exec.Command(tshark, "-n", "-r", path, "-Y",
		"dcerpc.pkt_type==0 && dcerpc.dg_frag_num==0 && (dcerpc.dg_if_id==dea00001-6c97-11d1-8271-00a02442df7d || dcerpc.dg_if_id==dea00002-6c97-11d1-8271-00a02442df7d)",
		"-T", "fields", "-e", "ip.src", "-e", "ip.dst", "-e", "dcerpc.opnum").Output()
	if err != nil {
		t.Logf("tshark: %v", err)
		return nil
	}
	m := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(l, "\t")
		if len(f) == 3 {
			m[f[0]+">"+f[1]+"|"+f[2]]++
		}
	}
	return m
}

func TestConformanceOracle(t *testing.T) {
	dir := filepath.Join(testutil.SharedDir(t), "pcaps", "profinet")
	caps, _ := filepath.Glob(filepath.Join(dir, "*.pcap*"))
	n := 0
	for _, c := range caps {
		if strings.HasSuffix(c, ".oracle.json") {
			continue
		}
		n++
		t.Run(filepath.Base(c), func(t *testing.T) {
			raw, err := os.ReadFile(c + ".oracle.json")
			if err != nil {
				t.Fatal(err)
			}
			var o oracle
			if err := json.Unmarshal(raw, &o); err != nil {
				t.Fatal(err)
			}
			// The test harness counts every frame; the engine counts a
			// SPAN duplicate once.
			check(t, c, "harness", o, tsharkRPCRequests(t, c, false), runCapture(t, c))
			check(t, c, "engine", o, tsharkRPCRequests(t, c, true), engineCapture(t, c))
		})
	}
	if n == 0 {
		t.Fatal("no PROFINET captures")
	}
}

func check(t *testing.T, c, via string, o oracle, want map[string]int, obs []discovery.Observation) {
	r, p, miss, extra := score(oracleFacts(o), observedFacts(obs))
	t.Logf("%s via %s: DCP/RT vs oracle: recall %.3f precision %.3f", filepath.Base(c), via, r, p)
	for _, m := range miss {
		t.Logf("  missing: %s", m)
	}
	for _, e := range extra {
		t.Logf("  extra:   %s", e)
	}
	if r < 0.95 || p < 0.95 {
		t.Errorf("%s: DCP/RT below 0.95: recall %.3f precision %.3f", via, r, p)
	}
	if want == nil {
		t.Logf("tshark not available: PN-IO CM not measured")
		return
	}
	got := map[string]int{}
	for _, o := range obs {
		if o.Kind == discovery.KindOperation && o.Protocol == "profinet_io" {
			got[o.Asset.IP.String()+">"+o.Peer.IP.String()+"|"+strconv.Itoa(o.Op.Code)]++
		}
	}
	hit, total, mine := 0, 0, 0
	for k, w := range want {
		total += w
		hit += min(w, got[k])
		if got[k] != w {
			t.Logf("  pnio %s: tshark %d, ours %d", k, w, got[k])
		}
	}
	for k, g := range got {
		mine += g
		if _, ok := want[k]; !ok {
			t.Logf("  pnio extra %s: ours %d", k, g)
		}
	}
	r, p = 1, 1
	if total > 0 {
		r = float64(hit) / float64(total)
	}
	if mine > 0 {
		p = float64(hit) / float64(mine)
	}
	t.Logf("%s via %s: PN-IO CM requests vs tshark: recall %.3f precision %.3f (%d tshark, %d ours)", filepath.Base(c), via, r, p, total, mine)
	if r < 0.95 || p < 0.95 {
		t.Errorf("%s: PN-IO CM below 0.95: recall %.3f precision %.3f", via, r, p)
	}
}

// TestPDRealDataVsTshark: every PDRealData read response tshark decodes
// (pn_io.own_chassis_id, pn_io.peer_chassis_id/port_id/macadd) yields the
// same station name and neighbours from us, at the same frame.
func TestPDRealDataVsTshark(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed")
	}
	dir := filepath.Join(testutil.SharedDir(t), "pcaps", "profinet")
	checked := 0
	for _, name := range []string{"profinet_io_cm_device.pcapng", "profinet_io_cm_read.pcapng", "profinet_io_cm_mixed_1.pcap", "profinet_io_cm.pcap"} {
		c := filepath.Join(dir, name)
		out, err := exec.Command(tshark, "-n", "-r", c, "-Y", "pn_io.own_chassis_id && dcerpc.pkt_type==2", "-T", "fields",
			"-e", "frame.number", "-e", "pn_io.own_chassis_id", "-e", "pn_io.peer_chassis_id", "-e", "pn_io.peer_port_id", "-e", "pn_io.peer_macadd").Output()
		if err != nil {
			t.Fatal(err)
		}
		obs := engineCapture(t, c)
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			f := strings.Split(l, "\t")
			if len(f) != 5 {
				continue
			}
			frame, _ := strconv.Atoi(f[0])
			want := map[string]bool{"profinet.station_name=" + f[1]: true}
			for i, p := range strings.Split(f[2], ",") {
				want["neighbor:"+p+" "+strings.Split(f[3], ",")[i]+" "+strings.Split(f[4], ",")[i]] = true
			}
			got := map[string]bool{}
			for _, o := range obs {
				if o.Kind != discovery.KindAttribute || o.Evidence.Frame != uint64(frame) || o.Protocol != "profinet_io" {
					continue
				}
				switch o.Key {
				case "profinet.station_name":
					if o.Confidence >= 0.9 {
						got[o.Key+"="+o.Value] = true
					}
				case "profinet.neighbor":
					_, rest, _ := strings.Cut(o.Value, " -> ")
					got["neighbor:"+rest] = true
				}
			}
			for k := range want {
				if !got[k] {
					t.Errorf("%s frame %d: missing %s (got %v)", name, frame, k, got)
				}
			}
			checked++
		}
	}
	if checked == 0 {
		t.Fatal("no PDRealData responses checked")
	}
	t.Logf("%d PDRealData responses agree with tshark", checked)
}
