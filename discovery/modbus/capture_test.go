package modbus

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"sort"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/internal/testutil"
)

// feedCapture runs the TCP port-502 flows of a capture through the
// dissector with a simple per-direction reassembly (in-order test captures)
// and returns what it emitted. It stands in for the engine in this
// package's tests; internal/conformance runs the whole pipeline.
func feedCapture(t testing.TB, path string) []discovery.Observation {
	t.Helper()
	type dirBuf struct{ buf []byte }
	type flow struct {
		f    discovery.Flow
		s    discovery.Stream
		bufs [2]dirBuf
		dead bool
	}
	d := New()
	flows := map[string]*flow{}
	var out []discovery.Observation
	emit := func(o discovery.Observation) { out = append(out, o) }
	for _, fr := range testutil.ReadFrames(t, path) {
		pkt := gopacket.NewPacket(fr.Data, fr.LinkType, gopacket.Default)
		tcp, _ := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if tcp == nil {
			continue
		}
		var src, dst discovery.Endpoint
		if eth, ok := pkt.Layer(layers.LayerTypeEthernet).(*layers.Ethernet); ok {
			src.MAC, dst.MAC = discovery.MACFromBytes(eth.SrcMAC), discovery.MACFromBytes(eth.DstMAC)
		}
		if ip, ok := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4); ok {
			src.IP, _ = netip.AddrFromSlice(ip.SrcIP.To4())
			dst.IP, _ = netip.AddrFromSlice(ip.DstIP.To4())
		} else {
			continue
		}
		sp, dp := uint16(tcp.SrcPort), uint16(tcp.DstPort)
		var dir discovery.Direction
		var key string
		switch {
		case dp == Port:
			dir, key = discovery.ToServer, fmt.Sprintf("%s:%d-%s:%d", src.IP, sp, dst.IP, dp)
		case sp == Port:
			dir, key = discovery.ToClient, fmt.Sprintf("%s:%d-%s:%d", dst.IP, dp, src.IP, sp)
		default:
			continue
		}
		fl := flows[key]
		if fl == nil {
			fl = &flow{}
			if dir == discovery.ToServer {
				fl.f = discovery.Flow{Client: src, Server: dst, ClientPort: sp, ServerPort: dp, Transport: discovery.TCP, Protocol: "modbus"}
			} else {
				fl.f = discovery.Flow{Client: dst, Server: src, ClientPort: dp, ServerPort: sp, Transport: discovery.TCP, Protocol: "modbus"}
			}
			fl.s = d.NewStream(&fl.f)
			flows[key] = fl
		}
		if fl.dead || len(tcp.Payload) == 0 {
			continue
		}
		b := &fl.bufs[dir]
		b.buf = append(b.buf, tcp.Payload...)
		info := discovery.PacketInfo{
			Evidence: discovery.Evidence{Kind: "pcap", Name: "test", Frame: uint64(fr.Number)},
			Time:     fr.CI.Timestamp, Src: src, Dst: dst, SrcPort: sp, DstPort: dp, Dir: dir, Flow: &fl.f,
		}
		for len(b.buf) > 0 {
			n, err := fl.s.PDULen(b.buf, dir)
			if err != nil {
				fl.dead = true
				break
			}
			if n == 0 || n > len(b.buf) {
				break
			}
			if err := fl.s.Parse(b.buf[:n], &info, emit); err != nil {
				t.Logf("%s frame %d: %v", path, fr.Number, err)
			}
			b.buf = b.buf[n:]
		}
	}
	return out
}

type oracleModbus struct {
	Protocols struct {
		Modbus struct {
			Servers []struct {
				IP            string            `json:"ip"`
				Port          int               `json:"port"`
				Clients       []string          `json:"clients"`
				UnitIDs       []int             `json:"unit_ids"`
				FunctionCodes []int             `json:"function_codes"`
				DeviceID      map[string]string `json:"device_identification"`
			} `json:"servers"`
		} `json:"modbus"`
	} `json:"protocols"`
	WriteOperations []struct {
		Protocol string `json:"protocol"`
		Code     int    `json:"code"`
		Client   string `json:"client"`
		Server   string `json:"server"`
		Port     int    `json:"server_port"`
		Count    int    `json:"count"`
		Op       string `json:"operation"`
	} `json:"write_operations"`
}

func setOf[T comparable](xs ...T) map[T]bool {
	m := map[T]bool{}
	for _, x := range xs {
		m[x] = true
	}
	return m
}

// score counts matches of got against want.
func score[T comparable](want, got map[T]bool) (tp, fn, fp int) {
	for k := range want {
		if got[k] {
			tp++
		} else {
			fn++
		}
	}
	for k := range got {
		if !want[k] {
			fp++
		}
	}
	return
}

