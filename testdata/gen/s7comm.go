package main

import "encoding/binary"

// S7comm on ISO-TSAP 102: the engineering workstation connects as a PG
// (TSAP 0x0102: rack 0, slot 2), negotiates the PDU size, reads the module
// and component identification SZLs (layouts as in snap7.pcap frames 4 and
// 6/8), reads and writes a data block, then downloads a block and
// activates it (_INSE). The HMI polls a data block.
func init() {
	register("30-s7comm", func(p *Plant) {
		k := p.TCP(EWS, PLCS7, 102)
		k.Exchange(cotpCR(0x0100, 0x0102), cotpCC(0x0100, 0x0102))
		ref := uint16(0)
		job := func(param, data []byte) []byte { ref++; return tpkt(s7PDU(1, ref, param, data)) }
		ack := func(param, data []byte) []byte { return tpkt(s7PDU(3, ref, param, data)) }
		ud := func(param, data []byte) []byte { ref++; return tpkt(s7PDU(7, ref, param, data)) }
		k.Exchange(job([]byte{0xf0, 0, 0, 1, 0, 1, 0x01, 0xe0}, nil), ack([]byte{0xf0, 0, 0, 1, 0, 1, 0x00, 0xf0}, nil))

		// Read SZL 0x0011 index 0: module identification.
		szlReq := func(id uint16) []byte {
			return ud([]byte{0, 1, 0x12, 4, 0x11, 0x44, 0x01, 0x00}, []byte{0xff, 0x09, 0, 4, byte(id >> 8), byte(id), 0, 0})
		}
		szlResp := func(id uint16, itemLen int, items [][]byte) []byte {
			d := []byte{byte(id >> 8), byte(id), 0, 0, 0, byte(itemLen), 0, byte(len(items))}
			for _, it := range items {
				d = append(d, it...)
			}
			data := append([]byte{0xff, 0x09, byte(len(d) >> 8), byte(len(d))}, d...)
			return tpkt(s7PDU(7, ref, []byte{0, 1, 0x12, 8, 0x12, 0x84, 0x01, 0x01, 0, 0, 0, 0}, data))
		}
		mod := func(idx uint16, order string, ausbg, ausbe uint16) []byte {
			b := binary.BigEndian.AppendUint16(nil, idx)
			b = append(b, padTo(order, 20, ' ')...)
			b = binary.BigEndian.AppendUint16(b, 0x00c0)
			b = binary.BigEndian.AppendUint16(b, ausbg)
			return binary.BigEndian.AppendUint16(b, ausbe)
		}
		k.Exchange(szlReq(0x0011), szlResp(0x0011, 28, [][]byte{
			mod(1, "6ES7 315-2EH14-0AB0", 0x0004, 0x0001),
			mod(6, "6ES7 315-2EH14-0AB0", 0x0004, 0x0001),
			mod(7, "", 0x5603, 0x0206), // V3.2.6
			mod(0x81, "Boot Loader", 0x4120, 0x0909),
		}))
		comp := func(idx uint16, s string) []byte {
			return append(binary.BigEndian.AppendUint16(nil, idx), padTo(s, 32, 0)...)
		}
		k.Exchange(szlReq(0x001c), szlResp(0x001c, 34, [][]byte{
			comp(1, "S7-300 Line 2"), comp(2, "PLC_LINE2"), comp(3, "PLANT-A/LINE-2"),
			comp(4, "Original Siemens Equipment"), comp(5, "S C-D4U512342015"), comp(7, "CPU 315-2 PN/DP"),
		}))
		// Read DB10.DBD0 (4 bytes), write DB10.DBW4 = 1200.
		item := func(size byte, n uint16, db uint16, addr uint32) []byte {
			b := []byte{0x12, 0x0a, 0x10, size, byte(n >> 8), byte(n), byte(db >> 8), byte(db), 0x84}
			return append(b, byte(addr>>16), byte(addr>>8), byte(addr))
		}
		k.Exchange(job(append([]byte{0x04, 1}, item(0x02, 4, 10, 0)...), nil),
			ack([]byte{0x04, 1}, []byte{0xff, 0x04, 0x00, 0x20, 0x42, 0x48, 0x00, 0x00}))
		k.Exchange(job(append([]byte{0x05, 1}, item(0x02, 2, 10, 4*8)...), []byte{0x00, 0x04, 0x00, 0x10, 0x04, 0xb0}),
			ack([]byte{0x05, 1}, []byte{0xff}))
		// Download FC1: request download, download block, download ended, then _INSE.
		name := []byte("_0C00001P")
		// func, status, 2 + 4 unknown bytes, file name ("_" type "0C" (FC) number "00001" file system "P")
		blk := func(f byte) []byte { return append([]byte{f, 0, 0, 0, 0, 0, 0, 0, byte(len(name))}, name...) }
		// request download adds part 2: "1", load memory length (6 digits), MC7 length (6 digits)
		k.Exchange(job(append(append(blk(0x1a), 13), "1000256000128"...), nil), ack([]byte{0x1a}, nil))
		mc7 := append([]byte{0x00, 0x80, 0x00, 0xfb}, make([]byte, 128)...)
		k.Exchange(job(blk(0x1b), nil), ack([]byte{0x1b, 0}, mc7))
		k.Exchange(job(blk(0x1c), nil), ack([]byte{0x1c}, nil))
		pi := append([]byte{0x28, 0, 0, 0, 0, 0, 0, 0xfd, 0x00, 0x0a, 0x00, 0x01, 0x30, 0x38, 0x30, 0x30, 0x30, 0x30, 0x31, 0x50, 0x05}, "_INSE"...)
		k.Exchange(job(pi, nil), ack([]byte{0x28}, nil))
		k.Close()

		h := p.TCP(HMI, PLCS7, 102)
		h.Exchange(cotpCR(0x0100, 0x0302), cotpCC(0x0100, 0x0302))
		h.Exchange(job([]byte{0xf0, 0, 0, 1, 0, 1, 0x01, 0xe0}, nil), ack([]byte{0xf0, 0, 0, 1, 0, 1, 0x00, 0xf0}, nil))
		for i := 0; i < 3; i++ {
			h.Exchange(job(append([]byte{0x04, 1}, item(0x02, 4, 10, 0)...), nil),
				ack([]byte{0x04, 1}, []byte{0xff, 0x04, 0x00, 0x20, 0x42, 0x48, 0x00, 0x00}))
			p.Advance(1000)
		}
		h.Close()
	})
}

