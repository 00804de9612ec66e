package main

import "encoding/binary"

// IEC 60870-5-104: the SCADA server (controlling station) starts data
// transfer with the substation RTU (controlled station, common address 7),
// runs a general interrogation, synchronises the clock, receives a
// spontaneous change with time tag, and operates a breaker with a select /
// execute single command (IEC 60870-5-104 clause 5, -101 clause 7).
func init() {
	register("42-iec104", func(p *Plant) {
		k := p.TCP(SCADA, RTU104, 2404)
		const ca = 7
		var cs, cr, ss, sr uint16 // send/receive sequence numbers per side
		u := func(fn byte) []byte { return []byte{0x68, 0x04, fn, 0, 0, 0} }
		s := func(nr uint16) []byte {
			return binary.LittleEndian.AppendUint16([]byte{0x68, 0x04, 0x01, 0x00}, nr<<1)
		}
		iframe := func(fromClient bool, typ, vsq, cot byte, objs []byte) []byte {
			asdu := []byte{typ, vsq, cot, 0, byte(ca), byte(ca >> 8)}
			asdu = append(asdu, objs...)
			b := []byte{0x68, byte(4 + len(asdu))}
			if fromClient {
				b = binary.LittleEndian.AppendUint16(b, cs<<1)
				b = binary.LittleEndian.AppendUint16(b, cr<<1)
				cs++
				sr = cs
			} else {
				b = binary.LittleEndian.AppendUint16(b, ss<<1)
				b = binary.LittleEndian.AppendUint16(b, sr<<1)
				ss++
				cr = ss
			}
			return append(b, asdu...)
		}
		ioa := func(a uint32) []byte { return []byte{byte(a), byte(a >> 8), byte(a >> 16)} }
		// CP56Time2a: 2026-01-15 08:00:03.250 (ms, min, hour, day|dow, month, year).
		cp56 := []byte{0xb2, 0x0c, 0x00, 0x08, 0x0f | 4<<5, 0x01, 26}

		k.Exchange(u(0x07), u(0x0b)) // STARTDT act / con
		// General interrogation (QOI 20 = station interrogation).
		k.Exchange(iframe(true, 100, 1, 6, append(ioa(0), 20)), iframe(false, 100, 1, 7, append(ioa(0), 20)))
		// Interrogated: two single points (SQ=1 from IOA 1001) and a float.
		k.Reply(iframe(false, 1, 0x82, 20, append(ioa(1001), 0x01, 0x00)))
		k.Reply(iframe(false, 13, 1, 20, append(ioa(4001), 0x00, 0x00, 0xb4, 0x42, 0x00))) // 90.0
		k.Reply(iframe(false, 100, 1, 10, append(ioa(0), 20)))
		k.Request(s(cr))
		p.Advance(100)
		// Clock synchronisation.
		k.Exchange(iframe(true, 103, 1, 6, append(ioa(0), cp56...)), iframe(false, 103, 1, 7, append(ioa(0), cp56...)))
		// Spontaneous breaker state change with time tag (M_DP_TB_1, DPI on).
		k.Reply(iframe(false, 31, 1, 3, append(append(ioa(2001), 0x02), cp56...)))
		k.Request(s(cr))
		// Select, then execute a single command (SCO: S/E bit, SCS on).
		k.Exchange(iframe(true, 45, 1, 6, append(ioa(5001), 0x81)), iframe(false, 45, 1, 7, append(ioa(5001), 0x81)))
		k.Exchange(iframe(true, 45, 1, 6, append(ioa(5001), 0x01)), iframe(false, 45, 1, 7, append(ioa(5001), 0x01)))
		k.Reply(iframe(false, 45, 1, 10, append(ioa(5001), 0x01)))
		k.Request(s(cr))
		k.Exchange(u(0x43), u(0x83)) // TESTFR act / con
		k.Close()
	})
}
