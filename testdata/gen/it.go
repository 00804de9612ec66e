package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"fmt"
	"math/big"
	"net"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/gopacket/gopacket/layers"
)

// IT protocols of the demo plant: discovery (LLDP, CDP), addressing and
// naming (DHCP, DNS, mDNS, NBNS), time (NTP), management (SNMP, SSH,
// Telnet, FTP, HTTP, TLS, RDP) and file sharing (SMB). Each builder follows
// the layout its dissector's doc.go cites; the same layouts, built with
// scapy and openssl in discovery/<proto>/testdata/, were checked with
// tshark 4.0.17.

// CellSwitch is the control network's managed industrial switch (Cisco OUI).
var CellSwitch = host("ie-switch-1", "00:1b:54:10:00:02", "10.10.10.2", 10)

// Laptop is a contractor's maintenance laptop that takes its address by DHCP (Dell OUI 00:14:22).
var Laptop = host("maint-laptop", "00:14:22:20:00:60", "10.10.20.60", 20)

func init() {
	register("60-lldp-cdp", lldpCDPScenario)
	register("61-dhcp", dhcpScenario)
	register("62-names", namesScenario)
	register("63-ntp", ntpScenario)
	register("64-snmp", snmpScenario)
	register("65-web", webScenario)
	register("66-remote", remoteScenario)
	register("67-smb", smbScenario)
}

// --- LLDP and CDP -------------------------------------------------------------

func lldpTLV(typ int, v []byte) []byte {
	return append([]byte{byte(typ<<1 | len(v)>>8), byte(len(v))}, v...)
}

func lldpScenarioFrame(chassisSub byte, chassis []byte, portSub byte, port []byte, ttl uint16, extra ...[]byte) []byte {
	b := lldpTLV(1, append([]byte{chassisSub}, chassis...))
	b = append(b, lldpTLV(2, append([]byte{portSub}, port...))...)
	b = append(b, lldpTLV(3, []byte{byte(ttl >> 8), byte(ttl)})...)
	for _, e := range extra {
		b = append(b, e...)
	}
	return append(b, 0, 0) // End of LLDPDU
}

func lldpMgmtAddr(ip net.IP, ifIndex uint32) []byte {
	v := []byte{5, 1}
	v = append(v, ip.To4()...)
	v = append(v, 2, byte(ifIndex>>24), byte(ifIndex>>16), byte(ifIndex>>8), byte(ifIndex), 0)
	return lldpTLV(8, v)
}

func cdpTLV(typ uint16, v []byte) []byte {
	b := []byte{byte(typ >> 8), byte(typ), byte((len(v) + 4) >> 8), byte(len(v) + 4)}
	return append(b, v...)
}

func cdpAddr(ip net.IP) []byte {
	return append([]byte{0, 0, 0, 1, 1, 1, 0xcc, 0, 4}, ip.To4()...)
}

// inetChecksum is the RFC 1071 checksum CDP uses.
func cdpChecksum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}

func lldpCDPScenario(p *Plant) {
	lldpMAC := mac("01:80:c2:00:00:0e")
	swDescr := []byte("Cisco IOS Software, IE4000 Software (IE4000-UNIVERSALK9-M), Version 15.2(7)E4, RELEASE SOFTWARE (fc2)")
	for range 2 {
		// The switch's port towards the PLC (Gi1/3): LLDP with MAC chassis id,
		// capabilities bridge (and router available), management address.
		sw := lldpScenarioFrame(4, CellSwitch.MAC, 5, []byte("Gi1/3"), 120,
			lldpTLV(4, []byte("GigabitEthernet1/3")),
			lldpTLV(5, []byte("ie-switch-1.plant.local")),
			lldpTLV(6, swDescr),
			lldpTLV(7, []byte{0x00, 0x14, 0x00, 0x04}), // bridge+router capable, bridge enabled
			lldpMgmtAddr(CellSwitch.IP, 3))
		p.Ether(CellSwitch.MAC, lldpMAC, 0, layers.EthernetType(0x88cc), sw)
		// The S7 CPU's PROFINET LLDP: chassis = NameOfStation, port "port-001",
		// system description with order number and firmware, PNO chassis MAC.
		plc := lldpScenarioFrame(7, []byte("plc-s7"), 7, []byte("port-001"), 20,
			lldpTLV(6, []byte("Siemens, SIMATIC S7, CPU315-2 PN/DP, 6ES7 315-2EH14-0AB0, HW: 1, FW: V3.2.6")),
			lldpTLV(7, []byte{0x00, 0x80, 0x00, 0x80}), // station only
			lldpMgmtAddr(PLCS7.IP, 1),
			lldpTLV(127, append([]byte{0x00, 0x0e, 0xcf, 5}, PLCS7.MAC...)))
		p.Ether(PLCS7.MAC, lldpMAC, 0, layers.EthernetType(0x88cc), plc)
		// CDPv2 from the switch on the same port.
		body := cdpTLV(0x0001, []byte("ie-switch-1.plant.local"))
		body = append(body, cdpTLV(0x0005, append(append([]byte{}, swDescr...), "\nTechnical Support: http://www.cisco.com/techsupport"...))...)
		body = append(body, cdpTLV(0x0006, []byte("cisco IE-4000-8GT4G4E"))...)
		body = append(body, cdpTLV(0x0002, cdpAddr(CellSwitch.IP))...)
		body = append(body, cdpTLV(0x0003, []byte("GigabitEthernet1/3"))...)
		body = append(body, cdpTLV(0x0004, []byte{0, 0, 0, 0x28})...) // switch, IGMP
		body = append(body, cdpTLV(0x0009, []byte("PLANT"))...)
		body = append(body, cdpTLV(0x000a, []byte{0, 10})...)
		body = append(body, cdpTLV(0x0016, cdpAddr(CellSwitch.IP))...)
		cdp := append([]byte{2, 180, 0, 0}, body...)
		binary.BigEndian.PutUint16(cdp[2:], cdpChecksum(cdp))
		p.SNAP(CellSwitch.MAC, mac("01:00:0c:cc:cc:cc"), 0x00000c, 0x2000, cdp)
		p.Advance(30000)
	}
}

