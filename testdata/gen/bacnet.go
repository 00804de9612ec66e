package main

import "encoding/binary"

// BACnet/IP: the building controller (a Tridium JACE, vendor 36) announces
// itself and a VAV controller on its MS/TP trunk (network 5, MAC 0x0a,
// vendor 5) with I-Am; the HMI reads the device objects' identity properties,
// directly and through the router (DNET/DADR), and the engineering
// workstation writes a setpoint. Layouts follow bacnet_example.pcap and
// bacnet_services.pcap (ASHRAE 135 clauses 6, 20, 21, Annex J).
func init() {
	register("41-bacnet", func(p *Plant) {
		const port = 47808
		jace := uint32(8<<22 | 1001)
		vav := uint32(8<<22 | 5010)
		// I-Am broadcasts: the controller's own, then the routed VAV's.
		p.UDP(BACnetCtl, Broadcast(BACnetCtl), port, port, bvlc(0x0b, npdu(0x00, nil, nil, iAm(jace, 1476, 0, 36))))
		p.UDP(BACnetCtl, Broadcast(BACnetCtl), port, port, bvlc(0x0b, npdu(0x28, &netAddr{0xffff, nil}, &netAddr{5, []byte{0x0a}}, iAm(vav, 480, 3, 5))))
		invoke := byte(0)
		read := func(dst *netAddr, obj uint32, prop byte, value string) {
			invoke++
			req := append([]byte{0x00, 0x05, invoke, 12}, ctxObject(0, obj)...)
			req = append(req, 0x19, prop)
			ack := append([]byte{0x30, invoke, 12}, ctxObject(0, obj)...)
			ack = append(ack, 0x19, prop, 0x3e)
			ack = append(ack, charString(value)...)
			ack = append(ack, 0x3f)
			var src *netAddr
			reqCtl, ackCtl := byte(0x04), byte(0x00)
			if dst != nil {
				reqCtl, ackCtl, src = 0x24, 0x08, dst
			}
			p.UDP(HMI, BACnetCtl, port, port, bvlc(0x0a, npdu(reqCtl, dst, nil, req)))
			p.Advance(12)
			p.UDP(BACnetCtl, HMI, port, port, bvlc(0x0a, npdu(ackCtl, nil, src, ack)))
			p.Advance(40)
		}
		for _, r := range []struct {
			prop byte
			v    string
		}{{77, "JACE-BLDG-A"}, {70, "JACE-8000"}, {121, "Tridium Inc."}, {44, "4.10.1.36"}, {12, "4.10.1.36.1"}, {58, "Building A, 2nd floor MER"}} {
			read(nil, jace, r.prop, r.v)
		}
		mstp := &netAddr{5, []byte{0x0a}}
		for _, r := range []struct {
			prop byte
			v    string
		}{{77, "VAV-2-14"}, {70, "FEC2611-0"}, {44, "10.1.0.2"}} {
			read(mstp, vav, r.prop, r.v)
		}
		// WriteProperty: analog-value 3 present-value 21.5 at priority 8.
		invoke++
		wp := append([]byte{0x00, 0x05, invoke, 15}, ctxObject(0, 2<<22|3)...)
		wp = append(wp, 0x19, 85, 0x3e, 0x44, 0x41, 0xac, 0x00, 0x00, 0x3f, 0x49, 0x08)
		p.UDP(EWS, BACnetCtl, port, port, bvlc(0x0a, npdu(0x04, nil, nil, wp)))
		p.Advance(15)
		p.UDP(BACnetCtl, EWS, port, port, bvlc(0x0a, npdu(0x00, nil, nil, []byte{0x20, invoke, 15})))
	})
}

type netAddr struct {
	net uint16
	adr []byte
}

func bvlc(fn byte, npdu []byte) []byte {
	b := []byte{0x81, fn, 0, 0}
	b = append(b, npdu...)
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	return b
}

// npdu builds version 1, control, DNET/DLEN/DADR, SNET/SLEN/SADR, hop count.
func npdu(ctl byte, dst, src *netAddr, apdu []byte) []byte {
	b := []byte{0x01, ctl}
	if dst != nil {
		b = binary.BigEndian.AppendUint16(b, dst.net)
		b = append(b, byte(len(dst.adr)))
		b = append(b, dst.adr...)
	}
	if src != nil {
		b = binary.BigEndian.AppendUint16(b, src.net)
		b = append(b, byte(len(src.adr)))
		b = append(b, src.adr...)
	}
	if dst != nil {
		b = append(b, 0xff)
	}
	return append(b, apdu...)
}

func iAm(obj uint32, maxAPDU uint16, seg byte, vendor uint16) []byte {
	b := []byte{0x10, 0x00, 0xc4}
	b = binary.BigEndian.AppendUint32(b, obj)
	b = append(b, 0x22)
	b = binary.BigEndian.AppendUint16(b, maxAPDU)
	b = append(b, 0x91, seg)
	if vendor < 256 {
		return append(b, 0x21, byte(vendor))
	}
	b = append(b, 0x22)
	return binary.BigEndian.AppendUint16(b, vendor)
}

func ctxObject(tag byte, obj uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte{tag<<4 | 0x0c}, obj)
}

// charString is an application-tagged UTF-8 character string.
func charString(s string) []byte {
	n := len(s) + 1
	if n < 5 {
		return append([]byte{0x70 | byte(n), 0}, s...)
	}
	return append([]byte{0x75, byte(n), 0}, s...)
}
