package e2e

import (
	"bytes"
	"encoding/binary"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/otzone/otzone/discovery/modbus"
)

// hostile is the payload every wire string carries (after a per-protocol
// prefix): screen clear and colour escapes, a carriage return that would
// overwrite the line, NUL, invalid UTF-8, a bidi override, markup, a DOT
// attribute breakout, a newline with a fake table row, a bell.
const hostile = "\x1b[2J\x1b[31mPWNED\rOVERWRITE\x00NUL\xff\xfeBAD\u202Etxt.exe\u2028<script>alert(1)</script>\"]; evil [\n| 10.6.6.6 | fake-row |\x07"

// formula is a spreadsheet formula (CSV injection).
const formula = "=cmd|' /C calc'!A0"

// The hostile plant: one host per protocol on 10.66.0.0/24.
type hhost struct {
	mac net.HardwareAddr
	ip  net.IP
}

func hh(n byte) hhost {
	return hhost{mac: net.HardwareAddr{0x02, 0x66, 0, 0, 0, n}, ip: net.IPv4(10, 66, 0, n).To4()}
}

type capWriter struct {
	t   *testing.T
	w   *pcapgo.NgWriter
	now time.Time
	id  uint16
	n   int
}

func (c *capWriter) write(ls ...gopacket.SerializableLayer) {
	c.t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		c.t.Fatal(err)
	}
	c.now = c.now.Add(time.Millisecond)
	data := buf.Bytes()
	if err := c.w.WritePacket(gopacket.CaptureInfo{Timestamp: c.now, CaptureLength: len(data), Length: len(data)}, data); err != nil {
		c.t.Fatal(err)
	}
	c.n++
}

func (c *capWriter) ether(src hhost, dst net.HardwareAddr, et layers.EthernetType, payload []byte) {
	c.write(&layers.Ethernet{SrcMAC: src.mac, DstMAC: dst, EthernetType: et}, gopacket.Payload(payload))
}

func (c *capWriter) ip(src, dst hhost, dstMAC net.HardwareAddr, l4 gopacket.SerializableLayer, payload []byte) {
	c.id++
	ip := &layers.IPv4{Version: 4, TTL: 64, SrcIP: src.ip, DstIP: dst.ip, Id: c.id}
	switch t := l4.(type) {
	case *layers.TCP:
		ip.Protocol = layers.IPProtocolTCP
		_ = t.SetNetworkLayerForChecksum(ip)
	case *layers.UDP:
		ip.Protocol = layers.IPProtocolUDP
		_ = t.SetNetworkLayerForChecksum(ip)
	}
	if dstMAC == nil {
		dstMAC = dst.mac
	}
	ls := []gopacket.SerializableLayer{&layers.Ethernet{SrcMAC: src.mac, DstMAC: dstMAC, EthernetType: layers.EthernetTypeIPv4}, ip, l4}
	if len(payload) > 0 {
		ls = append(ls, gopacket.Payload(payload))
	}
	c.write(ls...)
}

func (c *capWriter) udp(src, dst hhost, dstMAC net.HardwareAddr, sport, dport uint16, payload []byte) {
	c.ip(src, dst, dstMAC, &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}, payload)
}

// tcpExchange writes a handshake, the request, the response (in segments of
// at most 1400 bytes) and the FINs.
func (c *capWriter) tcpExchange(cl, sv hhost, cport, sport uint16, req, resp []byte) {
	cs, ss := uint32(1000), uint32(90000)
	seg := func(fromClient bool, flags string, data []byte) {
		t := &layers.TCP{Window: 64240, SYN: strings.Contains(flags, "S"), ACK: strings.Contains(flags, "A"),
			FIN: strings.Contains(flags, "F"), PSH: len(data) > 0}
		src, dst := cl, sv
		if fromClient {
			t.SrcPort, t.DstPort, t.Seq, t.Ack = layers.TCPPort(cport), layers.TCPPort(sport), cs, ss
		} else {
			src, dst = sv, cl
			t.SrcPort, t.DstPort, t.Seq, t.Ack = layers.TCPPort(sport), layers.TCPPort(cport), ss, cs
		}
		if !t.ACK {
			t.Ack = 0
		}
		c.ip(src, dst, nil, t, data)
		n := uint32(len(data))
		if t.SYN || t.FIN {
			n++
		}
		if fromClient {
			cs += n
		} else {
			ss += n
		}
	}
	seg(true, "S", nil)
	seg(false, "SA", nil)
	seg(true, "A", nil)
	for b := req; len(b) > 0; {
		n := min(len(b), 1400)
		seg(true, "A", b[:n])
		b = b[n:]
	}
	for b := resp; len(b) > 0; {
		n := min(len(b), 1400)
		seg(false, "A", b[:n])
		b = b[n:]
	}
	seg(true, "AF", nil)
	seg(false, "AF", nil)
	seg(true, "A", nil)
}

