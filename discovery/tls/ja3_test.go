package tls

import (
	"encoding/binary"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/otzone/otzone/discovery/internal/ittest"
	"github.com/otzone/otzone/internal/testutil"
)

// tsharkHellos returns, per ClientHello tshark decodes in path, its JA3
// string, JA3 hash and ALPN list (tls.handshake.ja3_full, .ja3,
// .extensions_alpn_str).
func tsharkHellos(t *testing.T, path string) [][3]string {
	t.Helper()
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed: it is the ground truth for JA3")
	}
	out, err := exec.Command(tshark, "-n", "-r", path, "-Y", "tls.handshake.type == 1", "-T", "fields", "-E", "separator=|",
		"-e", "tls.handshake.ja3_full", "-e", "tls.handshake.ja3", "-e", "tls.handshake.extensions_alpn_str").Output()
	if err != nil {
		t.Fatal(err)
	}
	var hs [][3]string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(l, "|")
		if len(f) != 3 {
			t.Fatalf("tshark line %q", l)
		}
		hs = append(hs, [3]string{f[0], f[1], f[2]})
	}
	return hs
}

// TestJA3VsTshark: the openssl fixture's two ClientHellos (frames 4 and
// 18) get the JA3 fingerprints tshark computes.
func TestJA3VsTshark(t *testing.T) {
	want := tsharkHellos(t, testutil.Fixture("tls", "tls.pcap"))
	h := ittest.Run(t, testutil.ReadFrames(t, testutil.Fixture("tls", "tls.pcap")), "tls.pcap", New())
	var hashes []string
	for _, w := range want {
		hashes = append(hashes, w[1])
	}
	if got := h.Attr("127.0.0.1", "tls.ja3"); !slices.Equal(got, hashes) || len(hashes) != 2 {
		t.Errorf("tls.ja3 %q, tshark %q", got, hashes)
	}
}

// TestJA3GreaseALPN: the fixture's first ClientHello with a GREASE cipher
// suite, a GREASE extension and a GREASE supported group added (RFC 8701)
// and an ALPN extension (h2, http/1.1), written to a capture: tshark's JA3
// string leaves the GREASE values out as ours does, and the ALPN lists
// agree.
func TestJA3GreaseALPN(t *testing.T) {
	cs, _ := records(t)
	n, err := RecordLen(cs)
	if err != nil {
		t.Fatal(err)
	}
	body := append([]byte{}, cs[9:n]...)
	var h0 Hello
	if err := ParseHello(ClientHello, body, &h0); err != nil {
		t.Fatal(err)
	}
	body = greased(t, body)
	var h Hello
	if err := ParseHello(ClientHello, body, &h); err != nil {
		t.Fatal(err)
	}
	rec := append([]byte{0x16, 0x03, 0x01, 0, 0}, 1, 0, 0, 0)
	rec = append(rec, body...)
	binary.BigEndian.PutUint16(rec[3:], uint16(len(rec)-5))
	rec[6], rec[7], rec[8] = byte(len(body)>>16), byte(len(body)>>8), byte(len(body))
	path := filepath.Join(t.TempDir(), "grease.pcap")
	writeTCP(t, path, rec)
	want := tsharkHellos(t, path)
	if len(want) != 1 {
		t.Fatalf("tshark saw %d ClientHellos", len(want))
	}
	if h.JA3 != want[0][0] || h.JA3Hash != want[0][1] {
		t.Errorf("JA3 %q %s\ntshark %q %s", h.JA3, h.JA3Hash, want[0][0], want[0][1])
	}
	var alpn []string
	for _, p := range h.ALPN {
		alpn = append(alpn, string(p))
	}
	if strings.Join(alpn, ",") != want[0][2] || want[0][2] != "h2,http/1.1" {
		t.Errorf("ALPN %q, tshark %q", alpn, want[0][2])
	}
	if h.JA3 == h0.JA3 {
		t.Error("adding ALPN did not change the JA3 string")
	}
	// The dissector reports them: the hash on the client, ALPN on the communication.
	hr := ittest.Run(t, testutil.ReadFrames(t, path), "grease.pcap", New())
	if got := hr.Attr("10.0.0.1", "tls.ja3"); !slices.Equal(got, []string{want[0][1]}) {
		t.Errorf("tls.ja3 %q", got)
	}
	if got := hr.Comm("10.0.0.1", "tls.alpn"); !slices.Equal(got, []string{"h2,http/1.1"}) {
		t.Errorf("tls.alpn %q", got)
	}
}

