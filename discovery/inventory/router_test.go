package inventory

import (
	"testing"

	"github.com/otzone/otzone/discovery"
)

// The demo plant's endpoint convention (testdata/gen/plant.go l2, it.go
// names and NTP scenarios): a routed packet carries the router's MAC
// (00:1b:54:10:00:01) with the remote IP (the domain controller
// 192.168.1.10), so the engine's Flow.Server for HMI -> DC is (router MAC,
// 192.168.1.10) and the dissectors state the DC's facts on that pair.
func demoRouted() (router, hmi, gps, dcPair discovery.Endpoint, obs []discovery.Observation) {
	router = ep("00:1b:54:10:00:01", "", "")
	hmi = ep("00:0c:29:20:00:21", "10.10.20.21", "")
	gps = ep("00:1b:19:10:00:30", "10.10.10.30", "")
	dcPair = ep("00:1b:54:10:00:01", "192.168.1.10", "")
	vlan := func(e discovery.Endpoint, v string, f uint64) discovery.Observation { return attr(e, "net.vlan", v, f) }
	obs = []discovery.Observation{
		host(ep("00:1b:54:10:00:01", "10.10.10.1", ""), "", 1),
		host(ep("00:1b:54:10:00:01", "10.10.20.1", ""), "", 2),
		host(hmi, "", 3), host(gps, "", 4),
		vlan(router, "10", 1), vlan(router, "20", 2), vlan(hmi, "20", 3), vlan(gps, "10", 4),
		// DNS: HMI asks the DC; the answer comes from (router MAC, DC IP).
		udpFlow(hmi, dcPair, "dns", 53, 469),
		host(dcPair, "", 470), vlan(dcPair, "20", 470),
		discovery.Observation{Kind: discovery.KindService, Time: t0, Evidence: evd(470), Asset: dcPair,
			Protocol: "dns", Transport: "udp", Port: 53, Role: "server"},
		attr(dcPair, "dns.hostname", "dc01.plant.local", 470),
		// NTP: the DC polls the GPS clock; its request comes routed.
		udpFlow(dcPair, gps, "ntp", 123, 488),
		discovery.Observation{Kind: discovery.KindService, Time: t0, Evidence: evd(488), Asset: dcPair,
			Protocol: "ntp", Transport: "udp", Port: 123, Role: "client"},
		attr(gps, "ntp.stratum", "1", 489),
		// A device behind the DC (a sub-address on the same pair).
		attr(ep("00:1b:54:10:00:01", "192.168.1.10", "modbus:unit=3"), "modbus.vendor_name", "Acme", 490),
		// The router's own facts: on its MAC, and on its own address.
		attr(router, "lldp.system_name", "core-router", 5),
		attr(ep("00:1b:54:10:00:01", "10.10.20.1", ""), "dhcp.server_id", "10.10.20.1", 463),
	}
	return
}

func TestRoutedFactsGoToTheRemoteIP(t *testing.T) {
	_, _, _, _, obs := demoRouted()
	for _, sparse := range []bool{false, true} {
		name := "demo"
		o := obs
		if sparse {
			// Only the router's gateway address on the HMI's VLAN and the
			// DNS exchange: the router forwards for no other local MAC.
			name = "sparse"
			o = nil
			for _, x := range obs {
				if x.Kind == discovery.KindHost && x.Asset.IP.String() == "10.10.10.1" ||
					x.Asset.MAC.String() == "00:1b:19:10:00:30" || x.Peer.MAC.String() == "00:1b:19:10:00:30" ||
					x.Key == "net.vlan" && x.Value == "10" {
					continue
				}
				o = append(o, x)
			}
		}
		t.Run(name, func(t *testing.T) {
			inv := build(o...)
			r := byKey(t, inv, "mac:00:1b:54:10:00:01")
			for _, s := range r.Services {
				t.Errorf("router got service %+v", s)
			}
			var names []string
			for _, at := range r.Attributes {
				names = append(names, at.Key)
				if at.Key == "dns.hostname" || at.Key == "modbus.vendor_name" {
					t.Errorf("router got %s=%s", at.Key, at.Value)
				}
			}
			for _, ip := range r.IPs {
				if ip == "192.168.1.10" {
					t.Errorf("router took the remote IP: %v", r.IPs)
				}
			}
			dc := byKey(t, inv, "ip:192.168.1.10")
			var dns, ntp bool
			for _, s := range dc.Services {
				dns = dns || s.Protocol == "dns" && s.Role == "server"
				ntp = ntp || s.Protocol == "ntp" && s.Role == "client"
			}
			if !dns || !ntp && !sparse {
				t.Errorf("DC services %+v", dc.Services)
			}
			if len(dc.Hostnames) != 1 || dc.Hostnames[0] != "dc01.plant.local" {
				t.Errorf("DC hostnames %v", dc.Hostnames)
			}
			if u := byKey(t, inv, "ip:192.168.1.10|modbus:unit=3"); u.Via != dc.ID || u.Vendor != "Acme" {
				t.Errorf("unit behind the DC: via %q vendor %q", u.Via, u.Vendor)
			}
			// The engine's net.vlan of the routed pair is the router's
			// VLAN (it sent the frame), not the remote host's.
			if hasAttr(dc, "net.vlan") {
				t.Errorf("remote host got the router's VLANs: %+v", dc.Attributes)
			}
			if !hasAttr(r, "lldp.system_name") || !hasAttr(r, "dhcp.server_id") {
				t.Errorf("router lost its own facts: %v", names)
			}
		})
	}
}

func hasAttr(a Asset, key string) bool {
	for _, at := range a.Attributes {
		if at.Key == key {
			return true
		}
	}
	return false
}
