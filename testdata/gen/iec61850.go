package main

import (
	"bytes"
	"encoding/binary"

	"github.com/gopacket/gopacket/layers"
)

// IEDBay is a protection IED on the control VLAN (defined here rather
// than in plant.go: only the IEC 61850 scenario uses it). OUI: IEEE
// registration authority block, as the DNP3 RTU.
var IEDBay = host("ied-bay1", "00:50:c2:10:00:18", "10.10.10.18", 10)

// IEC 61850: the SCADA server opens an MMS association with the IED
// (ISO session CONNECT, presentation CP, ACSE AARQ, MMS initiate), asks
// Identify, reads a measurement and operates a breaker (write to
// CSWI1$CO$Pos$Oper). The IED publishes GOOSE (trip) and a merging unit
// function Sampled Values on multicast, priority-tagged on VLAN 10.
// Structures follow ISO 8327-1, ISO 8823-1, ISO 8650-1, ISO 9506-2 and
// IEC 61850-8-1/9-2; tshark decodes them as MMS, GOOSE and SV.
func init() {
	register("50-iec61850", func(p *Plant) {
		k := p.TCP(SCADA, IEDBay, 102)
		k.Exchange(cotpCR(0x0001, 0x0001), cotpCC(0x0001, 0x0001))
		k.Exchange(tpkt(mmsConnect()), tpkt(mmsAccept()))
		inv := byte(0)
		conf := func(svc []byte) []byte { inv++; return tpkt(mmsData(ber(0xa0, ber(0x02, []byte{inv}), svc))) }
		resp := func(svc []byte) []byte { return tpkt(mmsData(ber(0xa1, ber(0x02, []byte{inv}), svc))) }
		k.Exchange(conf([]byte{0x82, 0x00}), resp(ber(0xa2, vstr(0x80, "Bay Protection Systems"), vstr(0x81, "BPS-670"), vstr(0x82, "2.2.4.1"))))
		objName := func(item string) []byte {
			return ber(0xa0, ber(0xa1, vstr(0x1a, "IED1LD0"), vstr(0x1a, item)))
		}
		k.Exchange(conf(ber(0xa4, ber(0xa1, ber(0xa0, ber(0x30, objName("MMXU1$MX$TotW")))))),
			resp(ber(0xa4, ber(0xa1, ber(0xa2, ber(0x87, []byte{0x08, 0x45, 0x1c, 0x40, 0x00}))))))
		oper := ber(0xa2, ber(0x83, []byte{0}), ber(0xa2, ber(0x89, []byte{'S', 'C', 'A', 'D', 'A'}), ber(0x86, []byte{1})),
			ber(0x91, []byte{0x69, 0x68, 0xae, 0x40, 0, 0, 0, 0x0a}), ber(0x83, []byte{0}), ber(0x84, []byte{0x06, 0x00}))
		k.Exchange(conf(ber(0xa5, ber(0xa0, ber(0x30, objName("CSWI1$CO$Pos$Oper"))), ber(0xa0, oper))),
			resp(ber(0xa5, []byte{0x81, 0x00})))
		k.Close()

		gooseDst := mac("01:0c:cd:01:00:01")
		for i := 0; i < 3; i++ {
			p.Ether(IEDBay.MAC, gooseDst, 10, layers.EthernetType(0x88b8), gooseFrame(uint64(i+1)))
			p.Advance(2 << i)
		}
		svDst := mac("01:0c:cd:04:00:01")
		for i := 0; i < 2; i++ {
			p.Ether(IEDBay.MAC, svDst, 10, layers.EthernetType(0x88ba), svFrame(uint16(i)))
		}
	})
}

func ber(tag byte, content ...[]byte) []byte {
	c := bytes.Join(content, nil)
	out := []byte{tag}
	switch {
	case len(c) < 0x80:
		out = append(out, byte(len(c)))
	case len(c) < 0x100:
		out = append(out, 0x81, byte(len(c)))
	default:
		out = append(out, 0x82, byte(len(c)>>8), byte(len(c)))
	}
	return append(out, c...)
}

func vstr(tag byte, s string) []byte { return ber(tag, []byte(s)) }

// mmsData is session Give-Tokens + Data-Transfer, then presentation
// fully-encoded-data with the MMS context (id 3).
func mmsData(pdu []byte) []byte {
	return append([]byte{0x01, 0x00, 0x01, 0x00}, ber(0x61, ber(0x30, ber(0x02, []byte{3}), ber(0xa0, pdu)))...)
}

var (
	oidACSE     = []byte{0x52, 0x01, 0x00, 0x01}       // 2.2.1.0.1
	oidBER      = []byte{0x51, 0x01}                   // 2.1.1
	oidMMS      = []byte{0x28, 0xca, 0x22, 0x02, 0x01} // 1.0.9506.2.1
	oidMMSAppCx = []byte{0x28, 0xca, 0x22, 0x02, 0x03} // 1.0.9506.2.3
)