// --- DHCP -----------------------------------------------------------------------

func dhcpMsg(op byte, xid uint32, chaddr net.HardwareAddr, yiaddr net.IP, opts ...[]byte) []byte {
	b := make([]byte, 240)
	b[0], b[1], b[2] = op, 1, 6
	binary.BigEndian.PutUint32(b[4:], xid)
	binary.BigEndian.PutUint16(b[10:], 0x8000)
	if yiaddr != nil {
		copy(b[16:], yiaddr.To4())
	}
	copy(b[28:], chaddr)
	copy(b[236:], []byte{0x63, 0x82, 0x53, 0x63})
	for _, o := range opts {
		b = append(b, o...)
	}
	b = append(b, 255)
	for len(b) < 300 {
		b = append(b, 0)
	}
	return b
}

func dhcpOpt(code byte, v []byte) []byte { return append([]byte{code, byte(len(v))}, v...) }

func dhcpScenario(p *Plant) {
	client := &Host{Name: "laptop-unbound", MAC: Laptop.MAC, IP: net.IPv4zero.To4(), VLAN: 20}
	bcast := &Host{Name: "broadcast", MAC: broadcastM, IP: net.IPv4bcast.To4(), VLAN: 20}
	server := &Host{Name: "gw20", MAC: Router.MAC, IP: net.IPv4(10, 10, 20, 1).To4(), VLAN: 20}
	const xid = 0x5c1e2a01
	id := append([]byte{1}, Laptop.MAC...)
	prl := dhcpOpt(55, []byte{1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252})
	common := [][]byte{dhcpOpt(61, id), dhcpOpt(12, []byte("MAINT-LT07")), dhcpOpt(60, []byte("MSFT 5.0")), prl}
	p.UDP(client, bcast, 68, 67, dhcpMsg(1, xid, Laptop.MAC, nil, append([][]byte{dhcpOpt(53, []byte{1}), dhcpOpt(50, Laptop.IP)}, common...)...))
	p.Advance(5)
	srvOpts := [][]byte{dhcpOpt(54, server.IP), dhcpOpt(51, []byte{0, 1, 0x51, 0x80}), dhcpOpt(1, []byte{255, 255, 255, 0}),
		dhcpOpt(3, server.IP), dhcpOpt(6, DomainCtl.IP), dhcpOpt(15, []byte("plant.local"))}
	p.UDP(server, bcast, 67, 68, dhcpMsg(2, xid, Laptop.MAC, Laptop.IP, append([][]byte{dhcpOpt(53, []byte{2})}, srvOpts...)...))
	p.Advance(5)
	p.UDP(client, bcast, 68, 67, dhcpMsg(1, xid, Laptop.MAC, nil, append([][]byte{dhcpOpt(53, []byte{3}), dhcpOpt(50, Laptop.IP), dhcpOpt(54, server.IP)}, common...)...))
	p.Advance(5)
	p.UDP(server, bcast, 67, 68, dhcpMsg(2, xid, Laptop.MAC, Laptop.IP, append([][]byte{dhcpOpt(53, []byte{5})}, srvOpts...)...))
	p.ARP(Laptop, server)
}

// --- DNS, mDNS, NBNS ---------------------------------------------------------------

func dnsWireName(name string) []byte {
	var b []byte
	for _, l := range strings.Split(strings.TrimSuffix(name, "."), ".") {
		b = append(b, byte(len(l)))
		b = append(b, l...)
	}
	return append(b, 0)
}

type dnsRR struct {
	name  string
	typ   uint16
	rdata []byte
}

