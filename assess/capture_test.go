package assess_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/otzone/otzone/assess"
	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/internal/ingest"
	"github.com/otzone/otzone/rules"
	"github.com/otzone/otzone/zones"
	"github.com/otzone/otzone/zones/diagram"
)

// hostileNames are DHCP host names an attacker on the plant network can
// choose freely.
var hostileNames = []string{
	`<script>window.pwned1=1</script>`,
	`"><img src=x onerror=window.pwned2=1>`,
	`</style><svg onload=window.pwned3=1>`,
	`"]; evil [ %%{init} end`,
}

// hostileCapture writes a capture in which hosts announce hostileNames in
// DHCP requests and then write to a PLC over Modbus/TCP from another
// subnet, so that each name reaches an asset, a zone and a finding.
func hostileCapture(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hostile.pcapng")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := pcapgo.NewNgWriter(f, layers.LinkTypeEthernet)
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Date(2026, 1, 15, 8, 0, 0, 0, time.UTC)
	write := func(ls ...gopacket.SerializableLayer) {
		buf := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
			t.Fatal(err)
		}
		ts = ts.Add(10 * time.Millisecond)
		if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(buf.Bytes()), Length: len(buf.Bytes())}, buf.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	plcMAC, _ := net.ParseMAC("00:80:f4:01:01:0a")
	plcIP := net.IP{10, 1, 1, 10}
	for i, name := range hostileNames {
		mac := net.HardwareAddr{0x00, 0x0c, 0x29, 0xaa, 0x00, byte(i + 1)}
		ip := net.IP{10, 1, 2, byte(50 + i)}
		eth := &layers.Ethernet{SrcMAC: mac, DstMAC: layers.EthernetBroadcast, EthernetType: layers.EthernetTypeIPv4}
		ip4 := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: net.IPv4zero, DstIP: net.IPv4bcast}
		udp := &layers.UDP{SrcPort: 68, DstPort: 67}
		udp.SetNetworkLayerForChecksum(ip4)
		dhcp := &layers.DHCPv4{Operation: layers.DHCPOpRequest, HardwareType: layers.LinkTypeEthernet, HardwareLen: 6, Xid: uint32(0x1000 + i),
			ClientHWAddr: mac, Options: layers.DHCPOptions{
				layers.NewDHCPOption(layers.DHCPOptMessageType, []byte{byte(layers.DHCPMsgTypeRequest)}),
				layers.NewDHCPOption(layers.DHCPOptRequestIP, ip.To4()),
				layers.NewDHCPOption(layers.DHCPOptHostname, []byte(name)),
				layers.NewDHCPOption(layers.DHCPOptEnd, nil),
			}}
		write(eth, ip4, udp, dhcp)
		// Modbus/TCP: handshake, write single register, response.
		sport := layers.TCPPort(40000 + i)
		seg := func(fromClient bool, flags string, payload []byte, seq, ack uint32) {
			e := &layers.Ethernet{SrcMAC: mac, DstMAC: plcMAC, EthernetType: layers.EthernetTypeIPv4}
			n := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: ip, DstIP: plcIP}
			tc := &layers.TCP{SrcPort: sport, DstPort: 502, Seq: seq, Ack: ack, Window: 8192}
			if !fromClient {
				e.SrcMAC, e.DstMAC = plcMAC, mac
				n.SrcIP, n.DstIP = plcIP, ip
				tc.SrcPort, tc.DstPort = 502, sport
			}
			tc.SYN = strings.Contains(flags, "S")
			tc.ACK = strings.Contains(flags, "A")
			tc.PSH = strings.Contains(flags, "P")
			tc.SetNetworkLayerForChecksum(n)
			write(e, n, tc, gopacket.Payload(payload))
		}
		req := []byte{0x00, 0x01, 0x00, 0x00, 0x00, 0x06, 0x01, 0x06, 0x00, 0x10, 0x00, 0x2a} // FC 6: register 16 := 42
		seg(true, "S", nil, 1000, 0)
		seg(false, "SA", nil, 5000, 1001)
		seg(true, "A", nil, 1001, 5001)
		seg(true, "PA", req, 1001, 5001)
		seg(false, "PA", req, 5001, 1001+uint32(len(req))) // echo response
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return path
}

// hostilePipeline runs the hostile capture through ingest, classification,
// zone derivation and the assessment.
func hostilePipeline(t testing.TB) (*inventory.Inventory, *zones.Model, *assess.Assessment) {
	t.Helper()
	path := hostileCapture(t)
	inv, err := ingest.Inventory(context.Background(), []string{path}, ingest.Options{})
	if inv == nil {
		t.Fatalf("%s: %v", path, err)
	}
	rs, err := rules.Load("")
	if err != nil {
		t.Fatal(err)
	}
	if err := rules.Classify(inv, rs); err != nil {
		t.Fatal(err)
	}
	m, err := zones.Derive(inv, rs, zones.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := assess.Run(inv, m, rs, assess.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	// The test means something only if the names reached the report data.
	names := map[string]bool{}
	for _, as := range inv.Assets {
		for _, h := range as.Hostnames {
			names[h] = true
		}
	}
	inFinding := false
	for _, f := range a.Findings {
		for _, n := range f.AssetNames {
			if n == hostileNames[0] {
				inFinding = true
			}
		}
	}
	if !names[hostileNames[0]] || !names[hostileNames[1]] || !inFinding {
		t.Fatalf("hostile names did not reach the inventory and findings: hostnames %v, findings %d", names, len(a.Findings))
	}
	return inv, m, a
}

// TestHostileCaptureOutputs renders every format from the hostile capture
// and checks that no name escaped its quoting (the browser tests check the
// HTML again in Chromium).
func TestHostileCaptureOutputs(t *testing.T) {
	inv, m, a := hostilePipeline(t)
	g := assess.Diagram(a, m, inv, diagram.DetailAssets)
	var html, md, js bytes.Buffer
	if err := assess.WriteHTML(context.Background(), &html, a, g); err != nil {
		t.Fatal(err)
	}
	if err := assess.WriteMarkdown(&md, a, g); err != nil {
		t.Fatal(err)
	}
	if err := assess.WriteJSON(&js, a); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"html": html.String(), "md": md.String()} {
		for _, bad := range []string{"<script>window", "<img src=x", "<svg onload", "</style><svg"} {
			if strings.Contains(out, bad) {
				t.Errorf("%s contains %q", name, bad)
			}
		}
	}
	if strings.Count(html.String(), "<script") != 1 {
		t.Errorf("html has %d script tags, want the report's own one", strings.Count(html.String(), "<script"))
	}
	var doc assess.Assessment
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatalf("json: %v", err)
	}
	if !strings.Contains(js.String(), `\u003cscript\u003ewindow.pwned1=1\u003c/script\u003e`) {
		t.Error("json does not carry the hostile name (HTML-safe escaped)")
	}
}
