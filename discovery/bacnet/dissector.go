package bacnet

import (
	"encoding/hex"
	"net/netip"
	"strconv"

	"github.com/otzone/otzone/discovery"
)

// Port is BACnet/IP's registered UDP port (0xBAC0).
const Port = 47808

// DSAP is the LLC service access point of BACnet over ISO 8802-2 (clause 7).
const DSAP = 0x82

func init() {
	discovery.Register("bacnet", func() discovery.Dissector { return New() })
}

// maxSeen bounds the de-duplication memory of reported facts; when full it
// is cleared, which only costs repeated observations.
const maxSeen = 8192

// Dissector reads BACnet/IP datagrams and BACnet/Ethernet (LLC) frames.
type Dissector struct {
	seen map[seenKey]struct{}
}

type seenKey struct {
	kind       discovery.Kind
	ep         discovery.Endpoint
	port       uint16
	role       string
	key, value string
	conf       float32 // a device's own word and a table lookup are separate facts
}

// New returns a BACnet dissector.
func New() *Dissector { return &Dissector{seen: map[seenKey]struct{}{}} }

func (*Dissector) Name() string { return "bacnet" }

func (*Dissector) Ports() []discovery.Port {
	return []discovery.Port{{Transport: discovery.UDP, Number: Port}}
}

// Frames claims LLC DSAP 0x82 (BACnet over Ethernet).
func (*Dissector) Frames() []discovery.FrameMatch { return []discovery.FrameMatch{{DSAP: DSAP}} }

// Heuristic: a BVLC header whose length equals the datagram (on port 47808
// it may differ, see BVLC.Mismatch) and an NPDU
// version 1 with its reserved bits clear is specific enough for any port
// (BACnet/IP often runs on 47809-47823).
func (*Dissector) Heuristic() bool { return true }

// Detect implements discovery.DatagramDissector.
func (*Dissector) Detect(data []byte, pkt *discovery.PacketInfo) discovery.Verdict {
	bv, err := ParseBVLC(data)
	if err != nil {
		return discovery.No
	}
	if bv.Mismatch && (pkt == nil || pkt.SrcPort != Port && pkt.DstPort != Port) {
		return discovery.No // on other ports the length must match exactly
	}
	switch {
	case bv.Function.HasNPDU():
		if len(bv.Payload) < 2 || bv.Payload[0] != 0x01 || bv.Payload[1]&0x50 != 0 {
			return discovery.No
		}
	case bv.Function == BVLCResult:
		if bv.Length != 6 {
			return discovery.No
		}
	case bv.Function == BVLCSecureBVLL:
		return discovery.No
	}
	return discovery.Yes
}

// msg carries what one NPDU's handling needs.
type msg struct {
	pkt              *discovery.PacketInfo
	emit             discovery.Emit
	src, dst         discovery.Endpoint
	srcPort, dstPort uint16
	transport        string
	dstUnicast       bool
}

// Datagram implements discovery.DatagramDissector.
func (d *Dissector) Datagram(data []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	bv, err := ParseBVLC(data)
	if err != nil {
		return err
	}
	m := msg{pkt: pkt, emit: emit, src: pkt.Src, dst: receiver(pkt.Dst), srcPort: pkt.SrcPort, dstPort: pkt.DstPort,
		transport: "udp", dstUnicast: unicast(pkt.Dst)}
	switch bv.Function {
	case BVLCForwardedNPDU:
		// Only a BBMD forwards; the NPDU's originator is the B/IP address
		// in the header (its MAC is not on this wire).
		d.attr(&m, pkt.Src, "bacnet.bbmd", "true", 0.9)
		ip := netip.AddrFrom4([4]byte(bv.OriginalSource[:4]))
		m.src = discovery.Endpoint{IP: ip}
		m.srcPort = uint16(bv.OriginalSource[4])<<8 | uint16(bv.OriginalSource[5])
		if ip == pkt.Src.IP {
			m.src = pkt.Src
		}
	case BVLCReadBDTAck, BVLCReadFDTAck:
		d.attr(&m, pkt.Src, "bacnet.bbmd", "true", 0.9)
	case BVLCRegisterForeignDevice, BVLCReadBDT, BVLCReadFDT, BVLCWriteBDT, BVLCDeleteFDTEntry, BVLCDistributeBroadcast:
		if m.dstUnicast {
			d.attr(&m, receiver(pkt.Dst), "bacnet.bbmd", "true", 0.7) // addressed as one; confirmed by its ack
			if bv.Function == BVLCRegisterForeignDevice {
				d.attr(&m, pkt.Src, "bacnet.foreign_device", "true", 0.9)
			}
			if bv.Function != BVLCDistributeBroadcast {
				d.op(&m, pkt.Src, receiver(pkt.Dst), int(bv.Function)|0x100, bv.Function.String(), bvlcClass(bv.Function))
			}
		}
	}
	if !bv.Function.HasNPDU() {
		return nil
	}
	return d.npdu(&m, bv.Payload)
}