func dnsMessage(id, flags uint16, questions []dnsRR, answers []dnsRR) []byte {
	b := make([]byte, 12)
	binary.BigEndian.PutUint16(b, id)
	binary.BigEndian.PutUint16(b[2:], flags)
	binary.BigEndian.PutUint16(b[4:], uint16(len(questions)))
	binary.BigEndian.PutUint16(b[6:], uint16(len(answers)))
	for _, q := range questions {
		b = append(b, dnsWireName(q.name)...)
		b = binary.BigEndian.AppendUint16(b, q.typ)
		b = binary.BigEndian.AppendUint16(b, 1)
	}
	for _, a := range answers {
		b = append(b, dnsWireName(a.name)...)
		b = binary.BigEndian.AppendUint16(b, a.typ)
		b = binary.BigEndian.AppendUint16(b, 1)
		b = binary.BigEndian.AppendUint32(b, 3600)
		b = binary.BigEndian.AppendUint16(b, uint16(len(a.rdata)))
		b = append(b, a.rdata...)
	}
	return b
}

func nbnsEncode(name string, suffix byte) []byte {
	raw := append([]byte(fmt.Sprintf("%-15s", name)), suffix)
	b := []byte{32}
	for _, c := range raw {
		b = append(b, 'A'+c>>4, 'A'+c&0xf)
	}
	return append(b, 0)
}

func nbnsRegistration(id uint16, name string, suffix byte, group bool, ip net.IP) []byte {
	b := []byte{byte(id >> 8), byte(id), 0x29, 0x10, 0, 1, 0, 0, 0, 0, 0, 1}
	b = append(b, nbnsEncode(name, suffix)...)
	b = append(b, 0, 0x20, 0, 1)
	b = append(b, 0xc0, 0x0c, 0, 0x20, 0, 1, 0, 0x04, 0x93, 0xe0, 0, 6)
	flags := byte(0x00)
	if group {
		flags = 0x80
	}
	b = append(b, flags, 0)
	return append(b, ip.To4()...)
}

func namesScenario(p *Plant) {
	const std, resp = 0x0100, 0x8580
	q := func(c *Host, id uint16, name string, typ uint16, answers ...dnsRR) {
		port := p.EphemeralPort()
		p.UDP(c, DomainCtl, port, 53, dnsMessage(id, std, []dnsRR{{name: name, typ: typ}}, nil))
		p.Advance(3)
		p.UDP(DomainCtl, c, 53, port, dnsMessage(id, resp, []dnsRR{{name: name, typ: typ}}, answers))
		p.Advance(50)
	}
	q(HMI, 0x1001, "historian.plant.local", 1, dnsRR{"historian.plant.local", 1, Historian.IP})
	q(EWS, 0x1002, "plc-s7.plant.local", 1, dnsRR{"plc-s7.plant.local", 1, PLCS7.IP})
	q(SCADA, 0x1003, "11.10.10.10.in-addr.arpa", 12, dnsRR{"11.10.10.10.in-addr.arpa", 12, dnsWireName("plc-modbus.plant.local")})
	q(EWS, 0x1004, "updates.vendor.example", 1, dnsRR{"updates.vendor.example", 1, Internet.IP})
	// mDNS: the engineering workstation (Windows) announces its name.
	mdns := &Host{Name: "mdns", MAC: mac("01:00:5e:00:00:fb"), IP: net.IPv4(224, 0, 0, 251).To4(), VLAN: 20}
	p.UDP(EWS, mdns, 5353, 5353, dnsMessage(0, 0x8400, nil, []dnsRR{{"ews-1.local", 1, EWS.IP}}))
	p.Advance(10)
	// NBNS: the workstation registers its names on VLAN 20.
	bc := Broadcast(EWS)
	for i, n := range []struct {
		name   string
		suffix byte
		group  bool
	}{{"EWS-1", 0x00, false}, {"EWS-1", 0x20, false}, {"PLANT", 0x00, true}} {
		p.UDP(EWS, bc, 137, 137, nbnsRegistration(0x7a10+uint16(i), n.name, n.suffix, n.group, EWS.IP))
		p.Advance(5)
	}
}

// --- NTP --------------------------------------------------------------------------

func ntpPacket(mode, stratum byte, refID []byte, t time.Time) []byte {
	b := make([]byte, 48)
	b[0] = 4<<3 | mode
	b[1], b[2], b[3] = stratum, 6, 0xe9 // poll 64 s, precision 2^-23
	copy(b[12:16], refID)
	secs := uint32(t.Unix() + 2208988800)
	for _, off := range []int{16, 40} {
		binary.BigEndian.PutUint32(b[off:], secs)
	}
	if mode == 3 {
		clear(b[16:40])
		b[2], b[3] = 6, 0xec
	}
	return b
}

