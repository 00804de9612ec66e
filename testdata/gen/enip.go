package main

import (
	"encoding/binary"
	"net"
)

// EtherNet/IP + CIP: the engineering workstation browses the Rockwell PLC
// with ListIdentity over UDP (as RSLinx does; frame layout as in
// enip_cip_example.pcap frames 371-372), then opens a TCP session: it
// registers a session, reads the Identity object with Get_Attributes_All,
// reads two tags in one Multiple Service Packet, and writes a tag through
// an Unconnected Send routed to backplane slot 0. The HMI reads a tag.
func init() {
	register("20-enip", func(p *Plant) {
		ctx := []byte{0xc1, 0xde, 0xbe, 0xd1, 0, 0, 0, 0}
		port := p.EphemeralPort()
		p.UDP(EWS, PLCENIP, port, 44818, enipEncap(0x63, 0, ctx, nil))
		p.Advance(40)
		p.UDP(PLCENIP, EWS, 44818, port, enipEncap(0x63, 0, ctx, enipListIdentityReply(PLCENIP.IP)))

		k := p.TCP(EWS, PLCENIP, 44818)
		const session = 0x12020100
		k.Exchange(enipEncap(0x65, 0, nil, []byte{1, 0, 0, 0}), enipEncap(0x65, session, nil, []byte{1, 0, 0, 0}))
		// Get_Attributes_All, Identity class 1 instance 1.
		k.Exchange(enipRR(session, []byte{0x01, 0x02, 0x20, 0x01, 0x24, 0x01}),
			enipRR(session, append([]byte{0x81, 0, 0, 0}, enipIdentityBody()...)))
		// Multiple Service Packet to the Message Router: Read Tag x2.
		r1, r2 := cipReadTag("Tank1_Level"), cipReadTag("Pump1_Speed")
		msp := []byte{0x0a, 0x02, 0x20, 0x02, 0x24, 0x01, 2, 0, 6, 0, byte(6 + len(r1)), 0}
		msp = append(append(msp, r1...), r2...)
		rep := []byte{0x8a, 0, 0, 0, 2, 0, 6, 0, 16, 0,
			0xcc, 0, 0, 0, 0xca, 0, 0x00, 0x00, 0x48, 0x42, // REAL 50.0
			0xcc, 0, 0, 0, 0xc4, 0, 0xdc, 0x05, 0, 0} // DINT 1500
		k.Exchange(enipRR(session, msp), enipRR(session, rep))
		// Write Tag "Pump1_Setpoint" DINT 1200 via Unconnected Send (route: port 1, slot 0).
		w := append(cipPath(0x4d, "Pump1_Setpoint"), 0xc4, 0x00, 0x01, 0x00, 0xb0, 0x04, 0x00, 0x00)
		ucs := []byte{0x52, 0x02, 0x20, 0x06, 0x24, 0x01, 0x0a, 0x0e, byte(len(w)), byte(len(w) >> 8)}
		ucs = append(ucs, w...)
		if len(w)%2 == 1 {
			ucs = append(ucs, 0)
		}
		ucs = append(ucs, 0x01, 0x00, 0x01, 0x00)
		k.Exchange(enipRR(session, ucs), enipRR(session, []byte{0xcd, 0, 0, 0}))
		k.Exchange(enipEncap(0x66, session, nil, nil), nil)
		k.Close()

		// The PLC (originator) opens a class 1 I/O connection to a POINT I/O
		// adapter with Forward Open (via its Connection Manager, rack path to
		// assembly instances), then both produce cyclic I/O on UDP 2222.
		fo := p.TCP(PLCENIP, IOAdapter, 44818)
		const fs = 0x00030001
		fo.Exchange(enipEncap(0x65, 0, nil, []byte{1, 0, 0, 0}), enipEncap(0x65, fs, nil, []byte{1, 0, 0, 0}))
		foReq := []byte{0x54, 0x02, 0x20, 0x06, 0x24, 0x01, 0x0a, 0x0e,
			0x00, 0x00, 0x00, 0x00, 0x41, 0x06, 0x4b, 0x00, // O->T id (chosen by target), T->O id
			0x10, 0x00, 0x01, 0x00, 0x78, 0x56, 0x34, 0x12, // connection serial, originator vendor + serial
			0x01, 0x00, 0x00, 0x00, // timeout multiplier x4, reserved
			0x40, 0x9c, 0x00, 0x00, 0x0c, 0x48, // O->T RPI 40 ms, point-to-point fixed 12 bytes
			0x40, 0x9c, 0x00, 0x00, 0x10, 0x48, // T->O RPI 40 ms, point-to-point fixed 16 bytes
			0x01,                                                 // cyclic, class 1
			0x04, 0x20, 0x04, 0x24, 0x01, 0x2c, 0x65, 0x2c, 0x66} // assembly 4, instance 1, points 0x65 (O->T) 0x66 (T->O)
		foRep := []byte{0xd4, 0, 0, 0, 0x01, 0x06, 0x4b, 0x00, 0x41, 0x06, 0x4b, 0x00,
			0x10, 0x00, 0x01, 0x00, 0x78, 0x56, 0x34, 0x12, 0x40, 0x9c, 0x00, 0x00, 0x40, 0x9c, 0x00, 0x00, 0, 0}
		fo.Exchange(enipRR(fs, foReq), enipRR(fs, foRep))
		fo.Close()
		for i := uint32(0); i < 3; i++ {
			p.UDP(PLCENIP, IOAdapter, 2222, 2222, enipIO(0x004b0601, 100+i, append([]byte{byte(i), 0, 1, 0, 0, 0}, make([]byte, 8)...)))
			p.UDP(IOAdapter, PLCENIP, 2222, 2222, enipIO(0x004b0641, 200+i, append([]byte{byte(i), 0}, make([]byte, 16)...)))
			p.Advance(40)
		}

		h := p.TCP(HMI, PLCENIP, 44818)
		const hs = 0x12020200
		h.Exchange(enipEncap(0x65, 0, nil, []byte{1, 0, 0, 0}), enipEncap(0x65, hs, nil, []byte{1, 0, 0, 0}))
		h.Exchange(enipRR(hs, cipReadTag("Tank1_Level")), enipRR(hs, []byte{0xcc, 0, 0, 0, 0xca, 0, 0x00, 0x00, 0x48, 0x42}))
		h.Close()
	})
}

