package main

import (
	"encoding/binary"

	"github.com/gopacket/gopacket/layers"
)

// Long-tail OT protocols of the demo plant, one scenario each. Byte layouts
// follow the protocols' specifications as cited in each dissector's doc.go
// and were checked with tshark 4.0.17 where it has a dissector.

// OmronPLC is a packaging-line controller (Omron OUI 00:00:0a).
var OmronPLC = host("plc-omron", "00:00:0a:10:00:40", "10.10.10.40", 10)

// BeckhoffPLC is a TwinCAT 3 embedded PC (Beckhoff OUI 00:01:05).
var BeckhoffPLC = host("plc-beckhoff", "00:01:05:10:00:41", "10.10.10.41", 10)

// PMU is a phasor measurement unit in the substation (SEL OUI 00:30:a7).
var PMU = host("pmu-1", "00:30:a7:10:00:50", "10.10.10.50", 10)

// KNXRouter is the building's KNX IP router (line coupler 1.1.0).
var KNXRouter = host("knx-ip-router", "00:24:6d:10:00:60", "10.10.10.60", 10)

// HARTGateway is a WirelessHART gateway serving HART-IP.
var HARTGateway = host("hart-gateway", "00:0f:0f:10:00:70", "10.10.10.70", 10)

// MelsecPLC is a Mitsubishi MELSEC iQ-R/Q controller with an SLMP port open.
var MelsecPLC = host("plc-melsec", "00:26:92:10:00:80", "10.10.10.80", 10)

// GEPLC is a GE (Emerson) PACSystems RX3i controller.
var GEPLC = host("plc-ge", "00:09:91:10:00:90", "10.10.10.90", 10)

// BSAPRTU is a pipeline RTU polled over Open BSI's BSAP-IP.
var BSAPRTU = host("rtu-bsap", "00:50:c2:10:00:a0", "10.10.10.100", 10)

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

// finsFrame builds a FINS header (ICF, RSV, GCT 2, DNA/DA1/DA2, SNA/SA1/SA2,
// SID) and command code with data.
func finsFrame(icf byte, da1, sa1, sid byte, cmd uint16, data ...byte) []byte {
	b := []byte{icf, 0x00, 0x02, 0x00, da1, 0x00, 0x00, sa1, 0x00, sid, byte(cmd >> 8), byte(cmd)}
	return append(b, data...)
}

func padded(s string, n int) []byte {
	b := make([]byte, n)
	copy(b, s)
	for i := len(s); i < n; i++ {
		b[i] = ' '
	}
	return b
}

func init() {
	// Omron FINS: the HMI polls DM words over UDP; the engineering
	// workstation reads the controller model over FINS/TCP, then stops and
	// restarts the CPU (W342 5-3-x commands 0501, 0402, 0401).
	register("51-fins", func(p *Plant) {
		const plc, hmi, ews = 10, 21, 22
		for sid := byte(1); sid <= 2; sid++ {
			// 0101 memory area read: DM (0x82) word 100, 4 words.
			p.UDP(HMI, OmronPLC, 9600, 9600, finsFrame(0x80, plc, hmi, sid, 0x0101, 0x82, 0x00, 0x64, 0x00, 0x00, 0x04))
			p.Advance(3)
			p.UDP(OmronPLC, HMI, 9600, 9600, finsFrame(0xc0, hmi, plc, sid, 0x0101, 0x00, 0x00, 0x00, 0x2a, 0x01, 0xf4, 0x00, 0x00, 0x13, 0x88))
			p.Advance(500)
		}
		k := p.TCP(EWS, OmronPLC, 9600)
		// Node address data send (client asks for an automatic node: 0).
		k.Exchange([]byte("FINS\x00\x00\x00\x0c\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"),
			[]byte("FINS\x00\x00\x00\x10\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x16\x00\x00\x00\x0a"))
		tcp := func(frame []byte) []byte {
			b := []byte("FINS")
			b = binary.BigEndian.AppendUint32(b, uint32(8+len(frame)))
			b = append(b, 0, 0, 0, 2, 0, 0, 0, 0)
			return append(b, frame...)
		}
		// No parameter: read everything (model, version, system use, area data).
		cd := append(append(padded("CJ2M-CPU31", 20), padded("02.01", 20)...), make([]byte, 40)...)
		cd = append(cd, 0x00, 0x14, 0x17, 0x80, 0x00, 0x08, 0x01, 0x00, 0x00, 0x04, 0x00, 0x80)
		k.Exchange(tcp(finsFrame(0x80, plc, ews, 1, 0x0501)), tcp(finsFrame(0xc0, ews, plc, 1, 0x0501, append([]byte{0, 0}, cd...)...)))
		k.Exchange(tcp(finsFrame(0x80, plc, ews, 2, 0x0402)), tcp(finsFrame(0xc0, ews, plc, 2, 0x0402, 0, 0)))
		k.Exchange(tcp(finsFrame(0x80, plc, ews, 3, 0x0401, 0xff, 0xff, 0x04)), tcp(finsFrame(0xc0, ews, plc, 3, 0x0401, 0, 0)))
		k.Close()
	})
}

