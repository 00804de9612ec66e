package inventory

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/otzone/otzone/discovery"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func ep(mac, ip, sub string) discovery.Endpoint {
	var e discovery.Endpoint
	if mac != "" {
		m, err := discovery.ParseMAC(mac)
		if err != nil {
			panic(err)
		}
		e.MAC = m
	}
	if ip != "" {
		e.IP = netip.MustParseAddr(ip)
	}
	e.Sub = sub
	return e
}

func evd(frame uint64) discovery.Evidence {
	return discovery.Evidence{Kind: "pcap", Name: "t.pcap", Frame: frame}
}

func host(e discovery.Endpoint, proto string, frame uint64) discovery.Observation {
	return discovery.Observation{Kind: discovery.KindHost, Time: t0.Add(time.Duration(frame) * time.Second),
		Evidence: evd(frame), Asset: e, Protocol: proto, Packets: 1}
}

func attr(e discovery.Endpoint, k, v string, frame uint64) discovery.Observation {
	return discovery.Observation{Kind: discovery.KindAttribute, Time: t0.Add(time.Duration(frame) * time.Second),
		Evidence: evd(frame), Asset: e, Key: k, Value: v}
}

func flow(c, s discovery.Endpoint, proto string, port uint16, pk, by uint64, frame uint64) discovery.Observation {
	return discovery.Observation{Kind: discovery.KindFlow, Time: t0.Add(time.Duration(frame) * time.Second),
		Evidence: evd(frame), Asset: c, Peer: s, Protocol: proto, Transport: "tcp", Port: port, Packets: pk, Bytes: by}
}

func build(obs ...discovery.Observation) *Inventory {
	b := NewBuilder("")
	for _, o := range obs {
		b.Add(o)
	}
	return Build(b.Drain(), BuildOptions{Now: t0, NoOUI: true})
}

func byKey(t *testing.T, inv *Inventory, key string) Asset {
	t.Helper()
	for _, a := range inv.Assets {
		if a.Key == key {
			return a
		}
	}
	var keys []string
	for _, a := range inv.Assets {
		keys = append(keys, a.Key)
	}
	t.Fatalf("no asset %q; have %v", key, keys)
	return Asset{}
}

func TestAssetIDStable(t *testing.T) {
	// Derived independently: printf 'mac:00:0c:29:aa:bb:cc' | sha256sum | cut -c1-12
	if got := AssetID("mac:00:0c:29:aa:bb:cc"); got != "0391a2bb8f4c" {
		t.Errorf("AssetID = %s", got)
	}
	if got := AssetID("ip:10.0.0.5"); got != "80177af0d04e" {
		t.Errorf("AssetID = %s", got)
	}
}

func TestBuildMergesIPsOfOneMAC(t *testing.T) {
	plc := "00:80:f4:10:00:11"
	inv := build(
		host(ep(plc, "10.10.10.11", ""), "arp", 1),
		host(ep(plc, "10.10.10.111", ""), "ip", 2),
		// Seen without a MAC (a raw-IP capture): merges by IP into the MAC asset.
		attr(ep("", "10.10.10.11", ""), "modbus.unit_id", "1", 3),
	)
	if len(inv.Assets) != 1 {
		t.Fatalf("want 1 asset, got %d: %+v", len(inv.Assets), inv.Assets)
	}
	a := inv.Assets[0]
	if a.Key != "mac:"+plc || a.ID != AssetID("mac:"+plc) {
		t.Errorf("key %q id %q", a.Key, a.ID)
	}
	if diff := cmp.Diff([]string{"10.10.10.11", "10.10.10.111"}, a.IPs); diff != "" {
		t.Errorf("ips (-want +got):\n%s", diff)
	}
	if len(a.Attributes) != 1 || a.Attributes[0].Source != "pcap:t.pcap#frame=3" {
		t.Errorf("attributes %+v", a.Attributes)
	}
	if !a.FirstSeen.Equal(t0.Add(time.Second)) || !a.LastSeen.Equal(t0.Add(3*time.Second)) {
		t.Errorf("seen %v..%v", a.FirstSeen, a.LastSeen)
	}
	if a.DeviceType != "unknown" || a.PurdueLevel != nil {
		t.Errorf("device_type %q purdue %v: left to the rules engine", a.DeviceType, a.PurdueLevel)
	}
}

