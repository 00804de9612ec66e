package main

import "encoding/binary"

// PROFINET I&M0: the engineering workstation reads the ET 200SP head's
// Identification & Maintenance record 0 (index 0xAFF0) with an implicit
// read (opnum 5, no AR), as TIA Portal's "accessible devices" does; the
// answer is the nameplate (IEC 61158-6-10 I&M0 block 0x0020): vendor id,
// order number, serial number, hardware and software revision.
func init() {
	register("71-profinet-im0", func(p *Plant) {
		readHdr := func(typ uint16, res bool) []byte {
			b := binary.BigEndian.AppendUint16(nil, typ)
			b = binary.BigEndian.AppendUint16(b, 60)
			b = append(b, 1, 0)
			b = binary.BigEndian.AppendUint16(b, 7)      // sequence number
			b = append(b, make([]byte, 16)...)           // ARUUID: none (implicit)
			b = binary.BigEndian.AppendUint32(b, 0)      // API
			b = binary.BigEndian.AppendUint16(b, 0)      // slot
			b = binary.BigEndian.AppendUint16(b, 1)      // subslot
			b = append(b, 0, 0)                          // padding
			b = binary.BigEndian.AppendUint16(b, 0xAFF0) // index: I&M0
			if res {
				b = binary.BigEndian.AppendUint32(b, 60) // record data length
				b = append(b, make([]byte, 4+20)...)     // additional values, padding
			} else {
				b = binary.BigEndian.AppendUint32(b, 4096)
				b = append(b, make([]byte, 16+8)...) // target ARUUID, padding
			}
			return b
		}
		ndr := func(status uint32, args []byte) []byte {
			b := binary.BigEndian.AppendUint32(nil, status)
			b = binary.BigEndian.AppendUint32(b, uint32(len(args)))
			b = binary.BigEndian.AppendUint32(b, 4096)
			b = binary.BigEndian.AppendUint32(b, 0)
			b = binary.BigEndian.AppendUint32(b, uint32(len(args)))
			return append(b, args...)
		}
		im0 := binary.BigEndian.AppendUint16(nil, 0x0020)
		im0 = binary.BigEndian.AppendUint16(im0, 56)
		im0 = append(im0, 1, 0)
		im0 = binary.BigEndian.AppendUint16(im0, 0x002A) // Siemens
		im0 = append(im0, "6ES7 155-6AU01-0BN0 "...)     // OrderID, 20
		im0 = append(im0, "S C-J9N712345678"...)         // IM_Serial_Number, 16
		im0 = binary.BigEndian.AppendUint16(im0, 3)      // hardware revision
		im0 = append(im0, 'V', 4, 2, 1)                  // software revision V4.2.1
		im0 = binary.BigEndian.AppendUint16(im0, 0)      // revision counter
		im0 = binary.BigEndian.AppendUint16(im0, 0)      // profile id
		im0 = binary.BigEndian.AppendUint16(im0, 5)      // profile specific type
		im0 = append(im0, 1, 1)                          // I&M version 1.1
		im0 = binary.BigEndian.AppendUint16(im0, 0x001e) // I&M1-4 supported
		cport := p.EphemeralPort()
		p.UDP(EWS, PNDevice, cport, 34964, pnRPC(0, 5, ndr(4096, readHdr(0x0009, false))))
		p.Advance(6)
		p.UDP(PNDevice, EWS, 34964, cport, pnRPC(2, 5, ndr(0, append(readHdr(0x8009, true), im0...))))
	})
}