func mmsInitiateDetail() []byte {
	return bytes.Join([][]byte{
		ber(0x80, []byte{0x00, 0xfd, 0xe8}), ber(0x81, []byte{5}), ber(0x82, []byte{5}), ber(0x83, []byte{10}),
		ber(0xa4, ber(0x80, []byte{1}), ber(0x81, []byte{0x05, 0xf1, 0x00}),
			ber(0x82, []byte{0x03, 0xee, 0x1c, 0x00, 0x00, 0x04, 0x08, 0x00, 0x00, 0x79, 0xef, 0x18})),
	}, nil)
}

func spdu(si byte, userData []byte) []byte {
	params := []byte{0x05, 0x06, 0x13, 0x01, 0x00, 0x16, 0x01, 0x02, 0x14, 0x02, 0x00, 0x02}
	if si == 0x0d {
		params = append(params, 0x33, 0x02, 0x00, 0x01, 0x34, 0x02, 0x00, 0x01)
	}
	params = append(params, 0xc1)
	if len(userData) < 0xff {
		params = append(params, byte(len(userData)))
	} else {
		params = append(params, 0xff, byte(len(userData)>>8), byte(len(userData)))
	}
	params = append(params, userData...)
	hdr := []byte{si}
	if len(params) < 0xff {
		hdr = append(hdr, byte(len(params)))
	} else {
		hdr = append(hdr, 0xff, byte(len(params)>>8), byte(len(params)))
	}
	return append(hdr, params...)
}

func mmsConnect() []byte {
	aarq := ber(0x60, ber(0xa1, ber(0x06, oidMMSAppCx)),
		ber(0xbe, ber(0x28, ber(0x02, []byte{3}), ber(0xa0, ber(0xa8, mmsInitiateDetail())))))
	cp := ber(0x31, ber(0xa0, ber(0x80, []byte{1})),
		ber(0xa2, ber(0x81, []byte{0, 0, 0, 1}), ber(0x82, []byte{0, 0, 0, 1}),
			ber(0xa4, ber(0x30, ber(0x02, []byte{1}), ber(0x06, oidACSE), ber(0x30, ber(0x06, oidBER))),
				ber(0x30, ber(0x02, []byte{3}), ber(0x06, oidMMS), ber(0x30, ber(0x06, oidBER)))),
			ber(0x61, ber(0x30, ber(0x02, []byte{1}), ber(0xa0, aarq)))))
	return spdu(0x0d, cp)
}

func mmsAccept() []byte {
	aare := ber(0x61, ber(0xa1, ber(0x06, oidMMSAppCx)), ber(0xa2, ber(0x02, []byte{0})),
		ber(0xa3, ber(0xa1, ber(0x02, []byte{0}))),
		ber(0xbe, ber(0x28, ber(0x02, []byte{3}), ber(0xa0, ber(0xa9, mmsInitiateDetail())))))
	cpa := ber(0x31, ber(0xa0, ber(0x80, []byte{1})),
		ber(0xa2, ber(0x83, []byte{0, 0, 0, 1}),
			ber(0xa5, ber(0x30, ber(0x80, []byte{0}), ber(0x81, oidBER)), ber(0x30, ber(0x80, []byte{0}), ber(0x81, oidBER))),
			ber(0x61, ber(0x30, ber(0x02, []byte{1}), ber(0xa0, aare)))))
	return spdu(0x0e, cpa)
}

func l2IEC(appID uint16, apdu []byte) []byte {
	b := make([]byte, 8, 8+len(apdu))
	binary.BigEndian.PutUint16(b, appID)
	binary.BigEndian.PutUint16(b[2:], uint16(8+len(apdu)))
	return append(b, apdu...)
}

func gooseFrame(sq uint64) []byte {
	return l2IEC(0x3001, ber(0x61,
		vstr(0x80, "IED1LD0/LLN0$GO$gcbTrip"),
		ber(0x81, []byte{0x07, 0xd0}),
		vstr(0x82, "IED1LD0/LLN0$dsTrip"),
		vstr(0x83, "IED1_TRIP"),
		ber(0x84, []byte{0x69, 0x68, 0xae, 0x40, 0, 0, 0, 0x0a}),
		ber(0x85, []byte{1}), ber(0x86, []byte{byte(sq)}), ber(0x87, []byte{0}),
		ber(0x88, []byte{1}), ber(0x89, []byte{0}), ber(0x8a, []byte{2}),
		ber(0xab, ber(0x83, []byte{0}), ber(0x84, []byte{0x03, 0x00, 0x00})),
	))
}

func svFrame(cnt uint16) []byte {
	sample := make([]byte, 64) // 8 x (INT32 value + quality)
	asdu := ber(0x30, vstr(0x80, "IED1MU01"), ber(0x82, []byte{byte(cnt >> 8), byte(cnt)}), ber(0x83, []byte{0, 0, 0, 1}),
		ber(0x85, []byte{2}), ber(0x87, sample))
	return l2IEC(0x4000, ber(0x60, ber(0x80, []byte{1}), ber(0xa2, asdu)))
}