func ntpScenario(p *Plant) {
	t := time.Date(2026, 1, 15, 8, 0, 30, 0, time.UTC)
	for _, c := range []*Host{HMI, EWS, SCADA, Historian} {
		port := p.EphemeralPort()
		p.UDP(c, GPSClock, port, 123, ntpPacket(3, 0, nil, t))
		p.Advance(1)
		p.UDP(GPSClock, c, 123, port, ntpPacket(4, 1, []byte("GPS\x00"), t))
		p.Advance(20)
	}
	// The domain controller keeps its own time from the plant clock (ntpd, 123 to 123).
	p.UDP(DomainCtl, GPSClock, 123, 123, ntpPacket(3, 3, net.IPv4(192, 168, 1, 1).To4(), t))
	p.Advance(1)
	p.UDP(GPSClock, DomainCtl, 123, 123, ntpPacket(4, 1, []byte("GPS\x00"), t))
}

// --- SNMP ----------------------------------------------------------------------------

func snmpBER(tag byte, body []byte) []byte {
	n := len(body)
	switch {
	case n < 0x80:
		return append([]byte{tag, byte(n)}, body...)
	case n < 0x100:
		return append([]byte{tag, 0x81, byte(n)}, body...)
	}
	return append([]byte{tag, 0x82, byte(n >> 8), byte(n)}, body...)
}

func snmpInt(v int) []byte {
	if v < 0x80 {
		return snmpBER(0x02, []byte{byte(v)})
	}
	return snmpBER(0x02, []byte{byte(v >> 8), byte(v)})
}

func snmpOID(oid ...int) []byte {
	b := []byte{byte(oid[0]*40 + oid[1])}
	for _, v := range oid[2:] {
		var enc []byte
		enc = append(enc, byte(v&0x7f))
		for v >>= 7; v > 0; v >>= 7 {
			enc = append([]byte{byte(v&0x7f | 0x80)}, enc...)
		}
		b = append(b, enc...)
	}
	return snmpBER(0x06, b)
}

func snmpMsg(version int, community string, pduTag byte, reqID int, binds ...[]byte) []byte {
	var vbl []byte
	for _, vb := range binds {
		vbl = append(vbl, vb...)
	}
	pdu := append(append(snmpInt(reqID), snmpInt(0)...), snmpInt(0)...)
	pdu = append(pdu, snmpBER(0x30, vbl)...)
	msg := append(snmpInt(version), snmpBER(0x04, []byte(community))...)
	msg = append(msg, snmpBER(pduTag, pdu)...)
	return snmpBER(0x30, msg)
}

func snmpVarbind(oid []byte, value []byte) []byte {
	return snmpBER(0x30, append(append([]byte{}, oid...), value...))
}

func snmpScenario(p *Plant) {
	sysDescr := snmpOID(1, 3, 6, 1, 2, 1, 1, 1, 0)
	sysName := snmpOID(1, 3, 6, 1, 2, 1, 1, 5, 0)
	sysLocation := snmpOID(1, 3, 6, 1, 2, 1, 1, 6, 0)
	null := []byte{0x05, 0x00}
	poll := func(c, s *Host, version int, community, descr, name, loc string, id int) {
		port := p.EphemeralPort()
		p.UDP(c, s, port, 161, snmpMsg(version, community, 0xa0, id, snmpVarbind(sysDescr, null), snmpVarbind(sysName, null), snmpVarbind(sysLocation, null)))
		p.Advance(4)
		p.UDP(s, c, 161, port, snmpMsg(version, community, 0xa2, id, snmpVarbind(sysDescr, snmpBER(0x04, []byte(descr))),
			snmpVarbind(sysName, snmpBER(0x04, []byte(name))), snmpVarbind(sysLocation, snmpBER(0x04, []byte(loc)))))
		p.Advance(40)
	}
	poll(SCADA, CellSwitch, 1, "public",
		"Cisco IOS Software, IE4000 Software (IE4000-UNIVERSALK9-M), Version 15.2(7)E4, RELEASE SOFTWARE (fc2)\r\nTechnical Support: http://www.cisco.com/techsupport",
		"ie-switch-1", "Building 2, cell 1 cabinet", 3101)
	poll(EWS, PLCS7, 0, "public", "Siemens, SIMATIC S7, CPU315-2 PN/DP, 6ES7 315-2EH14-0AB0, HW: 1, FW: V3.2.6", "plc-s7", "Line 1", 3102)
	// A link-down trap from the switch to the historian's trap receiver.
	sysUpTime := snmpOID(1, 3, 6, 1, 2, 1, 1, 3, 0)
	trapOID := snmpOID(1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0)
	p.UDP(CellSwitch, Historian, p.EphemeralPort(), 162, snmpMsg(1, "plant-traps", 0xa7, 77,
		snmpVarbind(sysUpTime, snmpBER(0x43, []byte{0x01, 0xe2, 0x40})), snmpVarbind(trapOID, snmpOID(1, 3, 6, 1, 6, 3, 1, 1, 5, 3))))
}

// --- HTTP and TLS -------------------------------------------------------------------------