// amsFrame builds an AMS/TCP frame (TE1000 "AMS/TCP packet").
func amsFrame(target [6]byte, tport uint16, source [6]byte, sport uint16, cmd, flags uint16, invoke uint32, data []byte) []byte {
	b := []byte{0, 0}
	b = binary.LittleEndian.AppendUint32(b, uint32(32+len(data)))
	b = append(b, target[:]...)
	b = binary.LittleEndian.AppendUint16(b, tport)
	b = append(b, source[:]...)
	b = binary.LittleEndian.AppendUint16(b, sport)
	b = binary.LittleEndian.AppendUint16(b, cmd)
	b = binary.LittleEndian.AppendUint16(b, flags)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint32(b, invoke)
	return append(b, data...)
}

// adsDiscovery builds a TwinCAT UDP discovery/route message (layout as in
// Apache PLC4X ads-discovery.mspec).
func adsDiscovery(op uint32, netID [6]byte, port uint16, blocks ...[]byte) []byte {
	b := []byte{0x03, 0x66, 0x14, 0x71}
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint32(b, op)
	b = append(b, netID[:]...)
	b = binary.LittleEndian.AppendUint16(b, port)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(blocks)))
	for _, bl := range blocks {
		b = append(b, bl...)
	}
	return b
}

func adsBlock(typ uint16, data []byte) []byte {
	b := binary.LittleEndian.AppendUint16(nil, typ)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(data)))
	return append(b, data...)
}

