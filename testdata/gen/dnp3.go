package main

import (
	"encoding/binary"

	"github.com/otzone/otzone/discovery/dnp3"
)

// DNP3 over TCP: the SCADA server (master, link address 1) polls the RTU
// (outstation, address 10) for class 0 data, reads its device attributes
// (group 0, as IEEE 1815-2012 11.9 lays them out) and operates a breaker
// with select-before-operate on a CROB (g12v1), as in dnp3_example.pcap.
func init() {
	register("40-dnp3", func(p *Plant) {
		k := p.TCP(SCADA, RTUDNP3, 20000)
		const master, outstation = 1, 10
		seq := uint8(0)
		req := func(app ...byte) []byte {
			seq++
			return dnp3Frame(0xc4, outstation, master, append([]byte{0xc0 | seq&0x3f}, app...))
		}
		resp := func(app ...byte) []byte {
			seq++
			return dnp3Frame(0x44, master, outstation, append([]byte{0xc0 | seq&0x3f}, app...))
		}
		// Read class 0 (g60v1, qualifier 0x06 all objects).
		k.Exchange(req(0xc1, 0x01, 0x3c, 0x01, 0x06),
			// Response: g30v2 (16-bit analog with flag) indices 0-1.
			resp(0xc1, 0x81, 0x00, 0x00, 0x1e, 0x02, 0x00, 0x00, 0x01, 0x01, 0xe8, 0x03, 0x01, 0xd0, 0x07))
		// Read all device attributes (g0v254, qualifier 0x06).
		attrs := []byte{0xc2, 0x81, 0x00, 0x00}
		for _, a := range []struct {
			v uint8
			s string
		}{{252, "Schweitzer Engineering Laboratories, Inc."}, {250, "SEL-3505 RTAC"}, {242, "R148-V2"}, {248, "1193620145"}, {247, "RTU-SUB4"}} {
			attrs = append(attrs, 0x00, a.v, 0x00, 0x00, 0x00, 0x01, byte(len(a.s)))
			attrs = append(attrs, a.s...)
		}
		k.Exchange(req(0xc2, 0x01, 0x00, 0xfe, 0x06), resp(attrs...))
		// Select then operate: CROB g12v1, qualifier 0x17, one object, index 3,
		// code 0x41 (pulse on, trip), count 1, on 1000 ms, off 0, status 0.
		crob := []byte{0x0c, 0x01, 0x17, 0x01, 0x03, 0x41, 0x01, 0xe8, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}
		k.Exchange(req(append([]byte{0xc3, 0x03}, crob...)...), resp(append([]byte{0xc3, 0x81, 0x00, 0x00}, crob...)...))
		k.Exchange(req(append([]byte{0xc4, 0x04}, crob...)...), resp(append([]byte{0xc4, 0x81, 0x00, 0x00}, crob...)...))
		k.Close()
	})
}

// dnp3Frame builds a link frame with header and block CRCs around user data
// (transport header + application fragment, at most 250 bytes).
func dnp3Frame(ctrl byte, dst, src uint16, user []byte) []byte {
	b := []byte{0x05, 0x64, byte(5 + len(user)), ctrl, 0, 0, 0, 0}
	binary.LittleEndian.PutUint16(b[4:], dst)
	binary.LittleEndian.PutUint16(b[6:], src)
	b = binary.LittleEndian.AppendUint16(b, dnp3.CRC(b))
	for len(user) > 0 {
		n := min(16, len(user))
		b = append(b, user[:n]...)
		b = binary.LittleEndian.AppendUint16(b, dnp3.CRC(user[:n]))
		user = user[n:]
	}
	return b
}