// plantCA and historianCert are built from fixed Ed25519 seeds with fixed
// validity, so the certificate bytes, and the capture, are reproducible.
func historianCertificate() []byte {
	caKey := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0xca}, 32))
	leafKey := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0x4b}, 32))
	nb := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Plant Root CA", Organization: []string{"Plant Operations"}},
		NotBefore: nb, NotAfter: nb.AddDate(10, 0, 0), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	leaf := &x509.Certificate{SerialNumber: big.NewInt(4242), Subject: pkix.Name{CommonName: "historian.plant.local", Organization: []string{"Plant Operations"}},
		DNSNames: []string{"historian.plant.local", "historian"}, NotBefore: nb, NotAfter: nb.AddDate(2, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(nil, leaf, ca, leafKey.Public(), caKey)
	if err != nil {
		panic(err)
	}
	return der
}

func tlsRec(typ byte, body []byte) []byte {
	return append([]byte{typ, 3, 3, byte(len(body) >> 8), byte(len(body))}, body...)
}

func tlsHandshake(typ byte, body []byte) []byte {
	return append([]byte{typ, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}, body...)
}

func be16(v int) []byte { return []byte{byte(v >> 8), byte(v)} }

func tlsClientHello(sni string, seed string, tls13 bool) []byte {
	r := sha256.Sum256([]byte(seed))
	b := append([]byte{3, 3}, r[:]...)
	b = append(b, 0)                                                 // session id
	suites := []byte{0xc0, 0x2f, 0xc0, 0x30, 0xc0, 0x2b, 0xc0, 0x2c} // ECDHE-RSA/ECDSA-AES-GCM
	if tls13 {
		suites = append([]byte{0x13, 0x01, 0x13, 0x02}, suites...)
	}
	b = append(b, be16(len(suites))...)
	b = append(b, suites...)
	b = append(b, 1, 0) // null compression
	host := []byte(sni)
	sniExt := append(be16(len(host)+3), 0)
	sniExt = append(sniExt, be16(len(host))...)
	sniExt = append(sniExt, host...)
	ext := append(append(be16(0), be16(len(sniExt))...), sniExt...)
	ext = append(ext, 0x00, 0x0a, 0x00, 0x06, 0x00, 0x04, 0x00, 0x1d, 0x00, 0x17) // supported_groups x25519, secp256r1
	ext = append(ext, 0x00, 0x0d, 0x00, 0x06, 0x00, 0x04, 0x08, 0x07, 0x04, 0x03) // signature_algorithms ed25519, ecdsa_p256
	if tls13 {
		ext = append(ext, 0x00, 0x2b, 0x00, 0x05, 0x04, 0x03, 0x04, 0x03, 0x03) // supported_versions 1.3, 1.2
		ks := sha256.Sum256([]byte(seed + "ks"))
		ext = append(ext, 0x00, 0x33, 0x00, 0x26, 0x00, 0x24, 0x00, 0x1d, 0x00, 0x20)
		ext = append(ext, ks[:]...)
	}
	b = append(b, be16(len(ext))...)
	b = append(b, ext...)
	return tlsRec(22, tlsHandshake(1, b))
}

func tlsServerHello(seed string, suite uint16, tls13 bool) []byte {
	r := sha256.Sum256([]byte(seed))
	b := append([]byte{3, 3}, r[:]...)
	b = append(b, 0, byte(suite>>8), byte(suite), 0)
	var ext []byte
	if tls13 {
		ks := sha256.Sum256([]byte(seed + "ks"))
		ext = append(ext, 0x00, 0x2b, 0x00, 0x02, 0x03, 0x04)
		ext = append(ext, 0x00, 0x33, 0x00, 0x24, 0x00, 0x1d, 0x00, 0x20)
		ext = append(ext, ks[:]...)
	} else {
		ext = append(ext, 0xff, 0x01, 0x00, 0x01, 0x00) // renegotiation_info
	}
	b = append(b, be16(len(ext))...)
	b = append(b, ext...)
	return tlsHandshake(2, b)
}

// opaque returns deterministic bytes standing in for encrypted records.
func itOpaque(seed string, n int) []byte {
	var out []byte
	for i := 0; len(out) < n; i++ {
		h := sha256.Sum256([]byte(fmt.Sprintf("%s/%d", seed, i)))
		out = append(out, h[:]...)
	}
	return out[:n]
}

func webScenario(p *Plant) {
	// An enterprise user opens the historian's trend viewer over plain HTTP
	// with Basic authentication.
	k := p.TCP(ITDesktop, Historian, 80)
	k.Exchange([]byte("GET /trends/ HTTP/1.1\r\nHost: historian.plant.local\r\nUser-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0\r\n"+
		"Authorization: Basic cGxhbnRcdmlld2VyOlRyZW5kMjAyNg==\r\nAccept: text/html\r\n\r\n"),
		itHTTPResponse("200 OK", "Microsoft-IIS/10.0", "text/html; charset=utf-8",
			"<!DOCTYPE html>\r\n<html><head><title>Historian Trend Viewer</title></head><body><div id=\"trend\"></div></body></html>\r\n"))
	form := "tag=FIC101.PV&range=24h&fmt=csv"
	k.Exchange([]byte(fmt.Sprintf("POST /trends/export HTTP/1.1\r\nHost: historian.plant.local\r\nAuthorization: Basic cGxhbnRcdmlld2VyOlRyZW5kMjAyNg==\r\n"+
		"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s", len(form), form)),
		itHTTPResponse("200 OK", "Microsoft-IIS/10.0", "text/csv", "time,FIC101.PV\r\n2026-01-15T07:00:00Z,42.7\r\n"))
	k.Close()

	// The HMI reads the same viewer over HTTPS (TLS 1.2): certificate from the plant CA.
	k = p.TCP(HMI, Historian, 443)
	k.MSS = 1400
	k.Request(tlsClientHello("historian.plant.local", "hmi-hist", false))
	p.Advance(3)
	cert := historianCertificate()
	certMsg := tlsHandshake(11, append([]byte{0, byte((len(cert) + 3) >> 8), byte(len(cert) + 3), 0, byte(len(cert) >> 8), byte(len(cert))}, cert...))
	flight := append(tlsServerHello("hist-hmi", 0xc02b, false), certMsg...)
	flight = append(flight, tlsHandshake(12, itOpaque("ske", 110))...)
	flight = append(flight, tlsHandshake(14, nil)...)
	k.Reply(tlsRec(22, flight))
	p.Advance(3)
	k.Request(append(append(tlsRec(22, tlsHandshake(16, append([]byte{32}, itOpaque("cke", 32)...))), tlsRec(20, []byte{1})...), tlsRec(22, itOpaque("fin-c", 40))...))
	k.Reply(append(tlsRec(20, []byte{1}), tlsRec(22, itOpaque("fin-s", 40))...))
	k.Exchange(tlsRec(23, itOpaque("req", 180)), tlsRec(23, itOpaque("resp", 900)))
	k.Close()

	// The SCADA server checks for vendor updates on the internet (TLS 1.3).
	k = p.TCP(SCADA, Internet, 443)
	k.Request(tlsClientHello("updates.vendor.example", "scada-upd", true))
	p.Advance(40)
	k.Reply(append(tlsRec(22, tlsServerHello("upd-scada", 0x1301, true)), append(tlsRec(20, []byte{1}), tlsRec(23, itOpaque("ee", 600))...)...))
	k.Exchange(append(tlsRec(20, []byte{1}), tlsRec(23, itOpaque("cfin", 53))...), nil)
	k.Exchange(tlsRec(23, itOpaque("get", 120)), tlsRec(23, itOpaque("manifest", 300)))
	k.Close()
}

func itHTTPResponse(status, server, ctype, body string) []byte {
	return []byte(fmt.Sprintf("HTTP/1.1 %s\r\nServer: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s", status, server, ctype, len(body), body))
}

// --- SSH, Telnet, FTP, RDP -------------------------------------------------------------------

func remoteScenario(p *Plant) {
	// SSH from the engineering workstation to the switch.
	k := p.TCP(EWS, CellSwitch, 22)
	k.Reply([]byte("SSH-2.0-Cisco-1.25\r\n"))
	k.Request([]byte("SSH-2.0-PuTTY_Release_0.78\r\n"))
	k.Exchange(sshBinaryPacket(20, sshKexInit("kex-c")), sshBinaryPacket(20, sshKexInit("kex-s")))
	k.Close()

	// Telnet to the DNP3 RTU's maintenance port: clear-text login.
	k = p.TCP(EWS, RTUDNP3, 23)
	k.Reply([]byte{255, 251, 1, 255, 251, 3, 255, 253, 24, 255, 253, 31})
	k.Request([]byte{255, 253, 1, 255, 253, 3, 255, 252, 24, 255, 252, 31})
	k.Reply([]byte("\r\nRTU maintenance port - authorized personnel only\r\n\r\nlogin: "))
	k.Request([]byte("maint\r\n"))
	k.Reply([]byte("maint\r\nPassword: "))
	k.Request([]byte("rtu2016\r\n"))
	k.Reply([]byte("\r\nrtu> "))
	k.Close()

	// FTP to the Modbus PLC: firmware/project upload in the clear.
	k = p.TCP(EWS, PLCModbus, 21)
	k.Reply([]byte("220 FTP server ready.\r\n"))
	for _, x := range [][2]string{{"USER sysdiag\r\n", "331 User name okay, need password.\r\n"}, {"PASS factorycast@schneider\r\n", "230 User logged in, proceed.\r\n"},
		{"TYPE I\r\n", "200 Type set to I.\r\n"}, {"PASV\r\n", "227 Entering Passive Mode (10,10,10,11,4,1).\r\n"},
		{"STOR /FLASH0/web/index.htm\r\n", "150 File status okay; about to open data connection.\r\n226 Closing data connection.\r\n"},
		{"QUIT\r\n", "221 Goodbye.\r\n"}} {
		k.Exchange([]byte(x[0]), []byte(x[1]))
	}
	k.Close()

	// RDP from the enterprise desktop to the HMI, with network level authentication.
	k = p.TCP(ITDesktop, HMI, 3389)
	cookie := []byte("Cookie: mstshash=operator\r\n")
	neg := []byte{1, 0, 8, 0, 0x0b, 0, 0, 0}
	cr := append(append([]byte{byte(6 + len(cookie) + len(neg)), 0xe0, 0, 0, 0, 0, 0}, cookie...), neg...)
	cc := []byte{14, 0xd0, 0, 0, 0x12, 0x34, 0, 2, 0x1f, 8, 0, 2, 0, 0, 0}
	k.Exchange(rdpTPKT(cr), rdpTPKT(cc))
	k.Request(tlsClientHello("hmi-1", "rdp-tls", false))
	k.Close()
}

func rdpTPKT(b []byte) []byte {
	return append([]byte{3, 0, byte((len(b) + 4) >> 8), byte(len(b) + 4)}, b...)
}

// sshKexInit is an SSH_MSG_KEXINIT payload (RFC 4253 7.1) without the message byte.
func sshKexInit(seed string) []byte {
	b := itOpaque(seed, 16) // cookie
	for _, l := range []string{"curve25519-sha256,diffie-hellman-group14-sha256", "ssh-ed25519,rsa-sha2-256",
		"aes256-ctr,aes128-ctr", "aes256-ctr,aes128-ctr", "hmac-sha2-256", "hmac-sha2-256", "none", "none", "", ""} {
		b = binary.BigEndian.AppendUint32(b, uint32(len(l)))
		b = append(b, l...)
	}
	return append(b, 0, 0, 0, 0, 0) // first_kex_packet_follows, reserved
}

func sshBinaryPacket(msg byte, payload []byte) []byte {
	body := append([]byte{msg}, payload...)
	pad := 8 - (len(body)+5)%8
	if pad < 4 {
		pad += 8
	}
	b := binary.BigEndian.AppendUint32(nil, uint32(len(body)+pad+1))
	b = append(b, byte(pad))
	b = append(b, body...)
	return append(b, make([]byte, pad)...)
}

// --- SMB ---------------------------------------------------------------------------------

func smb2Message(cmd uint16, response bool, status uint32, msgID, session uint64, tree uint32, body []byte) []byte {
	h := make([]byte, 64)
	copy(h, "\xfeSMB")
	binary.LittleEndian.PutUint16(h[4:], 64)
	binary.LittleEndian.PutUint16(h[6:], 1)
	binary.LittleEndian.PutUint32(h[8:], status)
	binary.LittleEndian.PutUint16(h[12:], cmd)
	binary.LittleEndian.PutUint16(h[14:], 1)
	if response {
		binary.LittleEndian.PutUint32(h[16:], 1)
	}
	binary.LittleEndian.PutUint64(h[24:], msgID)
	binary.LittleEndian.PutUint32(h[32:], 0xfeff)
	binary.LittleEndian.PutUint32(h[36:], tree)
	binary.LittleEndian.PutUint64(h[40:], session)
	m := append(h, body...)
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(m))), m...)
}