func TestBuildRouterNotMerged(t *testing.T) {
	router := "00:1b:54:10:00:01"
	local := "00:0c:29:20:00:21"
	obs := []discovery.Observation{
		host(ep(router, "10.10.10.1", ""), "arp", 1),
		host(ep(router, "10.10.20.1", ""), "arp", 2),
		host(ep(local, "10.10.10.21", ""), "arp", 3),
	}
	// 12 routed hosts arrive with the router's MAC.
	for i := 0; i < 12; i++ {
		ip := fmt.Sprintf("192.168.1.%d", 10+i)
		obs = append(obs, host(ep(router, ip, ""), "ip", uint64(10+i)))
		obs = append(obs, flow(ep(router, ip, ""), ep(local, "10.10.10.21", ""), "modbus", 502, 2, 128, uint64(10+i)))
	}
	inv := build(obs...)
	if len(inv.Assets) != 14 {
		t.Fatalf("want router + local + 12 routed = 14 assets, got %d", len(inv.Assets))
	}
	r := byKey(t, inv, "mac:"+router)
	if diff := cmp.Diff([]string{"10.10.10.1", "10.10.20.1"}, r.IPs); diff != "" {
		t.Errorf("router keeps only its own (ARP) IPs (-want +got):\n%s", diff)
	}
	routed := byKey(t, inv, "ip:192.168.1.15")
	if len(routed.MACs) != 0 || len(routed.IPs) != 1 || routed.IPs[0] != "192.168.1.15" {
		t.Errorf("routed asset %+v", routed)
	}
	if len(inv.Communications) != 12 {
		t.Fatalf("want 12 communications, got %d", len(inv.Communications))
	}
	srv := AssetID("mac:" + local)
	for _, c := range inv.Communications {
		if c.Server != srv || c.Client == AssetID("mac:"+router) || c.Packets != 2 || c.Bytes != 128 {
			t.Errorf("communication %+v", c)
		}
	}
}

func TestBuildRouterByAttribute(t *testing.T) {
	sw := "00:1b:54:10:00:02"
	inv := build(
		host(ep(sw, "10.0.0.1", ""), "arp", 1),
		host(ep(sw, "172.16.0.9", ""), "ip", 2),
		attr(ep(sw, "", ""), "lldp.system_capabilities", "bridge, router", 3),
	)
	byKey(t, inv, "mac:"+sw)
	byKey(t, inv, "ip:172.16.0.9")
}

func TestBuildSubDevicesVia(t *testing.T) {
	gw := "00:01:f0:10:00:15"
	inv := build(
		host(ep(gw, "10.10.10.15", ""), "arp", 1),
		attr(ep(gw, "10.10.10.15", "bacnet:net=5,adr=0a"), "bacnet.vendor_name", "Acme Controls", 2),
		attr(ep(gw, "10.10.10.15", "bacnet:net=5,adr=0b"), "bacnet.device_instance", "1002", 3),
		attr(ep(gw, "10.10.10.15", ""), "bacnet.device_instance", "1000", 4),
	)
	if len(inv.Assets) != 3 {
		t.Fatalf("want gateway + 2 devices, got %d", len(inv.Assets))
	}
	g := byKey(t, inv, "mac:"+gw)
	d := byKey(t, inv, "mac:"+gw+"|bacnet:net=5,adr=0a")
	if d.Via != g.ID || g.Via != "" {
		t.Errorf("via: device %q gateway id %q", d.Via, g.ID)
	}
	if len(d.IPs) != 0 || len(d.MACs) != 0 {
		t.Errorf("sub device must not claim the gateway's addresses: %+v %+v", d.IPs, d.MACs)
	}
	if d.Vendor != "Acme Controls" || g.Vendor != "" {
		t.Errorf("vendor: device %q gateway %q", d.Vendor, g.Vendor)
	}
	if len(g.Attributes) != 1 || g.Attributes[0].Value != "1000" {
		t.Errorf("gateway attributes %+v", g.Attributes)
	}
}