func init() {
	// Beckhoff ADS: the engineering workstation discovers the TwinCAT PLC,
	// adds a route with the factory credentials, reads its device info and
	// state, looks up and writes a variable by handle, and switches the
	// runtime to RUN.
	register("52-ads", func(p *Plant) {
		plc := [6]byte{10, 10, 10, 41, 1, 1}
		ews := [6]byte{10, 10, 20, 22, 1, 1}
		cstr := func(s string) []byte { return append([]byte(s), 0) }
		p.UDP(EWS, BeckhoffPLC, 55189, 48899, adsDiscovery(0x00000001, ews, 10000))
		p.Advance(4)
		p.UDP(BeckhoffPLC, EWS, 48899, 55189, adsDiscovery(0x80000001, plc, 10000,
			adsBlock(0x0005, cstr("CX-2040A7")),
			adsBlock(0x0004, []byte{0x94, 0, 0, 0, 6, 0, 0, 0, 1, 0, 0, 0, 0x80, 0x25, 0, 0, 2, 0, 0, 0}),
			adsBlock(0x0003, []byte{3, 1, 0xb8, 0x0f})))
		p.Advance(200)
		p.UDP(EWS, BeckhoffPLC, 55190, 48899, adsDiscovery(0x00000006, ews, 10000,
			adsBlock(0x000c, cstr("EWS-1")), adsBlock(0x0007, ews[:]),
			adsBlock(0x000d, cstr("Administrator")), adsBlock(0x0002, cstr("1")), adsBlock(0x0005, cstr("10.10.20.22"))))
		p.Advance(6)
		p.UDP(BeckhoffPLC, EWS, 48899, 55190, adsDiscovery(0x80000006, plc, 10000, adsBlock(0x0001, []byte{0, 0, 0, 0})))
		p.Advance(300)

		k := p.TCP(EWS, BeckhoffPLC, 48898)
		inv := uint32(0)
		ex := func(port, cmd uint16, req, resp []byte) {
			inv++
			k.Exchange(amsFrame(plc, port, ews, 32905, cmd, 0x0004, inv, req), amsFrame(ews, 32905, plc, port, cmd, 0x0005, inv, resp))
		}
		name := make([]byte, 16)
		copy(name, "Plc30 App")
		ex(851, 1, nil, append([]byte{0, 0, 0, 0, 3, 1, 0xb8, 0x0f}, name...))
		ex(851, 4, nil, []byte{0, 0, 0, 0, 5, 0, 0, 0})
		// ReadWrite 0xF003: get a handle for "MAIN.bStart".
		sym := []byte("MAIN.bStart\x00")
		rw := binary.LittleEndian.AppendUint32(nil, 0xf003)
		rw = binary.LittleEndian.AppendUint32(rw, 0)
		rw = binary.LittleEndian.AppendUint32(rw, 4)
		rw = binary.LittleEndian.AppendUint32(rw, uint32(len(sym)))
		ex(851, 9, append(rw, sym...), []byte{0, 0, 0, 0, 4, 0, 0, 0, 0x2a, 0, 0, 0})
		// Write by handle (index group 0xF005): TRUE.
		w := binary.LittleEndian.AppendUint32(nil, 0xf005)
		w = binary.LittleEndian.AppendUint32(w, 0x2a)
		w = binary.LittleEndian.AppendUint32(w, 1)
		ex(851, 3, append(w, 1), []byte{0, 0, 0, 0})
		// WriteControl to the system service: ADS state RUN (5).
		ex(10000, 5, []byte{5, 0, 0, 0, 0, 0, 0, 0}, []byte{0, 0, 0, 0})
		k.Close()
	})
}

// c37Frame builds an IEEE C37.118.2-2011 frame with its CRC-CCITT.
func c37Frame(typ byte, idcode uint16, soc uint32, frac uint32, body []byte) []byte {
	b := []byte{0xaa, typ<<4 | 0x02, 0, 0}
	b = binary.BigEndian.AppendUint16(b, idcode)
	b = binary.BigEndian.AppendUint32(b, soc)
	b = binary.BigEndian.AppendUint32(b, frac)
	b = append(b, body...)
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)+2))
	crc := uint16(0xffff)
	for _, v := range b {
		crc ^= uint16(v) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return binary.BigEndian.AppendUint16(b, crc)
}