func ntlmUTF16(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}

func ntlmAVPair(id uint16, v []byte) []byte {
	return append(binary.LittleEndian.AppendUint16(binary.LittleEndian.AppendUint16(nil, id), uint16(len(v))), v...)
}

func ntlmFieldList(base int, items ...[]byte) (fields, payload []byte) {
	for _, it := range items {
		fields = binary.LittleEndian.AppendUint16(fields, uint16(len(it)))
		fields = binary.LittleEndian.AppendUint16(fields, uint16(len(it)))
		fields = binary.LittleEndian.AppendUint32(fields, uint32(base+len(payload)))
		payload = append(payload, it...)
	}
	return
}

func smb2SessionSetupReq(blob []byte) []byte {
	b := []byte{25, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 64 + 24, 0}
	b = binary.LittleEndian.AppendUint16(b, uint16(len(blob)))
	b = append(b, make([]byte, 8)...)
	return append(b, blob...)
}

func smb2SessionSetupResp(blob []byte) []byte {
	b := []byte{9, 0, 0, 0, 64 + 8, 0}
	b = binary.LittleEndian.AppendUint16(b, uint16(len(blob)))
	return append(b, blob...)
}

func smbScenario(p *Plant) {
	verClient := []byte{10, 0, 0x61, 0x4a, 0, 0, 0, 15} // 10.0 build 19041
	verServer := []byte{10, 0, 0x63, 0x45, 0, 0, 0, 15} // 10.0 build 17763
	const flags = 0xe2888235
	k := p.TCP(EWS, Historian, 445)
	k.MSS = 1460
	dialects := []uint16{0x0202, 0x0210, 0x0300, 0x0302, 0x0311}
	neg := []byte{36, 0, byte(len(dialects)), 0, 1, 0, 0, 0, 0x7f, 0, 0, 0}
	neg = append(neg, itOpaque("client-guid", 16)...)
	neg = append(neg, make([]byte, 8)...)
	for _, d := range dialects {
		neg = binary.LittleEndian.AppendUint16(neg, d)
	}
	negr := []byte{65, 0, 3, 0, 0x11, 0x03, 0, 0}
	negr = append(negr, itOpaque("server-guid", 16)...)
	negr = binary.LittleEndian.AppendUint32(negr, 0x2f)
	for range 3 {
		negr = binary.LittleEndian.AppendUint32(negr, 8<<20)
	}
	negr = append(negr, make([]byte, 16)...)
	negr = append(negr, 128, 0, 0, 0, 0, 0, 0, 0)
	k.Exchange(smb2Message(0, false, 0, 0, 0, 0, neg), smb2Message(0, true, 0, 0, 0, 0, negr))

	ntlmNeg := append([]byte("NTLMSSP\x00\x01\x00\x00\x00\x97\x82\x08\xe2"), make([]byte, 16)...)
	ntlmNeg = append(ntlmNeg, verClient...)
	info := append(ntlmAVPair(2, ntlmUTF16("PLANT")), ntlmAVPair(1, ntlmUTF16("HISTORIAN"))...)
	info = append(info, ntlmAVPair(4, ntlmUTF16("plant.local"))...)
	info = append(info, ntlmAVPair(3, ntlmUTF16("historian.plant.local"))...)
	info = append(info, ntlmAVPair(5, ntlmUTF16("plant.local"))...)
	info = append(info, ntlmAVPair(7, []byte{0, 0x80, 0x3e, 0xd5, 0xde, 0xb1, 0x9d, 0x01})...)
	info = append(info, ntlmAVPair(0, nil)...)
	target := ntlmUTF16("PLANT")
	chal := []byte("NTLMSSP\x00\x02\x00\x00\x00")
	chal = binary.LittleEndian.AppendUint16(chal, uint16(len(target)))
	chal = binary.LittleEndian.AppendUint16(chal, uint16(len(target)))
	chal = binary.LittleEndian.AppendUint32(chal, 56)
	chal = binary.LittleEndian.AppendUint32(chal, flags)
	chal = append(chal, itOpaque("server-challenge", 8)...)
	chal = append(chal, make([]byte, 8)...)
	chal = binary.LittleEndian.AppendUint16(chal, uint16(len(info)))
	chal = binary.LittleEndian.AppendUint16(chal, uint16(len(info)))
	chal = binary.LittleEndian.AppendUint32(chal, uint32(56+len(target)))
	chal = append(chal, verServer...)
	chal = append(append(chal, target...), info...)
	const sess = 0x0000400000000011
	k.Exchange(smb2Message(1, false, 0, 1, 0, 0, smb2SessionSetupReq(ntlmNeg)), smb2Message(1, true, 0xc0000016, 1, sess, 0, smb2SessionSetupResp(chal)))

	ntv2 := append(itOpaque("ntproof", 16), 1, 1, 0, 0, 0, 0, 0, 0)  // NTProofStr, RespType, HiRespType, reserved
	ntv2 = append(ntv2, 0, 0x80, 0x3e, 0xd5, 0xde, 0xb1, 0x9d, 0x01) // timestamp
	ntv2 = append(ntv2, itOpaque("client-challenge", 8)...)
	ntv2 = append(ntv2, 0, 0, 0, 0)
	ntv2 = append(ntv2, info...) // the server's target info, echoed, ending in MsvAvEOL
	ntv2 = append(ntv2, 0, 0, 0, 0)
	fields, payload := ntlmFieldList(88, make([]byte, 24), ntv2, ntlmUTF16("PLANT"), ntlmUTF16("engineer"), ntlmUTF16("EWS-1"), itOpaque("key", 16))
	auth := append([]byte("NTLMSSP\x00\x03\x00\x00\x00"), fields...)
	auth = binary.LittleEndian.AppendUint32(auth, flags)
	auth = append(auth, verClient...)
	auth = append(auth, itOpaque("mic", 16)...)
	auth = append(auth, payload...)
	k.Exchange(smb2Message(1, false, 0, 2, sess, 0, smb2SessionSetupReq(auth)), smb2Message(1, true, 0, 2, sess, 0, smb2SessionSetupResp(nil)))

	// Back up a project archive to the historian's share.
	data := itOpaque("project-backup", 48<<10)
	write := []byte{49, 0, 64 + 48, 0}
	write = binary.LittleEndian.AppendUint32(write, uint32(len(data)))
	write = append(write, make([]byte, 8)...)
	write = append(write, itOpaque("fileid", 16)...)
	write = append(write, make([]byte, 16)...)
	write = append(write, data...)
	k.Exchange(smb2Message(9, false, 0, 3, sess, 5, write), smb2Message(9, true, 0, 3, sess, 5, []byte{17, 0, 0, 0, 0, 0x80, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0}))
	k.Close()
}