func lldpTLV(typ int, v []byte) []byte {
	return append([]byte{byte(typ<<1 | len(v)>>8), byte(len(v))}, v...)
}

func dnsName(labels ...string) []byte {
	var b []byte
	for _, l := range labels {
		b = append(b, byte(len(l)))
		b = append(b, l...)
	}
	return append(b, 0)
}

// hostileLabels cuts s into DNS labels of at most 63 bytes (dots in s would
// be label separators on the wire anyway; the payload has none).
func hostileLabels(s string) []string {
	var out []string
	for len(s) > 0 {
		n := min(len(s), 63)
		out = append(out, s[:n])
		s = s[n:]
	}
	return append(out, "example")
}

// writeHostileCapture writes the hostile plant to path and returns the
// number of frames.
func writeHostileCapture(t *testing.T, path string) int {
	t.Helper()
	var buf bytes.Buffer
	nw, err := pcapgo.NewNgWriter(&buf, layers.LinkTypeEthernet)
	if err != nil {
		t.Fatal(err)
	}
	c := &capWriter{t: t, w: nw, now: time.Date(2026, 1, 15, 8, 0, 0, 0, time.UTC)}
	bcast := net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

	// DHCP Request with a hostile host name (option 12) and vendor class (60).
	dhcpC := hh(10)
	{
		b := make([]byte, 240)
		b[0], b[1], b[2] = 1, 1, 6
		binary.BigEndian.PutUint32(b[4:], 0x66066601)
		copy(b[28:], dhcpC.mac)
		copy(b[236:], []byte{0x63, 0x82, 0x53, 0x63})
		opt := func(code byte, v string) { b = append(append(b, code, byte(len(v))), v...) }
		opt(53, "\x03")
		opt(50, string(dhcpC.ip))
		opt(12, formula+hostile)
		opt(60, "+"+hostile)
		b = append(b, 255)
		zero := hhost{mac: dhcpC.mac, ip: net.IPv4zero.To4()}
		c.udp(zero, hhost{ip: net.IPv4bcast.To4()}, bcast, 68, 67, b)
	}

	// A second DHCP client whose host name puts a two-byte rune across
	// byte 120 of the "unknown, NAME" comment zones init writes.
	{
		m := net.HardwareAddr{0x02, 0x66, 0, 0, 1, 10}
		b := make([]byte, 240)
		b[0], b[1], b[2] = 1, 1, 6
		binary.BigEndian.PutUint32(b[4:], 0x66066602)
		copy(b[28:], m)
		copy(b[236:], []byte{0x63, 0x82, 0x53, 0x63})
		name := strings.Repeat("h", 110) + "é" + "-tail"
		b = append(append(b, 53, 1, 3, 12, byte(len(name))), name...)
		b = append(b, 255)
		c.udp(hhost{mac: m, ip: net.IPv4zero.To4()}, hhost{ip: net.IPv4bcast.To4()}, bcast, 68, 67, b)
	}

	// LLDP with a hostile system name and description.
	lldpS := hh(11)
	{
		b := lldpTLV(1, append([]byte{4}, lldpS.mac...))
		b = append(b, lldpTLV(2, append([]byte{5}, "-"+hostile...))...)
		b = append(b, lldpTLV(3, []byte{0, 120})...)
		b = append(b, lldpTLV(5, []byte("@"+hostile))...)
		b = append(b, lldpTLV(6, []byte(hostile+strings.Repeat("D", 300)))...)
		b = append(b, 0, 0)
		c.ether(lldpS, net.HardwareAddr{0x01, 0x80, 0xc2, 0, 0, 0x0e}, layers.EthernetType(0x88cc), b)
	}

	// DNS query and answer: a hostile name resolves to 10.66.0.20.
	dnsC, dnsS, named := hh(12), hh(13), hh(20)
	{
		name := dnsName(hostileLabels(hostile)...)
		q := []byte{0x66, 0x01, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0}
		q = append(append(q, name...), 0, 1, 0, 1)
		c.udp(dnsC, dnsS, nil, 53001, 53, q)
		r := []byte{0x66, 0x01, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0}
		r = append(append(r, name...), 0, 1, 0, 1)
		r = append(r, 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4)
		r = append(r, named.ip...)
		c.udp(dnsS, dnsC, nil, 53, 53001, r)
		// The named host talks so it is an asset.
		c.udp(named, dnsS, nil, 53002, 53, q)
	}

	// HTTP: hostile Host header and a 100 KB hostile Server header.
	webC, webS := hh(14), hh(15)
	{
		long := strings.Repeat(strings.ReplaceAll(hostile, "\n", " "), 100*1024/len(hostile)+1)
		req := "GET / HTTP/1.1\r\nHost: " + strings.ReplaceAll(hostile, "\n", "") + "\r\nUser-Agent: " + formula + "\r\n\r\n"
		resp := "HTTP/1.1 200 OK\r\nServer: " + strings.ReplaceAll(hostile, "\n", "") + long + "\r\nContent-Length: 0\r\n\r\n"
		c.tcpExchange(webC, webS, 50001, 80, []byte(req), []byte(resp))
		// A Server header of ordinary length that the dissector keeps.
		resp = "HTTP/1.1 200 OK\r\nServer: " + strings.ReplaceAll(formula+hostile, "\n", "") + "\r\nContent-Length: 0\r\n\r\n"
		c.tcpExchange(webC, webS, 50004, 80, []byte(req), []byte(resp))
	}

	// PROFINET DCP Identify response with a hostile NameOfStation and type.
	pnC, pnD := hh(16), hh(17)
	{
		block := func(opt, sub byte, v []byte) []byte {
			body := append([]byte{0, 0}, v...)
			out := append([]byte{opt, sub, byte(len(body) >> 8), byte(len(body))}, body...)
			if len(body)%2 == 1 {
				out = append(out, 0)
			}
			return out
		}
		var data []byte
		data = append(data, block(2, 2, []byte(formula+hostile))...)
		data = append(data, block(2, 1, []byte("+"+hostile))...)
		data = append(data, block(2, 3, []byte{0x00, 0x2a, 0x03, 0x13})...)
		data = append(data, block(2, 4, []byte{0x01, 0x00})...)
		data = append(data, block(1, 2, append(append(append([]byte(nil), pnD.ip...), 255, 255, 255, 0), 10, 66, 0, 1))...)
		req := []byte{0xfe, 0xfe, 5, 0, 0, 0, 0x10, 0x01, 0, 1, 0, 4, 0xff, 0xff, 0, 0}
		for len(req) < 46 {
			req = append(req, 0)
		}
		c.ether(pnC, net.HardwareAddr{0x01, 0x0e, 0xcf, 0, 0, 0}, layers.EthernetType(0x8892), req)
		resp := []byte{0xfe, 0xff, 5, 1, 0, 0, 0x10, 0x01, 0, 0, byte(len(data) >> 8), byte(len(data))}
		resp = append(resp, data...)
		c.ether(pnD, pnC.mac, layers.EthernetType(0x8892), resp)
	}

	// Modbus Read Device Identification with hostile objects.
	mbC, mbS := hh(18), hh(19)
	{
		req := modbus.AppendADU(nil, 1, 0, modbus.AppendDeviceIDRequest(nil, modbus.DeviceIDRequest{Code: modbus.DevIDRegular}))
		resp := modbus.AppendADU(nil, 1, 0, modbus.AppendDeviceIDResponse(nil, modbus.DeviceIDResponse{Code: modbus.DevIDRegular, Conformity: 0x82,
			Objects: []modbus.DeviceObject{
				// An ADU holds at most 253 PDU bytes: one long object, two short ones.
				{ID: modbus.ObjVendorName, Value: []byte(formula + hostile)},
				{ID: modbus.ObjProductCode, Value: []byte("-\x1b[2J\r\u202e")},
				{ID: modbus.ObjMajorMinorRevision, Value: []byte("@\x1b]0;t\x07\n")},
			}}))
		c.tcpExchange(mbC, mbS, 50002, 502, req, resp)
	}

	// EtherNet/IP ListIdentity reply with a hostile product name.
	enC, enS := hh(21), hh(22)
	{
		ctx := []byte{0xc1, 0xde, 0xbe, 0xd1, 0, 0, 0, 0}
		encap := func(data []byte) []byte {
			b := make([]byte, 24, 24+len(data))
			binary.LittleEndian.PutUint16(b, 0x63)
			binary.LittleEndian.PutUint16(b[2:], uint16(len(data)))
			copy(b[12:20], ctx)
			return append(b, data...)
		}
		name := formula + hostile
		body := []byte{0x01, 0x00, 0x0c, 0x00, 0x3a, 0x00, 4, 3, 0x30, 0x00}
		body = binary.LittleEndian.AppendUint32(body, 0x66066606)
		body = append(body, byte(len(name)))
		body = append(body, name...)
		item := []byte{1, 0, 0, 2, 0xaf, 0x12}
		item = append(item, enS.ip...)
		item = append(item, make([]byte, 8)...)
		item = append(item, body...)
		item = append(item, 3)
		li := append([]byte{1, 0, 0x0c, 0, byte(len(item)), byte(len(item) >> 8)}, item...)
		c.udp(enC, enS, nil, 50003, 44818, encap(nil))
		c.udp(enS, enC, nil, 44818, 50003, encap(li))
	}

	// SSH and FTP banners, a TLS ClientHello SNI, a CDP device id and
	// platform.
	sshC, sshS, ftpS, tlsS := hh(23), hh(24), hh(25), hh(26)
	{
		clean := strings.NewReplacer("\n", "", "\r", "").Replace(hostile)
		c.tcpExchange(sshC, sshS, 50005, 22, []byte("SSH-2.0-OpenSSH_9.6\r\n"), []byte("SSH-2.0-"+clean+"\r\n"))
		c.tcpExchange(sshC, ftpS, 50006, 21, []byte("USER anonymous\r\n"), []byte("220 "+formula+clean+"\r\n"))
		sni := []byte(hostile)
		ext := binary.BigEndian.AppendUint16(nil, 0) // server_name
		ext = binary.BigEndian.AppendUint16(ext, uint16(len(sni)+5))
		ext = binary.BigEndian.AppendUint16(ext, uint16(len(sni)+3))
		ext = append(ext, 0)
		ext = binary.BigEndian.AppendUint16(ext, uint16(len(sni)))
		ext = append(ext, sni...)
		body := []byte{3, 3}
		body = append(body, make([]byte, 32)...)
		body = append(body, 0, 0, 2, 0x13, 0x01, 1, 0)
		body = binary.BigEndian.AppendUint16(body, uint16(len(ext)))
		body = append(body, ext...)
		hs := append([]byte{1, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}, body...)
		rec := append([]byte{0x16, 3, 1, byte(len(hs) >> 8), byte(len(hs))}, hs...)
		c.tcpExchange(sshC, tlsS, 50007, 443, rec, nil)
	}
	cdpS := hh(27)
	{
		tlv := func(typ uint16, v string) []byte {
			b := binary.BigEndian.AppendUint16(nil, typ)
			b = binary.BigEndian.AppendUint16(b, uint16(len(v)+4))
			return append(b, v...)
		}
		body := append(tlv(1, "-"+hostile), tlv(6, "@"+hostile)...)
		body = append(body, tlv(3, "Gi1/0/1")...)
		cdp := append([]byte{2, 180, 0, 0}, body...)
		var sum uint32
		for i := 0; i+1 < len(cdp); i += 2 {
			sum += uint32(cdp[i])<<8 | uint32(cdp[i+1])
		}
		if len(cdp)%2 == 1 {
			sum += uint32(cdp[len(cdp)-1])
		}
		for sum>>16 != 0 {
			sum = sum&0xffff + sum>>16
		}
		binary.BigEndian.PutUint16(cdp[2:], ^uint16(sum))
		snap := append([]byte{0xaa, 0xaa, 0x03, 0, 0, 0x0c, 0x20, 0x00}, cdp...)
		c.write(&layers.Ethernet{SrcMAC: cdpS.mac, DstMAC: net.HardwareAddr{0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcc},
			EthernetType: layers.EthernetTypeLLC, Length: uint16(len(snap))}, gopacket.Payload(snap))
	}

	// BACnet/IP: I-Am, then ReadProperty object-name (77) and model-name
	// (70) answered with hostile character strings.
	bacC, bacS := hh(28), hh(29)
	{
		bvlc := func(fn byte, npdu []byte) []byte {
			b := []byte{0x81, fn, 0, 0}
			binary.BigEndian.PutUint16(b[2:], uint16(len(npdu)+4))
			return append(b, npdu...)
		}
		obj := uint32(8<<22 | 6606)
		objTag := binary.BigEndian.AppendUint32([]byte{0x0c}, obj)
		iam := append([]byte{0x10, 0x00, 0xc4}, objTag[1:]...)
		iam = append(iam, 0x22, 0x05, 0xc4, 0x91, 0x00, 0x21, 36)
		c.udp(bacS, hhost{ip: net.IPv4(10, 66, 0, 255).To4()}, bcast, 47808, 47808, bvlc(0x0b, append([]byte{1, 0}, iam...)))
		for i, pv := range []struct {
			prop byte
			v    string
		}{{77, formula + hostile}, {70, "+" + hostile}} {
			req := append([]byte{0x00, 0x05, byte(i + 1), 12}, objTag...)
			req = append(req, 0x19, pv.prop)
			ack := append([]byte{0x30, byte(i + 1), 12}, objTag...)
			ack = append(ack, 0x19, pv.prop, 0x3e, 0x75, byte(len(pv.v)+1), 0)
			ack = append(append(ack, pv.v...), 0x3f)
			c.udp(bacC, bacS, nil, 47808, 47808, bvlc(0x0a, append([]byte{1, 4}, req...)))
			c.udp(bacS, bacC, nil, 47808, 47808, bvlc(0x0a, append([]byte{1, 0}, ack...)))
		}
	}

	if err := nw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return c.n
}