// greased inserts GREASE values and an ALPN extension into a ClientHello body.
func greased(t *testing.T, body []byte) []byte {
	r := reader{b: body}
	r.n(2 + 32)
	r.n(r.u8())
	csOff := len(body) - len(r.b)
	cs := r.n(r.u16())
	r.n(r.u8())
	extOff := len(body) - len(r.b)
	exts := r.n(r.u16())
	if r.bad {
		t.Fatal("fixture ClientHello does not parse")
	}
	var newExts []byte
	newExts = append(newExts, 0x1a, 0x1a, 0, 0) // GREASE extension, empty
	for e := (reader{b: exts}); len(e.b) >= 4; {
		typ, data := e.u16(), e.n(e.u16())
		if typ == 10 { // supported_groups: a GREASE group first
			l := binary.BigEndian.Uint16(data)
			data = append(binary.BigEndian.AppendUint16(nil, l+2), append([]byte{0x2a, 0x2a}, data[2:]...)...)
		}
		newExts = binary.BigEndian.AppendUint16(newExts, uint16(typ))
		newExts = binary.BigEndian.AppendUint16(newExts, uint16(len(data)))
		newExts = append(newExts, data...)
	}
	alpn := []byte{0, 12, 2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'}
	newExts = append(newExts, 0, 16, 0, byte(len(alpn)))
	newExts = append(newExts, alpn...)
	out := append([]byte{}, body[:csOff]...)
	out = binary.BigEndian.AppendUint16(out, uint16(len(cs)+2))
	out = append(out, 0x0a, 0x0a) // GREASE cipher suite first
	out = append(out, cs...)
	out = append(out, body[csOff+2+len(cs):extOff]...)
	out = binary.BigEndian.AppendUint16(out, uint16(len(newExts)))
	return append(out, newExts...)
}

// writeTCP writes a capture with one TCP segment from 10.0.0.1:50000 to
// 10.0.0.2:443 carrying payload (after a handshake, so tshark frames it).
func writeTCP(t *testing.T, path string, payload []byte) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	cm, _ := net.ParseMAC("02:00:00:00:00:01")
	sm, _ := net.ParseMAC("02:00:00:00:00:02")
	ts := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	seg := func(fromClient bool, seq, ack uint32, syn, ackf bool, data []byte) {
		eth := &layers.Ethernet{SrcMAC: cm, DstMAC: sm, EthernetType: layers.EthernetTypeIPv4}
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: net.IP{10, 0, 0, 1}, DstIP: net.IP{10, 0, 0, 2}}
		tcp := &layers.TCP{SrcPort: 50000, DstPort: 443, Seq: seq, Ack: ack, SYN: syn, ACK: ackf, PSH: len(data) > 0, Window: 65535}
		if !fromClient {
			eth.SrcMAC, eth.DstMAC = sm, cm
			ip.SrcIP, ip.DstIP = ip.DstIP, ip.SrcIP
			tcp.SrcPort, tcp.DstPort = 443, 50000
		}
		_ = tcp.SetNetworkLayerForChecksum(ip)
		buf := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, tcp, gopacket.Payload(data)); err != nil {
			t.Fatal(err)
		}
		ts = ts.Add(time.Millisecond)
		if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(buf.Bytes()), Length: len(buf.Bytes())}, buf.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	seg(true, 1000, 0, true, false, nil)
	seg(false, 5000, 1001, true, true, nil)
	seg(true, 1001, 5001, false, true, nil)
	seg(true, 1001, 5001, false, true, payload)
}

// TestJA3SVsTshark: the openssl fixture's two ServerHellos (frames 6, TLS
// 1.2, and 20, TLS 1.3) get the JA3S fingerprints tshark computes
// (tls.handshake.ja3s), on the server.
func TestJA3SVsTshark(t *testing.T) {
	path := testutil.Fixture("tls", "tls.pcap")
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed: it is the ground truth for JA3S")
	}
	out, err := exec.Command(tshark, "-n", "-r", path, "-Y", "tls.handshake.type == 2", "-T", "fields",
		"-e", "tls.handshake.ja3s").Output()
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Fields(string(out))
	h := ittest.Run(t, testutil.ReadFrames(t, path), "tls.pcap", New())
	if got := h.Attr("127.0.0.2", "tls.ja3s"); !slices.Equal(got, want) || len(want) != 2 {
		t.Errorf("tls.ja3s %q, tshark %q", got, want)
	}
}