// TestCaptureVsOracle compares the dissector's output on the shared Modbus
// capture with Wireshark's decode (modbus_example.pcap.oracle.json): servers,
// clients, unit ids, function codes, write operations with their counts and
// the FC 43/14 identity of frame 94.
func TestCaptureVsOracle(t *testing.T) {
	path := testutil.SharedPcap(t, "modbus/modbus_example.pcap")
	raw, err := os.ReadFile(path + ".oracle.json")
	if err != nil {
		t.Fatal(err)
	}
	var or oracleModbus
	if err := json.Unmarshal(raw, &or); err != nil {
		t.Fatal(err)
	}
	obs := feedCapture(t, path)

	want, got := map[string]bool{}, map[string]bool{}
	for _, s := range or.Protocols.Modbus.Servers {
		want["server "+s.IP+fmt.Sprint(":", s.Port)] = true
		for _, c := range s.Clients {
			want["client "+c+"->"+s.IP] = true
		}
		for _, u := range s.UnitIDs {
			want[fmt.Sprintf("unit %s %d", s.IP, u)] = true
		}
		for _, fc := range s.FunctionCodes {
			want[fmt.Sprintf("fc %s %d", s.IP, fc)] = true
		}
		for k, v := range s.DeviceID {
			want[fmt.Sprintf("id %s modbus.%s=%s", s.IP, k, v)] = true
		}
	}
	for _, w := range or.WriteOperations {
		if w.Protocol == "modbus" {
			want[fmt.Sprintf("write %s->%s:%d %d %s x%d", w.Client, w.Server, w.Port, w.Code, w.Op, w.Count)] = true
		}
	}
	writes := map[string]int{}
	for _, o := range obs {
		switch o.Kind {
		case discovery.KindService:
			if o.Role == "server" {
				got[fmt.Sprintf("server %s:%d", o.Asset.IP, o.Port)] = true
			}
		case discovery.KindOperation:
			got[fmt.Sprintf("client %s->%s", o.Asset.IP, o.Peer.IP)] = true
			got[fmt.Sprintf("fc %s %d", o.Peer.IP, o.Op.Code)] = true
			if o.Op.Class == discovery.OpWrite {
				writes[fmt.Sprintf("write %s->%s:%d %d %s", o.Asset.IP, o.Peer.IP, o.Port, o.Op.Code, o.Op.Name)]++
			}
		case discovery.KindAttribute:
			switch o.Key {
			case "modbus.unit_id":
				if o.Asset.Sub == "" {
					got[fmt.Sprintf("unit %s %s", o.Asset.IP, o.Value)] = true
				}
			case "modbus.vendor_name", "modbus.product_code", "modbus.revision", "modbus.vendor_url",
				"modbus.product_name", "modbus.model_name", "modbus.user_application_name":
				got[fmt.Sprintf("id %s %s=%s", o.Asset.IP, o.Key, o.Value)] = true
			}
		}
	}
	for k, n := range writes {
		got[fmt.Sprintf("%s x%d", k, n)] = true
	}
	tp, fn, fp := score(want, got)
	recall, precision := float64(tp)/float64(tp+fn), float64(tp)/float64(max(tp+fp, 1))
	t.Logf("modbus_example.pcap: %d facts, recall %.3f precision %.3f", len(want), recall, precision)
	for k := range want {
		if !got[k] {
			t.Errorf("missed: %s", k)
		}
	}
	for k := range got {
		if !want[k] {
			t.Errorf("not in oracle: %s", k)
		}
	}
	if recall < 0.95 || precision < 0.95 {
		t.Fatalf("below 0.95")
	}
}

// TestCaptureOperationsClassified checks the class of every request of the
// capture against the function-code classes of doc.go.
func TestCaptureOperationsClassified(t *testing.T) {
	path := testutil.SharedPcap(t, "modbus/modbus_example.pcap")
	classes := map[string]bool{}
	for _, o := range feedCapture(t, path) {
		if o.Kind == discovery.KindOperation {
			classes[fmt.Sprintf("%d %s %s", o.Op.Code, o.Op.Name, o.Op.Class)] = true
		}
	}
	// Function codes of the capture's requests (tshark: frames 4..92 and 99).
	want := []string{
		"1 read_coils read", "2 read_discrete_inputs read", "3 read_holding_registers read",
		"4 read_input_registers read", "5 write_single_coil write", "6 write_single_register write",
		"7 read_exception_status diagnostic", "8 diagnostics diagnostic", "15 write_multiple_coils write",
		"16 write_multiple_registers write", "17 report_server_id diagnostic", "20 read_file_record read",
		"21 write_file_record write", "22 mask_write_register write", "23 read_write_multiple_registers write",
		"24 read_fifo_queue read", "43 read_device_identification discovery",
	}
	var gotList []string
	for k := range classes {
		gotList = append(gotList, k)
	}
	sort.Strings(gotList)
	if len(gotList) != len(want) {
		t.Errorf("got %d distinct operations, want %d: %v", len(gotList), len(want), gotList)
	}
	for _, w := range want {
		if !classes[w] {
			t.Errorf("missing operation %q; got %v", w, gotList)
		}
	}
}
