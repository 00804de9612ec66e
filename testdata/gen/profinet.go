package main

import (
	"encoding/binary"

	"github.com/gopacket/gopacket/layers"
)

// PROFINET on the control VLAN: the S7 PLC (IO controller) identifies the
// IO device by DCP, the device answers with its identity (Siemens ET 200SP
// values: vendor 0x002A, device 0x0313), the controller assigns the
// device's IP suite with a DCP Set (as controllers do at start-up: a
// configuration change the inventory records), connects over PN-IO CM
// (DCE/RPC, UDP 34964) and then the two exchange cyclic RT data. Layouts
// follow ../shared/pcaps/profinet (mixed_1 frames 464/466, device frame 1).
func init() {
	register("50-profinet", func(p *Plant) {
		dcpMcast := mac("01:0e:cf:00:00:00")
		ethPN := layers.EthernetType(0x8892)
		// Identify All from the controller, response from the device.
		p.Ether(PLCS7.MAC, dcpMcast, 10, ethPN, pnDCP(0xFEFE, 5, 0, 0x1001, []pnBlock{{0xff, 0xff, nil}}, false))
		p.Advance(3)
		ident := []pnBlock{
			{2, 2, []byte("et200sp-station-1")},
			{2, 1, []byte("ET200SP")},
			{2, 3, []byte{0x00, 0x2a, 0x03, 0x13}},
			{2, 4, []byte{0x01, 0x00}},
			{1, 2, append(append(append([]byte(nil), PNDevice.IP...), 255, 255, 255, 0), 10, 10, 10, 1)},
		}
		p.Ether(PNDevice.MAC, PLCS7.MAC, 10, ethPN, pnDCP(0xFEFF, 5, 1, 0x1001, ident, true))
		p.Advance(200)
		// The controller sets the device's IP suite (config change).
		suite := append(append(append([]byte(nil), PNDevice.IP...), 255, 255, 255, 0), 10, 10, 10, 1)
		p.Ether(PLCS7.MAC, PNDevice.MAC, 10, ethPN, pnDCP(0xFEFD, 4, 0, 0x2001, []pnBlock{{1, 2, suite}}, true))
		p.Advance(2)
		p.Ether(PNDevice.MAC, PLCS7.MAC, 10, ethPN, pnDCP(0xFEFD, 4, 1, 0x2001, []pnBlock{{5, 4, []byte{1, 2, 0}}}, false))
		p.Advance(500)
		// PN-IO CM Connect request (controller -> device:34964) and response.
		cport := p.EphemeralPort()
		p.UDP(PLCS7, PNDevice, cport, 34964, pnRPC(0, 0, pnConnectBody()))
		p.Advance(4)
		p.UDP(PNDevice, PLCS7, 49152, cport, pnRPC(2, 0, make([]byte, 20)))
		p.Advance(50)
		// Cyclic data both ways, 8 cycles.
		for i := 0; i < 8; i++ {
			p.Ether(PLCS7.MAC, PNDevice.MAC, 0, ethPN, pnCyclic(0x8001, uint16(i*32)))
			p.Ether(PNDevice.MAC, PLCS7.MAC, 0, ethPN, pnCyclic(0x8000, uint16(i*32)))
			p.Advance(2)
		}
	})
}

type pnBlock struct {
	opt, sub byte
	data     []byte
}

// pnDCP builds a DCP PDU; info adds the 2-byte BlockInfo/BlockQualifier.
func pnDCP(frameID uint16, service, typ byte, xid uint32, blocks []pnBlock, info bool) []byte {
	var data []byte
	for _, b := range blocks {
		body := b.data
		if info {
			body = append([]byte{0, 0}, body...)
			if service == 4 && typ == 0 {
				body[1] = 1 // BlockQualifier: save permanently
			}
		}
		data = append(data, b.opt, b.sub, byte(len(body)>>8), byte(len(body)))
		data = append(data, body...)
		if len(body)%2 == 1 {
			data = append(data, 0)
		}
	}
	out := binary.BigEndian.AppendUint16(nil, frameID)
	out = append(out, service, typ)
	out = binary.BigEndian.AppendUint32(out, xid)
	out = binary.BigEndian.AppendUint16(out, 1) // response delay factor
	out = binary.BigEndian.AppendUint16(out, uint16(len(data)))
	out = append(out, data...)
	for len(out) < 46 {
		out = append(out, 0) // Ethernet minimum payload
	}
	return out
}

