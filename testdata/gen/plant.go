package main

import (
	"encoding/binary"
	"io"
	"net"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Host is one device of the demo plant.
type Host struct {
	Name string
	MAC  net.HardwareAddr
	IP   net.IP
	VLAN uint16
	// Remote hosts sit behind the router: the capture sees their frames
	// with the router's MAC.
	Remote bool
}

func mac(s string) net.HardwareAddr {
	m, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return m
}

func host(name, m, ip string, vlan uint16) *Host {
	return &Host{Name: name, MAC: mac(m), IP: net.ParseIP(ip).To4(), VLAN: vlan}
}

// The demo plant. VLAN 10 is the control network (cell/area), VLAN 20 the
// supervisory LAN, VLAN 30 the site operations/DMZ, and 192.168.1.0/24 the
// enterprise IT network behind the router. OUIs are real vendors' prefixes
// so the OUI lookup has something to find; addresses are private.
var (
	Router = host("core-router", "00:1b:54:10:00:01", "10.10.10.1", 10) // Cisco OUI

	PLCModbus  = host("plc-modbus", "00:80:f4:10:00:11", "10.10.10.11", 10)   // Schneider Electric (Telemecanique) OUI
	PLCENIP    = host("plc-enip", "00:00:bc:10:00:12", "10.10.10.12", 10)     // Rockwell Automation OUI
	PLCS7      = host("plc-s7", "00:1b:1b:10:00:13", "10.10.10.13", 10)       // Siemens OUI
	RTUDNP3    = host("rtu-dnp3", "00:50:c2:10:00:14", "10.10.10.14", 10)     // IEEE registration authority
	BACnetCtl  = host("bacnet-ctl", "00:01:f0:10:00:15", "10.10.10.15", 10)   // Tridium OUI
	PNDevice   = host("pn-io-device", "00:0e:8c:10:00:16", "10.10.10.16", 10) // Siemens OUI
	RTU104     = host("rtu-iec104", "00:0f:73:10:00:17", "10.10.10.17", 10)
	HMI        = host("hmi-1", "00:0c:29:20:00:21", "10.10.20.21", 20)
	EWS        = host("ews-1", "00:0c:29:20:00:22", "10.10.20.22", 20)
	SCADA      = host("scada-opcua", "00:0c:29:20:00:23", "10.10.20.23", 20)
	Historian  = host("historian", "00:0c:29:30:00:31", "10.10.30.31", 30)
	DomainCtl  = &Host{Name: "dc01", MAC: nil, IP: net.ParseIP("192.168.1.10").To4(), Remote: true}
	ITDesktop  = &Host{Name: "it-desktop", MAC: nil, IP: net.ParseIP("192.168.1.50").To4(), Remote: true}
	Internet   = &Host{Name: "update-server", MAC: nil, IP: net.ParseIP("203.0.113.80").To4(), Remote: true}
	broadcastM = mac("ff:ff:ff:ff:ff:ff")
)

// Plant writes frames on one clock.
type Plant struct {
	w      *pcapgo.NgWriter
	now    time.Time
	Frames int
	ipID   uint16
	port   uint16
}

// NewPlant starts a pcapng file on w.
func NewPlant(w io.Writer) (*Plant, error) {
	nw, err := pcapgo.NewNgWriter(w, layers.LinkTypeEthernet)
	if err != nil {
		return nil, err
	}
	return &Plant{w: nw, now: time.Date(2026, 1, 15, 8, 0, 0, 0, time.UTC), port: 49152}, nil
}

// Close flushes the writer.
func (p *Plant) Close() error { return p.w.Flush() }

// Advance moves the clock by ms milliseconds.
func (p *Plant) Advance(ms int) { p.now = p.now.Add(time.Duration(ms) * time.Millisecond) }

// EphemeralPort returns the next client port.
func (p *Plant) EphemeralPort() uint16 {
	p.port++
	return p.port
}

func (p *Plant) write(ls ...gopacket.SerializableLayer) {
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, ls...); err != nil {
		panic(err)
	}
	data := buf.Bytes()
	p.Advance(1)
	ci := gopacket.CaptureInfo{Timestamp: p.now, CaptureLength: len(data), Length: len(data)}
	if err := p.w.WritePacket(ci, data); err != nil {
		panic(err)
	}
	p.Frames++
}