func init() {
	// IEEE C37.118.2: the SCADA server's PDC asks the PMU for its CFG-2,
	// starts the data stream, receives three data frames and stops it.
	register("53-c37118", func(p *Plant) {
		const id = 41
		soc := uint32(1768464000)
		k := p.TCP(SCADA, PMU, 4712)
		k.Exchange(c37Frame(4, id, soc, 0, []byte{0x00, 0x05}), nil) // send CFG-2
		cfg := binary.BigEndian.AppendUint32(nil, 1000000)           // TIME_BASE
		cfg = append(cfg, 0x00, 0x01)                                // NUM_PMU
		cfg = append(cfg, padded("SUB4_PMU1", 16)...)
		cfg = binary.BigEndian.AppendUint16(cfg, id)
		cfg = append(cfg, 0x00, 0x0f)       // FORMAT: float freq, analog, phasors polar
		cfg = append(cfg, 0, 2, 0, 1, 0, 1) // 2 phasors, 1 analog, 1 digital word
		for _, n := range []string{"VA", "IA", "MW"} {
			cfg = append(cfg, padded(n, 16)...)
		}
		for i := 0; i < 16; i++ {
			cfg = append(cfg, padded("BRK"+string(rune('A'+i)), 16)...)
		}
		cfg = append(cfg, 0, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0xff, 0xff) // PHUNIT V, A; ANUNIT; DIGUNIT
		cfg = append(cfg, 0x00, 0x00, 0x00, 0x01)                               // FNOM 60 Hz, CFGCNT 1
		cfg = append(cfg, 0x00, 0x1e)                                           // DATA_RATE 30/s
		k.Reply(c37Frame(3, id, soc, 0, cfg))
		p.Advance(20)
		k.Request(c37Frame(4, id, soc, 0, []byte{0x00, 0x02})) // turn on data
		for i := uint32(0); i < 3; i++ {
			p.Advance(33)
			data := []byte{0x00, 0x00}                                          // STAT
			data = append(data, 0x48, 0x8c, 0xa0, 0x00, 0x00, 0x00, 0x00, 0x00) // VA 288 kV at 0 rad
			data = append(data, 0x44, 0x7a, 0x00, 0x00, 0xbf, 0x06, 0x0a, 0x92) // IA 1000 A at -0.52 rad
			data = append(data, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00) // FREQ, DFREQ deviations
			data = append(data, 0x43, 0x48, 0x00, 0x00, 0x00, 0x01)             // MW 200, breaker A closed
			k.Reply(c37Frame(0, id, soc, i*33333, data))
		}
		k.Request(c37Frame(4, id, soc+1, 0, []byte{0x00, 0x01})) // turn off data
		k.Close()
	})
}

func knxFrame(service uint16, body []byte) []byte {
	b := []byte{0x06, 0x10, byte(service >> 8), byte(service), 0, 0}
	b = append(b, body...)
	binary.BigEndian.PutUint16(b[4:], uint16(len(b)))
	return b
}

func hpai(h *Host, port uint16) []byte {
	b := append([]byte{0x08, 0x01}, h.IP...)
	return binary.BigEndian.AppendUint16(b, port)
}