func TestBuildRawIPHosts(t *testing.T) {
	inv := build(
		flow(ep("", "10.0.0.5", ""), ep("", "10.0.0.6", ""), "unknown", 9999, 3, 300, 1),
		flow(ep("", "10.0.0.5", ""), ep("", "255.255.255.255", ""), "unknown", 47808, 1, 60, 2),
	)
	if len(inv.Assets) != 2 {
		t.Fatalf("want 2 IP-keyed assets, got %+v", inv.Assets)
	}
	a := byKey(t, inv, "ip:10.0.0.5")
	if a.ID != "80177af0d04e" {
		t.Errorf("id %s", a.ID)
	}
	byKey(t, inv, "ip:10.0.0.6")
	if len(inv.Communications) != 2 {
		t.Fatalf("communications %+v", inv.Communications)
	}
	var bc bool
	for _, c := range inv.Communications {
		if c.Server == "broadcast:255.255.255.255" {
			bc = true
		}
	}
	if !bc {
		t.Errorf("broadcast communication lost: %+v", inv.Communications)
	}
}

func TestBuildVendorAuthority(t *testing.T) {
	plc := "00:00:bc:10:00:12"
	e := ep(plc, "10.10.10.12", "")
	b := NewBuilder("")
	b.Add(host(e, "arp", 1))
	b.Add(attr(e, "dhcp.vendor_class", "udhcp 1.2", 2))
	b.Add(attr(e, "enip.vendor_name", "Rockwell Automation/Allen-Bradley", 3))
	b.Add(attr(e, "enip.revision", "20.11", 4))
	b.Add(attr(e, "enip.revision", "20.11", 5))
	b.Add(attr(e, "enip.revision", "21.3", 6)) // a firmware update mid-capture: both kept
	b.Add(attr(e, "enip.product_name", "1756-L61/B LOGIX5561", 7))
	inv := Build(b.Drain(), BuildOptions{Now: t0}) // with the OUI lookup
	a := inv.Assets[0]
	if a.Vendor != "Rockwell Automation/Allen-Bradley" {
		t.Errorf("vendor %q", a.Vendor)
	}
	var from []string
	for _, fv := range a.Fields["vendor"] {
		from = append(from, fmt.Sprintf("%s=%v", fv.From, fv.Chosen))
	}
	// gopacket's OUI table names 00:00:bc; it must be a losing candidate.
	// "udhcp 1.2" names busybox's DHCP client, not a maker: below the OUI.
	if diff := cmp.Diff([]string{"enip.vendor_name=true", "oui.vendor=false", "dhcp.vendor_class=false"}, from); diff != "" {
		t.Errorf("vendor candidates (-want +got):\n%s", diff)
	}
	if a.Firmware != "20.11" || len(a.Fields["firmware"]) != 2 {
		t.Errorf("firmware %q candidates %+v (the value seen most wins; both kept)", a.Firmware, a.Fields["firmware"])
	}
	if a.Model != "1756-L61/B LOGIX5561" {
		t.Errorf("model %q", a.Model)
	}
	var oui *Attribute
	for i := range a.Attributes {
		if a.Attributes[i].Key == "oui.vendor" {
			oui = &a.Attributes[i]
		}
	}
	if oui == nil || oui.Confidence != OUIConfidence || !strings.HasPrefix(oui.Source, "oui:00:00:bc") {
		t.Errorf("oui attribute %+v", oui)
	}
}

func TestBuildOUIOnlyVendor(t *testing.T) {
	// 00:0c:29 is VMware's OUI (IEEE registry).
	inv := Build(func() *Rows {
		b := NewBuilder("")
		b.Add(host(ep("00:0c:29:aa:bb:cc", "10.0.0.9", ""), "arp", 1))
		return b.Drain()
	}(), BuildOptions{Now: t0})
	if !strings.Contains(strings.ToLower(inv.Assets[0].Vendor), "vmware") {
		t.Errorf("vendor %q", inv.Assets[0].Vendor)
	}
}