func bvlcClass(f BVLCFunction) discovery.OpClass {
	switch f {
	case BVLCReadBDT, BVLCReadFDT:
		return discovery.OpRead
	}
	return discovery.OpConfig
}

// Frame implements discovery.FrameDissector for BACnet over LLC: data is the NPDU.
func (d *Dissector) Frame(data []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	m := msg{pkt: pkt, emit: emit, src: discovery.Endpoint{MAC: pkt.Src.MAC}, dst: discovery.Endpoint{MAC: pkt.Dst.MAC},
		transport: "eth", dstUnicast: pkt.Dst.MAC.IsUnicast()}
	return d.npdu(&m, data)
}

func unicast(e discovery.Endpoint) bool {
	if !e.MAC.IsZero() && !e.MAC.IsUnicast() {
		return false
	}
	ip := e.IP
	if !ip.IsValid() || ip.IsMulticast() || ip.IsUnspecified() {
		return false
	}
	return !(ip.Is4() && ip.As4() == [4]byte{255, 255, 255, 255})
}

// Sub returns the sub-address of a device behind a BACnet router.
func Sub(net uint16, adr []byte) string {
	return "bacnet:net=" + strconv.Itoa(int(net)) + ",adr=" + hex.EncodeToString(adr)
}

func (d *Dissector) npdu(m *msg, b []byte) error {
	n, err := ParseNPDU(b)
	if err != nil {
		return err
	}
	if n.HasSrc && len(n.SADR) > 0 {
		m.src.Sub = Sub(n.SNET, n.SADR)
	}
	if n.HasDest {
		if n.DNET == 0xffff || len(n.DADR) == 0 {
			m.dstUnicast = false
		} else {
			m.dst.Sub = Sub(n.DNET, n.DADR)
		}
	}
	if n.NetworkMessage {
		if n.MessageType == 0x01 { // I-Am-Router-To-Network
			d.attr(m, m.src, "bacnet.router", "true", 0.9)
		}
		return nil
	}
	a, err := ParseAPDU(n.APDU)
	if err != nil {
		return err
	}
	switch a.Type {
	case PDUConfirmedRequest:
		d.service(m, m.src, m.dstPort, "client")
		if m.dstUnicast {
			d.service(m, m.dst, m.dstPort, "server")
			if !a.Segmented || a.Sequence == 0 {
				s := ConfirmedService(a.Service)
				d.op(m, m.src, m.dst, int(s), s.String(), s.Class())
			}
		}
	case PDUUnconfirmedRequest:
		s := UnconfirmedService(a.Service)
		switch {
		case s.FromDevice():
			d.service(m, m.src, m.srcPort, "server")
			if s == SvcIAm {
				d.iam(m, a.Data)
			}
		case s == SvcWhoIs || s == SvcWhoHas:
			d.service(m, m.src, m.dstPort, "client")
			// Who-Is/Who-Has to x.x.x.255 is a directed broadcast sent
			// through a router (bacnet_example.pcap frame 1243: unicast MAC,
			// IP 172.20.32.255): no peer.
			if m.dstUnicast && !(m.dst.IP.Is4() && m.dst.IP.As4()[3] == 255) {
				d.op(m, m.src, m.dst, int(s)|0x200, s.String(), s.Class())
			}
		default:
			if m.dstUnicast {
				d.op(m, m.src, m.dst, int(s)|0x200, s.String(), s.Class())
			}
		}
	default:
		if a.FromServer() {
			d.service(m, m.src, m.srcPort, "server")
		}
		if a.Type == PDUComplexAck && (!a.Segmented || a.Sequence == 0) {
			d.ack(m, ConfirmedService(a.Service), a.Data)
		}
	}
	return nil
}