func init() {
	// KNXnet/IP: ETS on the engineering workstation searches for KNX IP
	// interfaces, reads the router's description, opens a tunnel, switches
	// a group (1/2/3 on) and restarts device 1.1.5; the router forwards a
	// sensor's group write as a routing indication.
	register("54-knxip", func(p *Plant) {
		mcast := &Host{Name: "knx-multicast", MAC: mac("01:00:5e:00:17:0c"), IP: []byte{224, 0, 23, 12}, VLAN: 10}
		const ets = 3671
		dib := []byte{54, 0x01, 0x02, 0x00, 0x11, 0x00, 0x00, 0x00} // TP1, status, 1.1.0, project 0
		dib = append(dib, 0x00, 0xc5, 0x01, 0x02, 0x03, 0x04)       // serial
		dib = append(dib, 224, 0, 23, 12)                           // routing multicast
		dib = append(dib, KNXRouter.MAC...)
		dib = append(dib, append([]byte("KNX IP Router Building A"), make([]byte, 30-24)...)...)
		families := []byte{0x0a, 0x02, 0x02, 0x01, 0x03, 0x01, 0x04, 0x01, 0x05, 0x01} // core, devmgmt, tunnelling, routing v1
		p.UDP(EWS, mcast, ets, 3671, knxFrame(0x0201, hpai(EWS, ets)))
		p.Advance(5)
		p.UDP(KNXRouter, EWS, 3671, ets, knxFrame(0x0202, append(append(hpai(KNXRouter, 3671), dib...), families...)))
		p.Advance(100)
		p.UDP(EWS, KNXRouter, ets, 3671, knxFrame(0x0203, hpai(EWS, ets)))
		p.Advance(5)
		p.UDP(KNXRouter, EWS, 3671, ets, knxFrame(0x0204, append(append([]byte(nil), dib...), families...)))
		p.Advance(50)
		// Connect: tunnel connection, link layer.
		p.UDP(EWS, KNXRouter, ets, 3671, knxFrame(0x0205, append(append(hpai(EWS, ets), hpai(EWS, ets)...), 0x04, 0x04, 0x02, 0x00)))
		p.Advance(5)
		p.UDP(KNXRouter, EWS, 3671, ets, knxFrame(0x0206, append(append([]byte{0x15, 0x00}, hpai(KNXRouter, 3671)...), 0x04, 0x04, 0x11, 0xff)))
		p.Advance(50)
		// Tunnelling: L_Data.req group value write 1/2/3 = on (APCI 0x080, value 1).
		gw := []byte{0x11, 0x00, 0xbc, 0xe0, 0x11, 0xff, 0x0a, 0x03, 0x01, 0x00, 0x81}
		p.UDP(EWS, KNXRouter, ets, 3671, knxFrame(0x0420, append([]byte{0x04, 0x15, 0x00, 0x00}, gw...)))
		p.Advance(3)
		p.UDP(KNXRouter, EWS, 3671, ets, knxFrame(0x0421, []byte{0x04, 0x15, 0x00, 0x00}))
		p.Advance(50)
		// Restart of device 1.1.5: connection-oriented data, APCI 0x380.
		rs := []byte{0x11, 0x00, 0xb0, 0x60, 0x11, 0xff, 0x11, 0x05, 0x01, 0x43, 0x80}
		p.UDP(EWS, KNXRouter, ets, 3671, knxFrame(0x0420, append([]byte{0x04, 0x15, 0x01, 0x00}, rs...)))
		p.Advance(3)
		p.UDP(KNXRouter, EWS, 3671, ets, knxFrame(0x0421, []byte{0x04, 0x15, 0x01, 0x00}))
		p.Advance(200)
		// Routing indication: sensor 1.1.20 writes group 2/1/1 = 21.5 degC (DPT 9.001).
		ri := []byte{0x29, 0x00, 0xbc, 0xd0, 0x11, 0x14, 0x11, 0x01, 0x03, 0x00, 0x80, 0x0c, 0x33}
		p.UDP(KNXRouter, mcast, 3671, 3671, knxFrame(0x0530, ri))
	})
}

// hartPDU builds a HART token-passing PDU: delimiter, address, command,
// byte count, data, XOR check byte (HCF_SPEC-081).
func hartPDU(delim byte, addr []byte, cmd byte, data []byte) []byte {
	b := append([]byte{delim}, addr...)
	b = append(b, cmd, byte(len(data)))
	b = append(b, data...)
	var x byte
	for _, v := range b {
		x ^= v
	}
	return append(b, x)
}

func hartIP(typ, id byte, seq uint16, body []byte) []byte {
	b := []byte{0x01, typ, id, 0x00, byte(seq >> 8), byte(seq), 0, 0}
	b = append(b, body...)
	binary.BigEndian.PutUint16(b[6:], uint16(len(b)))
	return b
}

// packASCII encodes HART packed ASCII (6 bits a character), padding with spaces.
func packASCII(s string, n int) []byte {
	c := make([]byte, n*4/3)
	for i := range c {
		c[i] = ' '
	}
	copy(c, s)
	out := make([]byte, 0, n)
	for i := 0; i+3 < len(c)+1; i += 4 {
		v := uint32(c[i]&0x3f)<<18 | uint32(c[i+1]&0x3f)<<12 | uint32(c[i+2]&0x3f)<<6 | uint32(c[i+3]&0x3f)
		out = append(out, byte(v>>16), byte(v>>8), byte(v))
	}
	return out
}

