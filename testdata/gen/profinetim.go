package main

import "encoding/binary"

// PROFINET I&M: the engineering workstation reads the ET 200SP head's
// Identification & Maintenance records with implicit reads (opnum 5, no
// AR), as TIA Portal's "accessible devices" does. I&M0 (index 0xAFF0) is
// the nameplate (IEC 61158-6-10 block 0x0020): vendor id, order number,
// serial number, hardware and software revision. I&M1-3 (0xAFF1-0xAFF3,
// blocks 0x0021-0x0023) hold what the plant wrote at commissioning: the
// tag function and location, the installation date, a descriptor.

// imReadHeader is an IODReadReq (0x0009) or IODReadRes (0x8009) header for
// record index of subslot 1; recLen is the response's record data length.
func imReadHeader(typ, index uint16, res bool, recLen uint32) []byte {
	b := binary.BigEndian.AppendUint16(nil, typ)
	b = binary.BigEndian.AppendUint16(b, 60)
	b = append(b, 1, 0)
	b = binary.BigEndian.AppendUint16(b, 7)     // sequence number
	b = append(b, make([]byte, 16)...)          // ARUUID: none (implicit)
	b = binary.BigEndian.AppendUint32(b, 0)     // API
	b = binary.BigEndian.AppendUint16(b, 0)     // slot
	b = binary.BigEndian.AppendUint16(b, 1)     // subslot
	b = append(b, 0, 0)                         // padding
	b = binary.BigEndian.AppendUint16(b, index) // record index
	if res {
		b = binary.BigEndian.AppendUint32(b, recLen) // record data length
		b = append(b, make([]byte, 4+20)...)         // additional values, padding
	} else {
		b = binary.BigEndian.AppendUint32(b, 4096)
		b = append(b, make([]byte, 16+8)...) // target ARUUID, padding
	}
	return b
}

// imNDR wraps PNIO arguments in the NDR header of a PN-IO CM call.
func imNDR(status uint32, args []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, status)
	b = binary.BigEndian.AppendUint32(b, uint32(len(args)))
	b = binary.BigEndian.AppendUint32(b, 4096)
	b = binary.BigEndian.AppendUint32(b, 0)
	b = binary.BigEndian.AppendUint32(b, uint32(len(args)))
	return append(b, args...)
}

// imRead is one implicit read of record index and its answer.
func imRead(p *Plant, index uint16, record []byte) {
	cport := p.EphemeralPort()
	p.UDP(EWS, PNDevice, cport, 34964, pnRPC(0, 5, imNDR(4096, imReadHeader(0x0009, index, false, 0))))
	p.Advance(6)
	p.UDP(PNDevice, EWS, 34964, cport, pnRPC(2, 5, imNDR(0, append(imReadHeader(0x8009, index, true, uint32(len(record))), record...))))
}

// imBlock is a BlockHeader of type typ, version 1.0, then body.
func imBlock(typ uint16, body []byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, typ)
	b = binary.BigEndian.AppendUint16(b, uint16(2+len(body)))
	b = append(b, 1, 0)
	return append(b, body...)
}

// pad blank-pads s to n octets (the I&M strings are fixed-length).
func pad(s string, n int) []byte {
	b := []byte(s)
	for len(b) < n {
		b = append(b, ' ')
	}
	return b[:n]
}

func init() {
	register("71-profinet-im0", func(p *Plant) {
		im0 := binary.BigEndian.AppendUint16(nil, 0x002A) // Siemens
		im0 = append(im0, "6ES7 155-6AU01-0BN0 "...)      // OrderID, 20
		im0 = append(im0, "S C-J9N712345678"...)          // IM_Serial_Number, 16
		im0 = binary.BigEndian.AppendUint16(im0, 3)       // hardware revision
		im0 = append(im0, 'V', 4, 2, 1)                   // software revision V4.2.1
		im0 = binary.BigEndian.AppendUint16(im0, 0)       // revision counter
		im0 = binary.BigEndian.AppendUint16(im0, 0)       // profile id
		im0 = binary.BigEndian.AppendUint16(im0, 5)       // profile specific type
		im0 = append(im0, 1, 1)                           // I&M version 1.1
		im0 = binary.BigEndian.AppendUint16(im0, 0x001e)  // I&M1-4 supported
		imRead(p, 0xAFF0, imBlock(0x0020, im0))
	})
	register("73-profinet-im1-3", func(p *Plant) {
		imRead(p, 0xAFF1, imBlock(0x0021, append(pad("FIC-101 feed flow control", 32), pad("Line 3 / cabinet +A12", 22)...)))
		p.Advance(20)
		imRead(p, 0xAFF2, imBlock(0x0022, pad("2024-03-18 09:30", 16)))
		p.Advance(20)
		imRead(p, 0xAFF3, imBlock(0x0023, pad("ET 200SP remote I/O, feed pumps P-101/P-102", 54)))
	})
}