// l2 returns the source and destination MACs and VLAN the SPAN port sees for
// an IP packet from src to dst.
func (p *Plant) l2(src, dst *Host) (smac, dmac net.HardwareAddr, vlan uint16) {
	smac, dmac, vlan = src.MAC, dst.MAC, src.VLAN
	switch {
	case src.Remote && dst.Remote:
		smac, dmac, vlan = Router.MAC, Router.MAC, 10
	case src.Remote:
		smac, vlan = Router.MAC, dst.VLAN
	case dst.Remote || src.VLAN != dst.VLAN:
		dmac = Router.MAC
	}
	return
}

// Ether writes a raw layer-2 frame with the given EtherType and payload.
func (p *Plant) Ether(src net.HardwareAddr, dst net.HardwareAddr, vlan uint16, etherType layers.EthernetType, payload []byte) {
	eth := &layers.Ethernet{SrcMAC: src, DstMAC: dst, EthernetType: etherType}
	if vlan != 0 {
		eth.EthernetType = layers.EthernetTypeDot1Q
		p.write(eth, &layers.Dot1Q{VLANIdentifier: vlan, Type: etherType}, gopacket.Payload(payload))
		return
	}
	p.write(eth, gopacket.Payload(payload))
}

// LLC writes an 802.3 frame with an LLC header (DSAP, SSAP, control 0x03) and payload.
func (p *Plant) LLC(src, dst net.HardwareAddr, vlan uint16, dsap, ssap byte, payload []byte) {
	body := append([]byte{dsap, ssap, 0x03}, payload...)
	eth := &layers.Ethernet{SrcMAC: src, DstMAC: dst, EthernetType: layers.EthernetTypeLLC, Length: uint16(len(body))}
	if vlan != 0 {
		eth.EthernetType = layers.EthernetTypeDot1Q
		// 802.1Q carrying an 802.3 length field instead of an EtherType.
		var tag [4]byte
		binary.BigEndian.PutUint16(tag[0:], vlan&0x0fff)
		binary.BigEndian.PutUint16(tag[2:], uint16(len(body)))
		p.write(eth, gopacket.Payload(append(tag[:], body...)))
		return
	}
	p.write(eth, gopacket.Payload(body))
}

// SNAP writes an 802.3 LLC/SNAP frame (CDP: OUI 0x00000c, PID 0x2000).
func (p *Plant) SNAP(src, dst net.HardwareAddr, oui uint32, pid uint16, payload []byte) {
	hdr := []byte{0xaa, 0xaa, 0x03, byte(oui >> 16), byte(oui >> 8), byte(oui), byte(pid >> 8), byte(pid)}
	body := append(hdr, payload...)
	eth := &layers.Ethernet{SrcMAC: src, DstMAC: dst, EthernetType: layers.EthernetTypeLLC, Length: uint16(len(body))}
	p.write(eth, gopacket.Payload(body))
}

func (p *Plant) ip(src, dst *Host, proto layers.IPProtocol) (*layers.Ethernet, *layers.Dot1Q, *layers.IPv4) {
	smac, dmac, vlan := p.l2(src, dst)
	p.ipID++
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: proto, SrcIP: src.IP, DstIP: dst.IP, Id: p.ipID, Flags: layers.IPv4DontFragment}
	if src.Remote {
		ip.TTL = 63
	}
	if vlan == 0 {
		return &layers.Ethernet{SrcMAC: smac, DstMAC: dmac, EthernetType: layers.EthernetTypeIPv4}, nil, ip
	}
	return &layers.Ethernet{SrcMAC: smac, DstMAC: dmac, EthernetType: layers.EthernetTypeDot1Q},
		&layers.Dot1Q{VLANIdentifier: vlan, Type: layers.EthernetTypeIPv4}, ip
}

func (p *Plant) writeIP(src, dst *Host, proto layers.IPProtocol, l4 gopacket.SerializableLayer, payload []byte) {
	eth, tag, ip := p.ip(src, dst, proto)
	switch t := l4.(type) {
	case *layers.TCP:
		_ = t.SetNetworkLayerForChecksum(ip)
	case *layers.UDP:
		_ = t.SetNetworkLayerForChecksum(ip)
	}
	ls := []gopacket.SerializableLayer{eth}
	if tag != nil {
		ls = append(ls, tag)
	}
	ls = append(ls, ip, l4)
	if len(payload) > 0 {
		ls = append(ls, gopacket.Payload(payload))
	}
	p.write(ls...)
}

// UDP writes one datagram. A nil dst MAC host with a broadcast IP goes to ff:ff:ff:ff:ff:ff.
func (p *Plant) UDP(src, dst *Host, sport, dport uint16, payload []byte) {
	p.writeIP(src, dst, layers.IPProtocolUDP, &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}, payload)
}