func init() {
	// HART-IP: asset management software on the engineering workstation
	// opens a session with the WirelessHART gateway, identifies it (command
	// 0, short address 0), reads a wireless transmitter's long tag and tag
	// and descriptor through it (long address), then re-ranges it (35).
	register("55-hartip", func(p *Plant) {
		const cport = 50112
		seq := uint16(0)
		ex := func(req, resp []byte) {
			seq++
			p.UDP(EWS, HARTGateway, cport, 5094, hartIP(0, 3, seq, req))
			p.Advance(8)
			p.UDP(HARTGateway, EWS, 5094, cport, hartIP(1, 3, seq, resp))
			p.Advance(60)
		}
		p.UDP(EWS, HARTGateway, cport, 5094, hartIP(0, 0, 0, []byte{0x01, 0x00, 0x00, 0xea, 0x60})) // primary master, 60 s
		p.Advance(5)
		p.UDP(HARTGateway, EWS, 5094, cport, hartIP(1, 0, 0, []byte{0x01, 0x00, 0x00, 0xea, 0x60}))
		p.Advance(50)
		// Command 0 to the gateway (short address 0): HART 7 identity,
		// expanded device type 0x2680, device id 0x0a1b2c, manufacturer 0x0026.
		gwID := []byte{254, 0x26, 0x80, 5, 7, 4, 3, 0x20 | 0x01, 0x00, 0x0a, 0x1b, 0x2c, 5, 4, 0x00, 0x03, 0x00, 0x00, 0x26, 0x00, 0x26, 0x81}
		ex(hartPDU(0x02, []byte{0x80}, 0, nil), hartPDU(0x06, []byte{0x80}, 0, append([]byte{0x00, 0x00}, gwID...)))
		// The transmitter behind the gateway: long address (primary master
		// bit, expanded device type 0x2675, device id 0x3e1f07).
		long := []byte{0x80 | 0x26, 0x75, 0x3e, 0x1f, 0x07}
		tag := append([]byte("FT-101 FEED FLOW"), make([]byte, 16)...)
		ex(hartPDU(0x82, long, 20, nil), hartPDU(0x86, long, 20, append([]byte{0x00, 0x00}, tag...)))
		td := append(packASCII("FT101", 6), packASCII("FEED FLOW", 12)...)
		td = append(td, 15, 1, 126) // date 15/01/2026
		ex(hartPDU(0x82, long, 13, nil), hartPDU(0x86, long, 13, append([]byte{0x00, 0x00}, td...)))
		// Command 35: write PV range values, units m3/h (19), 0..250.
		rng := []byte{19, 0x43, 0x7a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}
		ex(hartPDU(0x82, long, 35, rng), hartPDU(0x86, long, 35, append([]byte{0x00, 0x00}, rng...)))
	})
}

func init() {
	// Niagara Fox: Workbench on the HMI connects to the JACE (the BACnet
	// controller's Niagara station) and both sides say hello, as in the
	// exchanges nmap's fox-info.nse documents.
	register("56-fox", func(p *Plant) {
		k := p.TCP(HMI, BACnetCtl, 1911)
		tz := "America/New_York;-18000000;3600000;02:00:00.000,wall,march,8,on or after,sunday,undefined;02:00:00.000,wall,november,1,on or after,sunday,undefined"
		k.Exchange([]byte("fox a 1 -1 fox hello\n{\nfox.version=s:1.0\nid=i:1\nhostName=s:hmi-1\nhostAddress=s:10.10.20.21\n"+
			"app.name=s:Workbench\napp.version=s:4.10.1.36\nvm.name=s:OpenJDK 64-Bit Server VM\nvm.version=s:11.0.14\n"+
			"os.name=s:Windows 10\nos.version=s:10.0\nlang=s:en\ntimeZone=s:"+tz+"\n};;\n"),
			[]byte("fox a 0 -1 fox hello\n{\nfox.version=s:1.0\nid=i:171\nhostName=s:10.10.10.15\nhostAddress=s:10.10.10.15\n"+
				"app.name=s:Station\napp.version=s:4.10.1.36\nvm.name=s:Java HotSpot(TM) Embedded Client VM\nvm.version=s:25.181-b13\n"+
				"os.name=s:QNX\nos.version=s:6.5.0\nstation.name=s:JACE_BLDG_A\nlang=s:en\ntimeZone=s:"+tz+"\n"+
				"hostId=s:Qnx-TITN-0000-1BD7-02C4\nvmUuid=s:5b8e0c1a-2f7d-4b1e-9c3a-6d2f8e4a1b07\nbrandId=s:vykon\n"+
				"sysInfo=o:bog 61[<bog version=\"1.0\">\n<p m=\"b=baja\" t=\"b:Facets\" v=\"\"/>\n</bog>\n]\n"+
				"authAgentTypeSpecs=s:fox:FoxUsernamePasswordAuthAgent\n};;\n"))
		k.Exchange([]byte("fox a 2 -1 fox challenge\n{\nusername=s:operator\n};;\n"), []byte("fox a 1 2 fox challenge\n{\nnonce=s:b5b3a1e0c41d9f22\n};;\n"))
		k.Close()
	})
}