func TestBuildHostnamesAndServices(t *testing.T) {
	hmi := ep("00:0c:29:20:00:21", "10.10.20.21", "")
	plc := ep("00:80:f4:10:00:11", "10.10.10.11", "")
	inv := build(
		attr(hmi, "dhcp.hostname", "hmi-1", 1),
		attr(plc, "profinet.station_name", "plc-1", 2),
		flow(hmi, plc, "modbus", 502, 10, 1000, 3),
		discovery.Observation{Kind: discovery.KindOperation, Time: t0, Evidence: evd(4), Asset: hmi, Peer: plc,
			Protocol: "modbus", Transport: "tcp", Port: 502, Op: discovery.Operation{Code: 3, Name: "read_holding_registers", Class: discovery.OpRead}},
		discovery.Observation{Kind: discovery.KindOperation, Time: t0, Evidence: evd(5), Asset: hmi, Peer: plc,
			Protocol: "modbus", Transport: "tcp", Port: 502, Op: discovery.Operation{Code: 3, Name: "read_holding_registers", Class: discovery.OpRead}},
		discovery.Observation{Kind: discovery.KindService, Time: t0, Evidence: evd(6), Asset: plc,
			Protocol: "modbus", Transport: "tcp", Port: 502, Role: "server"},
		discovery.Observation{Kind: discovery.KindCommAttribute, Time: t0, Evidence: evd(7), Asset: hmi, Peer: plc,
			Protocol: "modbus", Transport: "tcp", Port: 502, Key: "encrypted", Value: "false"},
	)
	h := byKey(t, inv, "mac:00:0c:29:20:00:21")
	p := byKey(t, inv, "mac:00:80:f4:10:00:11")
	if diff := cmp.Diff([]string{"hmi-1"}, h.Hostnames); diff != "" {
		t.Errorf("hostnames: %s", diff)
	}
	if diff := cmp.Diff([]string{"plc-1"}, p.Hostnames); diff != "" {
		t.Errorf("hostnames: %s", diff)
	}
	if len(p.Services) != 1 || p.Services[0].Role != "server" || p.Services[0].Source != "pcap:t.pcap#frame=6" {
		t.Errorf("plc services %+v", p.Services)
	}
	if len(h.Services) != 1 || h.Services[0].Role != "client" || h.Services[0].Port != 502 {
		t.Errorf("hmi services (derived from the communication) %+v", h.Services)
	}
	if len(inv.Communications) != 1 {
		t.Fatalf("communications %+v", inv.Communications)
	}
	c := inv.Communications[0]
	if c.Client != h.ID || c.Server != p.ID || c.Packets != 10 || c.Bytes != 1000 {
		t.Errorf("communication %+v", c)
	}
	want := []Operation{{Code: 3, Name: "read_holding_registers", Class: "read", Count: 2, Source: "pcap:t.pcap#frame=4"}}
	if diff := cmp.Diff(want, c.Operations); diff != "" {
		t.Errorf("operations (-want +got):\n%s", diff)
	}
	if len(c.Attributes) != 1 || c.Attributes[0].Key != "encrypted" {
		t.Errorf("comm attributes %+v", c.Attributes)
	}
}

