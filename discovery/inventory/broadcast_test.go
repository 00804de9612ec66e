package inventory

import (
	"fmt"
	"testing"

	"github.com/otzone/otzone/discovery"
)

func udpFlow(c, s discovery.Endpoint, proto string, port uint16, frame uint64) discovery.Observation {
	o := flow(c, s, proto, port, 1, 60, frame)
	o.Transport = "udp"
	return o
}

func servers(inv *Inventory) map[string]bool {
	out := map[string]bool{}
	for _, c := range inv.Communications {
		out[c.Server] = true
	}
	return out
}

func keys(inv *Inventory) []string {
	var out []string
	for _, a := range inv.Assets {
		out = append(out, a.Key)
	}
	return out
}

func hasIP(inv *Inventory, ip string) bool {
	for _, a := range inv.Assets {
		for _, x := range a.IPs {
			if x == ip {
				return true
			}
		}
	}
	return false
}

func TestBuildDirectedBroadcastWithUnicastMAC(t *testing.T) {
	// bacnet_example.pcap's shape: every frame goes from MAC A to MAC B;
	// frame 72 is a Who-Is from 172.20.32.200 to 172.20.32.255, frames 74
	// and 76 I-Ams from .108 and .107 to the same address.
	a, b := "d4:6a:6a:56:98:17", "2c:30:33:d3:15:44"
	var obs []discovery.Observation
	for i := 0; i < 10; i++ {
		ip := fmt.Sprintf("172.20.32.%d", 100+i)
		obs = append(obs, host(ep(a, ip, ""), "", uint64(i+1)))
		obs = append(obs, udpFlow(ep(a, "172.20.32.200", ""), ep(b, ip, ""), "bacnet", 47808, uint64(i+1)))
	}
	obs = append(obs,
		host(ep(a, "172.20.32.200", ""), "", 71),
		udpFlow(ep(a, "172.20.32.200", ""), ep(b, "172.20.32.255", ""), "bacnet", 47808, 72),
		udpFlow(ep(a, "172.20.32.108", ""), ep(b, "172.20.32.255", ""), "bacnet", 47808, 74),
		udpFlow(ep(a, "172.20.32.107", ""), ep(b, "172.20.32.255", ""), "bacnet", 47808, 76),
		// A dissector fact about the broadcast address is dropped too.
		discovery.Observation{Kind: discovery.KindService, Evidence: evd(72), Asset: ep(b, "172.20.32.255", ""),
			Protocol: "bacnet", Transport: "udp", Port: 47808, Role: "server"},
	)
	inv := build(obs...)
	if hasIP(inv, "172.20.32.255") {
		t.Errorf("the directed broadcast became an asset: %v", keys(inv))
	}
	if !servers(inv)["broadcast:172.20.32.255"] {
		t.Errorf("discovery traffic to the broadcast lost: %v", servers(inv))
	}
	byKey(t, inv, "ip:172.20.32.200")
	byKey(t, inv, "ip:172.20.32.108")
}

func TestBuildDirectedBroadcastKeepsRealHosts(t *testing.T) {
	pn := ep("00:0e:8c:10:00:16", "10.0.2.16", "")
	inv := build(
		host(ep("", "10.0.1.5", ""), "", 1),
		host(ep("", "10.0.1.6", ""), "", 2),
		// A syslog collector at .255 (a /23) heard one way: UDP from many,
		// never a source, but not discovery traffic: a host.
		udpFlow(ep("", "10.0.1.5", ""), ep("", "10.0.1.255", ""), "unknown", 514, 3),
		udpFlow(ep("", "10.0.1.6", ""), ep("", "10.0.1.255", ""), "unknown", 514, 4),
		// TCP to .255: only a host accepts a connection.
		flow(ep("", "10.0.1.5", ""), ep("", "10.0.5.255", ""), "modbus", 502, 2, 120, 5),
		// .255 that speaks is a host whatever it receives.
		host(ep("00:0c:29:00:00:ff", "10.0.1.254", ""), "", 6),
		host(ep("00:0c:29:00:01:ff", "10.0.6.255", ""), "", 7),
		udpFlow(ep("", "10.0.1.5", ""), ep("00:0c:29:00:01:ff", "10.0.6.255", ""), "bacnet", 47808, 8),
		// A PROFINET device states its subnet: 10.0.2.0/23.
		host(pn, "", 9),
		attr(ep(pn.MAC.String(), "", ""), "profinet.ip", "10.0.2.16", 10),
		attr(ep(pn.MAC.String(), "", ""), "profinet.netmask", "255.255.254.0", 10),
		// 10.0.2.255 is a host address of that /23 even though it only
		// receives BACnet here; 10.0.3.255 is its broadcast, whatever the port.
		udpFlow(pn, ep("", "10.0.2.255", ""), "bacnet", 47808, 11),
		udpFlow(pn, ep("", "10.0.3.255", ""), "unknown", 9999, 12),
		// No local host in 10.0.7.0/24: an address ending in 255 there is
		// not known to be a broadcast.
		udpFlow(ep("", "10.0.1.5", ""), ep("", "10.0.7.255", ""), "bacnet", 47808, 13),
	)
	for _, ip := range []string{"10.0.1.255", "10.0.5.255", "10.0.6.255", "10.0.2.255", "10.0.7.255"} {
		if !hasIP(inv, ip) {
			t.Errorf("host %s dropped as a broadcast", ip)
		}
	}
	if hasIP(inv, "10.0.3.255") || !servers(inv)["broadcast:10.0.3.255"] {
		t.Errorf("10.0.3.255 is the stated /23's broadcast: servers %v", servers(inv))
	}
}

func TestMaskBits(t *testing.T) {
	for _, c := range []struct {
		in   string
		bits int
		ok   bool
	}{
		{"255.255.255.0", 24, true}, {"255.255.254.0", 23, true}, {"255.255.255.252", 30, true},
		{"255.255.255.254", 31, false}, {"255.0.255.0", 0, false}, {"0.0.0.0", 0, false},
		{"23", 23, true}, {"/16", 16, true}, {"33", 33, false}, {"x", 0, false}, {"", 0, false},
	} {
		bits, ok := maskBits(c.in)
		if ok != c.ok || (ok && bits != c.bits) {
			t.Errorf("maskBits(%q) = %d, %v; want %d, %v", c.in, bits, ok, c.bits, c.ok)
		}
	}
}