// pnRPC builds a big-endian DCE/RPC connectionless PDU to the PNIO device
// interface for the device's object UUID (instance 1, device 0x0313, vendor 0x002A).
func pnRPC(ptype byte, opnum uint16, body []byte) []byte {
	h := make([]byte, 80)
	h[0], h[1], h[2] = 4, ptype, 0x20
	copy(h[8:], []byte{0xde, 0xa0, 0x00, 0x00, 0x6c, 0x97, 0x11, 0xd1, 0x82, 0x71, 0x00, 0x01, 0x03, 0x13, 0x00, 0x2a})
	copy(h[24:], []byte{0xde, 0xa0, 0x00, 0x01, 0x6c, 0x97, 0x11, 0xd1, 0x82, 0x71, 0x00, 0xa0, 0x24, 0x42, 0xdf, 0x7d})
	copy(h[40:], []byte{0x5a, 0x17, 0x00, 0x42, 0x13, 0x37, 0x4e, 0x11, 0x9a, 0x01, 0x00, 0x1b, 0x1b, 0x10, 0x00, 0x13})
	binary.BigEndian.PutUint32(h[60:], 1) // interface version
	binary.BigEndian.PutUint32(h[64:], 1) // sequence number
	binary.BigEndian.PutUint16(h[68:], opnum)
	binary.BigEndian.PutUint16(h[70:], 0xffff)
	binary.BigEndian.PutUint16(h[72:], 0xffff)
	binary.BigEndian.PutUint16(h[74:], uint16(len(body)))
	return append(h, body...)
}

func pnConnectBody() []byte {
	name := "s7-1500-plc"
	blk := binary.BigEndian.AppendUint16(nil, 0x0001) // IOCAR
	blk = append(blk, []byte{0x7c, 0x74, 0x22, 0x4e, 0x16, 0x6c, 0x4a, 0x58, 0xbf, 0x6b, 0x6c, 0x25, 0xa7, 0x58, 0x70, 0xf0}...)
	blk = binary.BigEndian.AppendUint16(blk, 1)
	blk = append(blk, PLCS7.MAC...)
	blk = append(blk, []byte{0xde, 0xa0, 0x00, 0x00, 0x6c, 0x97, 0x11, 0xd1, 0x82, 0x71, 0x00, 0x01, 0x01, 0x0e, 0x00, 0x2a}...)
	blk = binary.BigEndian.AppendUint32(blk, 0x00000011)
	blk = binary.BigEndian.AppendUint16(blk, 100)
	blk = binary.BigEndian.AppendUint16(blk, 0x8892)
	blk = binary.BigEndian.AppendUint16(blk, uint16(len(name)))
	blk = append(blk, name...)
	ar := binary.BigEndian.AppendUint16(nil, 0x0101)
	ar = binary.BigEndian.AppendUint16(ar, uint16(len(blk)+2))
	ar = append(ar, 1, 0)
	ar = append(ar, blk...)
	ndr := make([]byte, 20)
	binary.BigEndian.PutUint32(ndr[0:], 4096)
	binary.BigEndian.PutUint32(ndr[4:], uint32(len(ar)))
	binary.BigEndian.PutUint32(ndr[8:], 4096)
	binary.BigEndian.PutUint32(ndr[16:], uint32(len(ar)))
	return append(ndr, ar...)
}

func pnCyclic(frameID, cycle uint16) []byte {
	b := binary.BigEndian.AppendUint16(nil, frameID)
	for len(b) < 42 {
		b = append(b, 0x80) // IOxS good
	}
	b = binary.BigEndian.AppendUint16(b, cycle)
	return append(b, 0x35, 0x00) // data status: primary, valid, run; transfer status
}
