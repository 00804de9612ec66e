package main

import (
	"encoding/binary"

	"github.com/gopacket/gopacket/layers"
)

// Long-tail OT protocols of the demo plant, one scenario each. Byte layouts
// follow the protocols' specifications as cited in each dissector's doc.go
// and were checked with tshark 4.0.17 where it has a dissector.

// GPSClock is the substation's PTP grandmaster (IEC 61850-9-3 power profile).
var GPSClock = host("gps-clock", "00:1b:19:10:00:30", "10.10.10.30", 10)

func init() {
	register("50-ptp", func(p *Plant) {
		gm := [8]byte{0x00, 0x1b, 0x19, 0xff, 0xfe, 0x10, 0x00, 0x30}
		ied := [8]byte{0x00, 0x0f, 0x73, 0xff, 0xfe, 0x10, 0x00, 0x17}
		multicast := mac("01:1b:19:00:00:00")
		hdr := func(typ byte, length int, id [8]byte, seq uint16, control byte, interval int8) []byte {
			b := make([]byte, 34, length)
			b[0], b[1] = typ, 0x02
			binary.BigEndian.PutUint16(b[2:], uint16(length))
			b[4] = 0 // domain 0 (IEC 61850-9-3 uses 0)
			if typ == 0x0 || typ == 0xb {
				b[6] = 0x02 // two-step
			}
			copy(b[20:28], id[:])
			binary.BigEndian.PutUint16(b[28:], 1)
			binary.BigEndian.PutUint16(b[30:], seq)
			b[32], b[33] = control, byte(interval)
			return b
		}
		ts := []byte{0x00, 0x00, 0x69, 0x68, 0xa8, 0x80, 0x00, 0x00, 0x00, 0x00} // originTimestamp 1768466560 s
		for seq := uint16(0); seq < 2; seq++ {
			ann := hdr(0xb, 64, gm, seq, 5, 0)
			ann = append(ann, ts...)
			ann = append(ann, 0x00, 37, 0x00, 128, 6, 0x21, 0x4e, 0x5d, 128) // UTC offset 37, prio1 128, class 6, accuracy 100 ns, variance, prio2 128
			ann = append(ann, gm[:]...)
			ann = append(ann, 0x00, 0x00, 0x20) // steps removed 0, time source GPS
			p.Ether(GPSClock.MAC, multicast, 10, layers.EthernetType(0x88f7), ann)
			p.Ether(GPSClock.MAC, multicast, 10, layers.EthernetType(0x88f7), append(hdr(0x0, 44, gm, seq, 0, 0), ts...))
			p.Ether(GPSClock.MAC, multicast, 10, layers.EthernetType(0x88f7), append(hdr(0x8, 44, gm, seq, 2, 0), ts...))
			p.Ether(RTU104.MAC, multicast, 10, layers.EthernetType(0x88f7), append(hdr(0x1, 44, ied, seq, 1, 0x7f), ts...))
			resp := append(hdr(0x9, 54, gm, seq, 3, 0), ts...)
			resp = append(resp, ied[:]...)
			resp = append(resp, 0x00, 0x01)
			p.Ether(GPSClock.MAC, multicast, 10, layers.EthernetType(0x88f7), resp)
			p.Advance(1000)
		}
	})
}