func padTo(s string, n int, pad byte) []byte {
	b := []byte(s)
	for len(b) < n {
		b = append(b, pad)
	}
	return b[:n]
}

func tpkt(payload []byte) []byte {
	b := []byte{3, 0, 0, 0, 2, 0xf0, 0x80}
	b = append(b, payload...)
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	return b
}

func cotpConn(code byte, calling, called uint16) []byte {
	b := []byte{3, 0, 0, 22, 17, code, 0, 0, 0, 1, 0, 0xc0, 1, 0x0a, 0xc1, 2, byte(calling >> 8), byte(calling), 0xc2, 2, byte(called >> 8), byte(called)}
	if code == 0xd0 {
		b[6], b[7] = 0, 1
	}
	return b
}

func cotpCR(calling, called uint16) []byte { return cotpConn(0xe0, calling, called) }
func cotpCC(calling, called uint16) []byte { return cotpConn(0xd0, calling, called) }

func s7PDU(rosctr byte, ref uint16, param, data []byte) []byte {
	b := []byte{0x32, rosctr, 0, 0, byte(ref >> 8), byte(ref), byte(len(param) >> 8), byte(len(param)), byte(len(data) >> 8), byte(len(data))}
	if rosctr == 2 || rosctr == 3 {
		b = append(b, 0, 0)
	}
	return append(append(b, param...), data...)
}
