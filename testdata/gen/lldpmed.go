package main

import "github.com/gopacket/gopacket/layers"

// Phone is the control room's IP phone (a Cisco OUI); it announces itself
// with LLDP-MED, whose inventory TLVs name its maker, model, firmware and
// serial number (ANSI/TIA-1057 §10.2.6).
var Phone = host("cr-phone-1", "00:1b:54:20:00:70", "10.10.20.70", 20)

func init() {
	register("69-lldp-med", func(p *Plant) {
		med := func(sub byte, v string) []byte {
			return lldpTLV(127, append([]byte{0x00, 0x12, 0xbb, sub}, v...))
		}
		f := lldpScenarioFrame(4, Phone.MAC, 3, Phone.MAC, 180,
			lldpTLV(5, []byte("SEP001B54200070")),
			lldpTLV(6, []byte("Cisco IP Phone 8841, V3, sip88xx.14-1-1MN-58")),
			lldpTLV(7, []byte{0x00, 0x24, 0x00, 0x24}),                                 // bridge and telephone
			lldpTLV(127, []byte{0x00, 0x12, 0xbb, 0x01, 0x00, 0x33, 0x03}),             // MED capabilities; Endpoint Class III
			lldpTLV(127, []byte{0x00, 0x12, 0xbb, 0x02, 0x01, 0x80, 0x0a, 0xe0, 0x2e}), // network policy: voice, VLAN 20, prio 5, DSCP 46
			med(5, "3"), med(6, "sip88xx.14-1-1MN-58"), med(7, "sip88xx.14-1-1MN-58"),
			med(8, "FCH2233A1BC"), med(9, "Cisco Systems, Inc."), med(10, "CP-8841"), med(11, "CR-DESK-04"))
		p.Ether(Phone.MAC, mac("01:80:c2:00:00:0e"), Phone.VLAN, layers.EthernetType(0x88cc), f)
	})
}
