package main

// The base scenario: ARP on every VLAN so each local host binds its MAC and IP.
func init() {
	register("00-arp", func(p *Plant) {
		for _, h := range []*Host{PLCModbus, PLCENIP, PLCS7, RTUDNP3, BACnetCtl, PNDevice, RTU104} {
			p.ARP(Router, h)
		}
		gw20 := &Host{Name: "gw20", MAC: Router.MAC, IP: []byte{10, 10, 20, 1}, VLAN: 20}
		for _, h := range []*Host{HMI, EWS, SCADA} {
			p.ARP(h, gw20)
		}
		gw30 := &Host{Name: "gw30", MAC: Router.MAC, IP: []byte{10, 10, 30, 1}, VLAN: 30}
		p.ARP(Historian, gw30)
	})
}