// slmp3E builds a binary 3E request (network 0, PC 0xFF, I/O 0x03FF,
// station 0, monitoring timer 0x0010) or response.
func slmp3E(response bool, cmd, sub uint16, data []byte) []byte {
	if response {
		b := []byte{0xd0, 0x00, 0x00, 0xff, 0xff, 0x03, 0x00, 0, 0, 0x00, 0x00}
		b = append(b, data...)
		binary.LittleEndian.PutUint16(b[7:], uint16(2+len(data)))
		return b
	}
	b := []byte{0x50, 0x00, 0x00, 0xff, 0xff, 0x03, 0x00, 0, 0, 0x10, 0x00}
	b = binary.LittleEndian.AppendUint16(b, cmd)
	b = binary.LittleEndian.AppendUint16(b, sub)
	b = append(b, data...)
	binary.LittleEndian.PutUint16(b[7:], uint16(6+len(data)))
	return b
}

func init() {
	// SLMP (MC protocol 3E binary): the engineering workstation reads the
	// CPU model, reads D100-D109, sets M0, stops and restarts the CPU
	// (SLMP Reference Manual commands 0101, 0401, 1401, 1002, 1001).
	register("57-slmp", func(p *Plant) {
		k := p.TCP(EWS, MelsecPLC, 5010)
		k.Exchange(slmp3E(false, 0x0101, 0x0000, nil), slmp3E(true, 0, 0, append(padded("Q03UDVCPU", 16), 0x66, 0x03)))
		words := make([]byte, 20)
		words[0], words[2] = 0x2a, 0x01
		k.Exchange(slmp3E(false, 0x0401, 0x0000, []byte{0x64, 0x00, 0x00, 0xa8, 0x0a, 0x00}), slmp3E(true, 0, 0, words))
		k.Exchange(slmp3E(false, 0x1401, 0x0001, []byte{0x00, 0x00, 0x00, 0x90, 0x01, 0x00, 0x10}), slmp3E(true, 0, 0, nil))
		k.Exchange(slmp3E(false, 0x1002, 0x0000, []byte{0x01, 0x00}), slmp3E(true, 0, 0, nil))
		k.Exchange(slmp3E(false, 0x1001, 0x0000, []byte{0x01, 0x00, 0x00, 0x00}), slmp3E(true, 0, 0, nil))
		k.Close()
	})
}

// srtpMsg builds a 56-byte GE-SRTP header (layout of Denton et al., DFRWS
// 2017, as in the gesrtp-py driver) with optional text.
func srtpMsg(typ, seq, msgType, service, segment byte, offset, length uint16, text []byte) []byte {
	b := make([]byte, 56, 56+len(text))
	b[0], b[2] = typ, seq
	binary.LittleEndian.PutUint16(b[4:], uint16(len(text)))
	b[9], b[17] = 0x01, 0x01
	b[26], b[27], b[28] = 5, 0, 8 // 08:00:05
	b[30], b[31] = seq, msgType
	b[36], b[37] = 0x10, 0x0e // mailbox destination: CPU in slot 1
	b[40], b[41] = 0x01, 0x01
	b[42], b[43] = service, segment
	binary.LittleEndian.PutUint16(b[44:], offset)
	binary.LittleEndian.PutUint16(b[46:], length)
	return append(b, text...)
}

