package main

import (
	"encoding/binary"
	"strings"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// IP fragmentation: BACnet/IP allows an APDU of 1476 bytes, so a full-size
// ReadProperty-ACK no longer fits a 1500-byte Ethernet MTU once BVLC, NPDU,
// UDP and IP headers are added, and the controller's IP stack fragments it
// (RFC 791 §3.2). The HMI reads the controller's long description; the ack
// arrives in two fragments, the second first (as a SPAN port may deliver
// them), and only reassembly yields the description.
func init() {
	register("68-ipfrag", func(p *Plant) {
		const port = 47808
		jace := uint32(8<<22 | 1001)
		desc := strings.Repeat("AHU-1 supply fan VFD, return fan VFD, economiser dampers, CHW valve; ", 30)[:1455]
		req := append([]byte{0x00, 0x05, 0x51, 12}, ctxObject(0, jace)...)
		req = append(req, 0x19, 28) // description
		ack := append([]byte{0x30, 0x51, 12}, ctxObject(0, jace)...)
		ack = append(ack, 0x19, 28, 0x3e)
		ack = append(ack, longCharString(desc)...)
		ack = append(ack, 0x3f)
		p.UDP(HMI, BACnetCtl, port, port, bvlc(0x0a, npdu(0x04, nil, nil, req)))
		p.Advance(20)
		frags := p.fragments(BACnetCtl, HMI, layers.IPProtocolUDP,
			&layers.UDP{SrcPort: port, DstPort: port}, bvlc(0x0a, npdu(0x00, nil, nil, ack)), 1500)
		p.writeRaw(frags[1])
		p.writeRaw(frags[0])
	})
}

// fragments serializes one IPv4 datagram from src to dst and cuts it into
// Ethernet frames whose IP packets fit mtu: every fragment but the last
// carries a multiple of 8 payload bytes, the identification is shared, DF
// is clear, and each header's length, flags, offset and checksum are its own.
func (p *Plant) fragments(src, dst *Host, proto layers.IPProtocol, l4 gopacket.SerializableLayer, payload []byte, mtu int) [][]byte {
	eth, tag, ip := p.ip(src, dst, proto)
	ip.Flags = 0
	if u, ok := l4.(*layers.UDP); ok {
		_ = u.SetNetworkLayerForChecksum(ip)
	}
	ls := []gopacket.SerializableLayer{eth}
	if tag != nil {
		ls = append(ls, tag)
	}
	ls = append(ls, ip, l4, gopacket.Payload(payload))
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		panic(err)
	}
	frame := buf.Bytes()
	l2 := 14
	if tag != nil {
		l2 = 18
	}
	hdr, data := frame[:l2+20], frame[l2+20:]
	step := (mtu - 20) &^ 7
	var out [][]byte
	for off := 0; off < len(data); off += step {
		end := min(off+step, len(data))
		f := append(append([]byte{}, hdr...), data[off:end]...)
		h := f[l2:]
		binary.BigEndian.PutUint16(h[2:], uint16(20+end-off))
		v := uint16(off / 8)
		if end < len(data) {
			v |= 0x2000 // more fragments
		}
		binary.BigEndian.PutUint16(h[6:], v)
		h[10], h[11] = 0, 0
		var sum uint32
		for i := 0; i < 20; i += 2 {
			sum += uint32(binary.BigEndian.Uint16(h[i:]))
		}
		for sum > 0xffff {
			sum = sum&0xffff + sum>>16
		}
		binary.BigEndian.PutUint16(h[10:], ^uint16(sum))
		out = append(out, f)
	}
	return out
}

// writeRaw writes a frame already serialized, 1 ms after the previous one.
func (p *Plant) writeRaw(data []byte) {
	p.Advance(1)
	ci := gopacket.CaptureInfo{Timestamp: p.now, CaptureLength: len(data), Length: len(data)}
	if err := p.w.WritePacket(ci, data); err != nil {
		panic(err)
	}
	p.Frames++
}

// longCharString is an application-tagged character string of 254 bytes or
// more (ASHRAE 135 §20.2.1.3.1: length 254 then a 16-bit length).
func longCharString(s string) []byte {
	b := binary.BigEndian.AppendUint16([]byte{0x75, 254}, uint16(len(s)+1))
	return append(append(b, 0), s...)
}