// IOAdapter is a remote I/O adapter on the control VLAN (Rockwell OUI);
// only the EtherNet/IP scenario uses it.
var IOAdapter = host("io-adapter", "00:00:bc:10:00:19", "10.10.10.19", 10)

// enipIO is an implicit I/O datagram: CPF with a sequenced address item
// (connection id, encapsulation sequence) and a connected data item
// (CIP sequence count + data), as in enip_cip_example.pcap frame 377.
func enipIO(connID, seq uint32, data []byte) []byte {
	b := []byte{2, 0, 0x02, 0x80, 8, 0}
	b = binary.LittleEndian.AppendUint32(b, connID)
	b = binary.LittleEndian.AppendUint32(b, seq)
	b = append(b, 0xb1, 0x00, byte(len(data)+2), 0)
	b = binary.LittleEndian.AppendUint16(b, uint16(seq))
	return append(b, data...)
}

// enipEncap builds an encapsulation message (all fields little-endian).
func enipEncap(cmd uint16, session uint32, ctx, data []byte) []byte {
	b := make([]byte, 24, 24+len(data))
	binary.LittleEndian.PutUint16(b, cmd)
	binary.LittleEndian.PutUint16(b[2:], uint16(len(data)))
	binary.LittleEndian.PutUint32(b[4:], session)
	copy(b[12:20], ctx)
	return append(b, data...)
}

// enipRR wraps a CIP message in SendRRData with a null address item and an
// unconnected data item.
func enipRR(session uint32, cip []byte) []byte {
	d := []byte{0, 0, 0, 0, 0x0a, 0, 2, 0, 0, 0, 0, 0, 0xb2, 0, byte(len(cip)), byte(len(cip) >> 8)}
	return enipEncap(0x6f, session, []byte("otzone\x00\x00"), append(d, cip...))
}

// The identity of a 1756-ENBT/A (values as in enip_cip_example.pcap frame
// 372, with another serial number).
func enipIdentityBody() []byte {
	name := "1756-ENBT/A"
	b := []byte{0x01, 0x00, 0x0c, 0x00, 0x3a, 0x00, 4, 3, 0x30, 0x00}
	b = binary.LittleEndian.AppendUint32(b, 0x006014a2)
	b = append(b, byte(len(name)))
	return append(b, name...)
}

func enipListIdentityReply(ip net.IP) []byte {
	item := []byte{1, 0, 0, 2, 0xaf, 0x12}
	item = append(item, ip.To4()...)
	item = append(item, make([]byte, 8)...)
	item = append(item, enipIdentityBody()...)
	item = append(item, 3) // state: operational
	b := []byte{1, 0, 0x0c, 0, byte(len(item)), byte(len(item) >> 8)}
	return append(b, item...)
}

// cipPath builds a request with an ANSI extended symbol path.
func cipPath(service byte, tag string) []byte {
	seg := append([]byte{0x91, byte(len(tag))}, tag...)
	if len(tag)%2 == 1 {
		seg = append(seg, 0)
	}
	return append([]byte{service, byte(len(seg) / 2)}, seg...)
}

func cipReadTag(tag string) []byte { return append(cipPath(0x4c, tag), 0x01, 0x00) }