func init() {
	// GE-SRTP: the engineering workstation initialises a session with the
	// RX3i, reads %R1-%R10, writes %R1, and stops the CPU (service 0x23).
	register("58-srtp", func(p *Plant) {
		k := p.TCP(EWS, GEPLC, 18245)
		init := make([]byte, 56)
		resp := make([]byte, 56)
		resp[0] = 0x01
		k.Exchange(init, resp)
		regs := make([]byte, 20)
		regs[0], regs[2] = 0x2a, 0x07
		k.Exchange(srtpMsg(0x02, 1, 0xc0, 0x04, 0x08, 0, 10, nil), srtpMsg(0x03, 1, 0x94, 0x04, 0x08, 0, 10, regs))
		k.Exchange(srtpMsg(0x02, 2, 0xc0, 0x07, 0x08, 0, 1, []byte{0x64, 0x00}), srtpMsg(0x03, 2, 0xd4, 0x07, 0x08, 0, 0, nil))
		k.Exchange(srtpMsg(0x02, 3, 0xc0, 0x23, 0x00, 0, 0, nil), srtpMsg(0x03, 3, 0xd4, 0x23, 0x00, 0, 0, nil))
		k.Close()
	})
}

// bsapIP builds a BSAP-IP datagram with the header layout of CISA's ICSNPP
// BSAP parser: header length, message count, message function, then the
// rest of the header (not interpreted here: zeros but for a sequence).
func bsapIP(hlen byte, fn uint16, seq uint32, body []byte) []byte {
	b := make([]byte, hlen)
	b[0], b[2] = hlen, 1
	binary.LittleEndian.PutUint16(b[4:], fn)
	binary.LittleEndian.PutUint32(b[6:], seq)
	return append(b, body...)
}

func init() {
	// BSAP-IP: the SCADA server reads a signal by name from the RTU's
	// remote database (RDB 0x04) and writes a setpoint (RDB 0x84).
	register("59-bsap", func(p *Plant) {
		rdb := func(seq uint32, fn byte, name string, value []byte) []byte {
			data := append([]byte(name), 0)
			data = append(data, value...)
			b := binary.LittleEndian.AppendUint32(nil, uint32(12+len(data)))
			b = append(b, 0x0e)
			b = binary.LittleEndian.AppendUint32(b, seq)
			b = append(b, 0xa0, 0x00, fn)
			return append(b, data...)
		}
		resp := func(seq uint32, data []byte) []byte {
			b := binary.LittleEndian.AppendUint32(nil, uint32(11+len(data)))
			b = append(b, 0x16)
			b = binary.LittleEndian.AppendUint32(b, seq)
			b = append(b, 0x00, 0x01)
			return append(b, data...)
		}
		p.UDP(SCADA, BSAPRTU, 1234, 1234, bsapIP(0x0e, 0x0006, 1, rdb(1, 0x04, "FT101.FLOW", nil)))
		p.Advance(30)
		p.UDP(BSAPRTU, SCADA, 1234, 1234, bsapIP(0x16, 0x0005, 1, resp(1, []byte{0x00, 0x00, 0x48, 0x43})))
		p.Advance(500)
		p.UDP(SCADA, BSAPRTU, 1234, 1234, bsapIP(0x0e, 0x0006, 2, rdb(2, 0x84, "PIC201.SP", []byte{0x00, 0x00, 0x20, 0x42})))
		p.Advance(30)
		p.UDP(BSAPRTU, SCADA, 1234, 1234, bsapIP(0x16, 0x0005, 2, resp(2, nil)))
	})
}