func TestBuilderDrainAndClean(t *testing.T) {
	b := NewBuilder("site-a")
	e := ep("00:0c:29:aa:bb:cc", "10.0.0.5", "")
	b.Add(attr(e, "dhcp.hostname", "evil\x1b[31mred\r\nname", 1))
	b.Add(attr(e, "dhcp.hostname", strings.Repeat("x", 1000), 2))
	b.Add(discovery.Observation{Kind: discovery.KindAttribute}) // names nothing
	if b.Pending() != 2 || b.Dropped() != 1 || b.Observations() != 3 {
		t.Fatalf("pending %d dropped %d obs %d", b.Pending(), b.Dropped(), b.Observations())
	}
	r := b.Drain()
	if b.Pending() != 0 || len(b.Drain().Attributes) != 0 {
		t.Fatal("drain must start a new delta")
	}
	var vals []string
	for _, a := range r.Attributes {
		if a.Site != "site-a" {
			t.Errorf("site %q", a.Site)
		}
		vals = append(vals, a.Value)
	}
	for _, v := range vals {
		if strings.ContainsAny(v, "\x1b\r\n") || len(v) > MaxValueLen {
			t.Errorf("value not cleaned: %q", v)
		}
	}
}

func TestSeenMergeKeepsFirstEvidence(t *testing.T) {
	s := Seen{Count: 2, FirstSeen: t0.Add(time.Hour), LastSeen: t0.Add(2 * time.Hour), Source: "late"}
	s.Merge(Seen{Count: 3, FirstSeen: t0, LastSeen: t0.Add(time.Minute), Source: "early"})
	want := Seen{Count: 5, FirstSeen: t0, LastSeen: t0.Add(2 * time.Hour), Source: "early"}
	if s != want {
		t.Errorf("got %+v", s)
	}
}

func TestBuildInterVLANRouterWithoutARPTags(t *testing.T) {
	// The demo plant's shape: a router on a trunk SPAN relays traffic of
	// hosts whose own MACs are also seen, plus a few remote hosts. Only 5
	// IPs, so the > 8 rule does not fire; forwarding for two other MACs'
	// IPs does. Host observations carry no protocol (no "arp" tag).
	router := "00:1b:54:10:00:01"
	hmi, plc := "00:0c:29:20:00:21", "00:80:f4:10:00:11"
	inv := build(
		host(ep(router, "10.10.10.1", ""), "", 1),
		host(ep(router, "10.10.20.1", ""), "", 2),
		host(ep(hmi, "10.10.20.21", ""), "", 3),
		host(ep(plc, "10.10.10.11", ""), "", 4),
		host(ep(router, "10.10.20.21", ""), "", 5), // HMI's packet routed onto VLAN 10
		host(ep(router, "10.10.10.11", ""), "", 6), // PLC's reply routed onto VLAN 20
		host(ep(router, "192.168.1.50", ""), "", 7),
	)
	r := byKey(t, inv, "mac:"+router)
	if diff := cmp.Diff([]string{"10.10.10.1", "10.10.20.1"}, r.IPs); diff != "" {
		t.Errorf("router IPs (-want +got):\n%s", diff)
	}
	h := byKey(t, inv, "mac:"+hmi)
	if diff := cmp.Diff([]string{"10.10.20.21"}, h.IPs); diff != "" {
		t.Errorf("hmi IPs: %s", diff)
	}
	byKey(t, inv, "ip:192.168.1.50")
	if len(inv.Assets) != 4 {
		t.Errorf("want router, hmi, plc, remote: %d assets", len(inv.Assets))
	}
}