// Broadcast returns a pseudo-host for the subnet broadcast of h's VLAN.
func Broadcast(h *Host) *Host {
	ip := net.IPv4(h.IP[0], h.IP[1], h.IP[2], 255).To4()
	return &Host{Name: "broadcast", MAC: broadcastM, IP: ip, VLAN: h.VLAN}
}

// ARP writes a request from h for target and the reply from target.
func (p *Plant) ARP(h, target *Host) {
	req := &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
		Operation: layers.ARPRequest, SourceHwAddress: h.MAC, SourceProtAddress: h.IP, DstHwAddress: make([]byte, 6), DstProtAddress: target.IP}
	p.write(&layers.Ethernet{SrcMAC: h.MAC, DstMAC: broadcastM, EthernetType: layers.EthernetTypeDot1Q},
		&layers.Dot1Q{VLANIdentifier: h.VLAN, Type: layers.EthernetTypeARP}, req)
	rep := &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
		Operation: layers.ARPReply, SourceHwAddress: target.MAC, SourceProtAddress: target.IP, DstHwAddress: h.MAC, DstProtAddress: h.IP}
	p.write(&layers.Ethernet{SrcMAC: target.MAC, DstMAC: h.MAC, EthernetType: layers.EthernetTypeDot1Q},
		&layers.Dot1Q{VLANIdentifier: h.VLAN, Type: layers.EthernetTypeARP}, rep)
}

// Conn is one TCP connection with its sequence numbers.
type Conn struct {
	p            *Plant
	c, s         *Host
	cport, sport uint16
	cseq, sseq   uint32
	MSS          int // segments larger than this are split (0: never)
}

// TCP opens a connection from c to s:port with a full handshake.
func (p *Plant) TCP(c, s *Host, port uint16) *Conn {
	k := &Conn{p: p, c: c, s: s, cport: p.EphemeralPort(), sport: port, cseq: 1000 + uint32(p.Frames)*7, sseq: 50000 + uint32(p.Frames)*13}
	p.writeIP(c, s, layers.IPProtocolTCP, &layers.TCP{SrcPort: layers.TCPPort(k.cport), DstPort: layers.TCPPort(port), Seq: k.cseq, SYN: true, Window: 64240}, nil)
	k.cseq++
	p.writeIP(s, c, layers.IPProtocolTCP, &layers.TCP{SrcPort: layers.TCPPort(port), DstPort: layers.TCPPort(k.cport), Seq: k.sseq, Ack: k.cseq, SYN: true, ACK: true, Window: 64240}, nil)
	k.sseq++
	p.writeIP(c, s, layers.IPProtocolTCP, &layers.TCP{SrcPort: layers.TCPPort(k.cport), DstPort: layers.TCPPort(port), Seq: k.cseq, Ack: k.sseq, ACK: true, Window: 64240}, nil)
	return k
}

func (k *Conn) seg(toServer bool, data []byte, fin bool) {
	if toServer {
		k.p.writeIP(k.c, k.s, layers.IPProtocolTCP, &layers.TCP{SrcPort: layers.TCPPort(k.cport), DstPort: layers.TCPPort(k.sport), Seq: k.cseq, Ack: k.sseq, ACK: true, PSH: len(data) > 0, FIN: fin, Window: 64240}, data)
		k.cseq += uint32(len(data))
		if fin {
			k.cseq++
		}
		return
	}
	k.p.writeIP(k.s, k.c, layers.IPProtocolTCP, &layers.TCP{SrcPort: layers.TCPPort(k.sport), DstPort: layers.TCPPort(k.cport), Seq: k.sseq, Ack: k.cseq, ACK: true, PSH: len(data) > 0, FIN: fin, Window: 64240}, data)
	k.sseq += uint32(len(data))
	if fin {
		k.sseq++
	}
}

func (k *Conn) send(toServer bool, data []byte) {
	for len(data) > 0 {
		n := len(data)
		if k.MSS > 0 && n > k.MSS {
			n = k.MSS
		}
		k.seg(toServer, data[:n], false)
		data = data[n:]
	}
}

// Request sends data from client to server.
func (k *Conn) Request(data []byte) { k.send(true, data) }

// Reply sends data from server to client.
func (k *Conn) Reply(data []byte) { k.send(false, data) }

// Exchange sends a request and its reply, 5 ms apart.
func (k *Conn) Exchange(req, resp []byte) {
	k.Request(req)
	k.p.Advance(5)
	if resp != nil {
		k.Reply(resp)
	}
	k.p.Advance(20)
}

// Close ends the connection with FINs from both sides.
func (k *Conn) Close() {
	k.seg(true, nil, true)
	k.seg(false, nil, true)
	k.seg(true, nil, false)
}