func (d *Dissector) iam(m *msg, data []byte) {
	r, err := ParseIAm(data)
	if err != nil {
		return
	}
	d.attr(m, m.src, "bacnet.device_instance", strconv.FormatUint(uint64(r.Device.Instance()), 10), 0.95)
	d.attr(m, m.src, "bacnet.vendor_id", strconv.FormatUint(uint64(r.VendorID), 10), 0.95)
	if name, ok := vendorNames[r.VendorID]; ok {
		d.attr(m, m.src, "bacnet.vendor_name", name, 0.8)
	}
}

// deviceKeys are the device object properties reported, by property id.
var deviceKeys = map[uint32]string{
	77:  "bacnet.object_name",
	70:  "bacnet.model_name",
	44:  "bacnet.firmware_revision",
	121: "bacnet.vendor_name",
	12:  "bacnet.application_software_version",
	28:  "bacnet.description",
	58:  "bacnet.location",
}

func (d *Dissector) ack(m *msg, s ConfirmedService, data []byte) {
	report := func(p Property) {
		if p.Object.Type() != ObjectTypeDevice || !p.Text || p.HasIndex || p.Value == "" {
			return
		}
		key, ok := deviceKeys[p.ID]
		if !ok {
			return
		}
		d.attr(m, m.src, "bacnet.device_instance", strconv.FormatUint(uint64(p.Object.Instance()), 10), 0.9)
		d.attr(m, m.src, key, p.Value, 0.95)
	}
	switch s {
	case SvcReadProperty:
		if p, err := ParseReadPropertyAck(data); err == nil {
			report(p)
		}
	case SvcReadPropertyMultiple:
		_ = ParseReadPropertyMultipleAck(data, report) // results before an error are kept
	}
}

func (d *Dissector) once(k seenKey) bool {
	k.ep = receiver(k.ep) // the same host whether seen as sender or receiver
	if _, ok := d.seen[k]; ok {
		return false
	}
	if len(d.seen) >= maxSeen {
		clear(d.seen)
	}
	d.seen[k] = struct{}{}
	return true
}

func (d *Dissector) service(m *msg, ep discovery.Endpoint, port uint16, role string) {
	if !d.once(seenKey{kind: discovery.KindService, ep: ep, port: port, role: role, key: m.transport}) {
		return
	}
	o := m.pkt.Obs(discovery.KindService, ep)
	o.Protocol, o.Transport, o.Port, o.Role = "bacnet", m.transport, port, role
	m.emit(o)
}

func (d *Dissector) attr(m *msg, ep discovery.Endpoint, key, value string, conf float32) {
	if !d.once(seenKey{kind: discovery.KindAttribute, ep: ep, key: key, value: value, conf: conf}) {
		return
	}
	o := m.pkt.Obs(discovery.KindAttribute, ep)
	o.Protocol, o.Key, o.Value, o.Confidence = "bacnet", key, value, conf
	m.emit(o)
}

// op reports a request. Codes: confirmed services as is; unconfirmed
// services 0x200|choice; BVLC functions 0x100|function (so that the three
// number spaces do not collide in one communication's operation list).
func (d *Dissector) op(m *msg, client, server discovery.Endpoint, code int, name string, class discovery.OpClass) {
	o := m.pkt.Obs(discovery.KindOperation, client)
	o.Peer, o.Protocol, o.Transport, o.Port = server, "bacnet", m.transport, m.dstPort
	o.Op = discovery.Operation{Code: code, Name: name, Class: class}
	m.emit(o)
}

// receiver returns the destination endpoint as facts may name it: a
// frame's destination MAC is the next hop's (a router's, when routed), so
// an IP endpoint keeps only its IP.
func receiver(e discovery.Endpoint) discovery.Endpoint {
	if e.IP.IsValid() {
		e.MAC = discovery.MAC{}
	}
	return e
}