func TestBuildNextHopDestination(t *testing.T) {
	// Captured on a trunk: SCADA (VLAN 20) sends to the RTU (VLAN 10)
	// through the router, so the request's destination pair is (router
	// MAC, RTU IP); the RTU's own frames bind its IP to its MAC.
	// testdata/gen/dnp3.go builds exactly this (frames 23-36 of the demo).
	router, scada, rtu, quiet := "00:1b:54:10:00:01", "00:0c:29:20:00:23", "00:50:c2:10:00:14", "00:0c:29:99:99:99"
	inv := build(
		host(ep(router, "10.10.20.1", ""), "", 1),
		host(ep(scada, "10.10.20.23", ""), "", 2),
		host(ep(rtu, "10.10.10.14", ""), "", 3),
		flow(ep(scada, "10.10.20.23", ""), ep(router, "10.10.10.14", ""), "dnp3", 20000, 5, 500, 4),
		// A routed destination nobody local owns: an IP-keyed asset.
		flow(ep(scada, "10.10.20.23", ""), ep(router, "192.0.2.7", ""), "unknown", 443, 1, 60, 5),
		// A host that never sends: its destination pair is its own.
		flow(ep(scada, "10.10.20.23", ""), ep(quiet, "10.10.20.99", ""), "unknown", 80, 1, 60, 6),
	)
	r := byKey(t, inv, "mac:"+router)
	if diff := cmp.Diff([]string{"10.10.20.1"}, r.IPs); diff != "" {
		t.Errorf("router IPs (-want +got):\n%s", diff)
	}
	rt := byKey(t, inv, "mac:"+rtu)
	byKey(t, inv, "ip:192.0.2.7")
	q := byKey(t, inv, "mac:"+quiet)
	if diff := cmp.Diff([]string{"10.10.20.99"}, q.IPs); diff != "" {
		t.Errorf("quiet host IPs: %s", diff)
	}
	var found bool
	for _, c := range inv.Communications {
		if c.Protocol == "dnp3" {
			found = true
			if c.Server != rt.ID {
				t.Errorf("dnp3 server %s, want the RTU %s", c.Server, rt.ID)
			}
		}
	}
	if !found {
		t.Error("no dnp3 communication")
	}
}

func TestBuildGroupDestinations(t *testing.T) {
	c := ep("00:01:f0:10:00:15", "10.10.10.15", "")
	inv := build(
		host(c, "", 1),
		// BACnet Who-Is to the subnet-directed broadcast, Ethernet broadcast.
		flow(c, ep("ff:ff:ff:ff:ff:ff", "10.10.10.255", ""), "bacnet", 47808, 1, 60, 2),
		// PROFINET DCP Identify to its multicast MAC (layer 2, no IP).
		flow(c, ep("01:0e:cf:00:00:00", "", ""), "profinet_dcp", 0, 1, 60, 3),
	)
	if len(inv.Assets) != 1 {
		t.Fatalf("group destinations must not become assets: %+v", inv.Assets)
	}
	var servers []string
	for _, cm := range inv.Communications {
		servers = append(servers, cm.Server)
	}
	if diff := cmp.Diff([]string{"broadcast:10.10.10.255", "multicast:01:0e:cf:00:00:00"}, servers); diff != "" {
		t.Errorf("servers (-want +got):\n%s", diff)
	}
}

func TestBuildOneSidedGateway(t *testing.T) {
	// bacnet_example.pcap's shape: every frame goes from MAC A to MAC B;
	// A sends from 40 IPs (a router), B never sends, so B is the next hop
	// for every destination and owns none of them.
	a, b := "d4:6a:6a:56:98:17", "2c:30:33:d3:15:44"
	var obs []discovery.Observation
	for i := 0; i < 10; i++ {
		ip := fmt.Sprintf("172.20.32.%d", 50+i)
		obs = append(obs, host(ep(a, ip, ""), "", uint64(i+1)))
		obs = append(obs, flow(ep(a, ip, ""), ep(b, "172.20.32.200", ""), "bacnet", 47808, 1, 60, uint64(i+1)))
		obs = append(obs, flow(ep(a, "172.20.32.200", ""), ep(b, fmt.Sprintf("172.20.32.%d", 100+i), ""), "bacnet", 47808, 1, 60, uint64(i+1)))
	}
	inv := build(obs...)
	for _, as := range inv.Assets {
		if len(as.MACs) > 0 && len(as.IPs) > 0 {
			t.Errorf("%s: a gateway MAC took IPs %v", as.Key, as.IPs)
		}
	}
	// A sends, so it is an asset (with no IP of its own); B never sent.
	if ra := byKey(t, inv, "mac:"+a); len(ra.MACs) != 1 {
		t.Errorf("router asset %+v", ra)
	}
	for _, as := range inv.Assets {
		if as.Key == "mac:"+b {
			t.Errorf("the silent next hop became an asset")
		}
	}
	byKey(t, inv, "ip:172.20.32.200")
	byKey(t, inv, "ip:172.20.32.105")
	byKey(t, inv, "ip:172.20.32.55")
}
