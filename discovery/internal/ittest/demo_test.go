package ittest_test

import (
	"slices"
	"testing"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/internal/ittest"
	"github.com/otzone/otzone/internal/testutil"
)

// testdata/fixtures/ittest/demo_it.pcapng holds the IT scenarios of the demo plant generator
// (testdata/gen/it.go), made with:
//
//	for s in 60-lldp-cdp 61-dhcp 62-names 63-ntp 64-snmp 65-web 66-remote 67-smb; do
//	  go run ./testdata/gen -only $s -o /tmp/it-$s.pcapng; done
//	mergecap -a -F pcapng -w discovery/internal/ittest/testdata/fixtures/ittest/demo_it.pcapng /tmp/it-6*.pcapng
//
// tshark 4.0 decodes every frame of it without a malformed or warning
// expert item; the expected values below are the ones its decode shows (and
// the generator wrote).
func TestDemoPlant(t *testing.T) {
	frames := testutil.ReadFrames(t, testutil.Fixture("ittest", "demo_it.pcapng"))
	set, err := discovery.NewSetOf(factories(itDissectors())...)
	if err != nil {
		t.Fatal(err)
	}
	h := &ittest.Harness{T: t}
	eng := discovery.NewEngine(set, func(o discovery.Observation) { h.Obs = append(h.Obs, o) }, discovery.EngineOptions{})
	for _, f := range frames {
		eng.Packet(f.Data, f.CI, f.LinkType, discovery.Evidence{Kind: "pcap", Name: "demo_it.pcapng", Frame: uint64(f.Number)})
	}
	eng.Close()
	if st := eng.Stats(); st.DissectorErrors != 0 || st.DissectorPanics != 0 {
		t.Errorf("engine: %d dissector errors, %d panics", st.DissectorErrors, st.DissectorPanics)
	}
	h.CheckObservations()
	const (
		sw, plcMAC, laptop                      = "00:1b:54:10:00:02", "00:1b:1b:10:00:13", "00:14:22:20:00:60"
		swIP, plcS7, plcMB, hist, ews, hmi, rtu = "10.10.10.2", "10.10.10.13", "10.10.10.11", "10.10.30.31", "10.10.20.22", "10.10.20.21", "10.10.10.14"
		gps, internet, itDesk                   = "10.10.10.30", "203.0.113.80", "192.168.1.50"
	)
	attrs := []struct {
		who, key string
		want     []string
	}{
		{sw, "lldp.system_name", []string{"ie-switch-1.plant.local"}},
		{sw, "lldp.capabilities", []string{"bridge"}},
		{sw, "lldp.management_ip", []string{swIP}},
		{sw, "cdp.platform", []string{"cisco IE-4000-8GT4G4E"}},
		{sw, "cdp.capabilities", []string{"switch,igmp"}},
		{plcMAC, "lldp.chassis_id", []string{"plc-s7"}},
		{plcMAC, "lldp.system_description", []string{"Siemens, SIMATIC S7, CPU315-2 PN/DP, 6ES7 315-2EH14-0AB0, HW: 1, FW: V3.2.6"}},
		{plcMAC, "lldp.chassis_mac", []string{plcMAC}},
		{laptop, "dhcp.hostname", []string{"MAINT-LT07"}},
		{laptop, "dhcp.vendor_class", []string{"MSFT 5.0"}},
		{laptop, "dhcp.assigned_ip", []string{"10.10.20.60"}},
		{hist, "dns.name", []string{"historian.plant.local"}},
		{plcMB, "dns.name", []string{"plc-modbus.plant.local"}},
		{internet, "dns.name", nil},
		{ews, "mdns.name", []string{"ews-1.local"}},
		{ews, "nbns.name", []string{"EWS-1"}},
		{ews, "nbns.workgroup", []string{"PLANT"}},
		{gps, "ntp.stratum", []string{"1"}},
		{gps, "ntp.reference_id", []string{"GPS"}},
		{swIP, "snmp.sys_name", []string{"ie-switch-1"}},
		{plcS7, "snmp.sys_descr", []string{"Siemens, SIMATIC S7, CPU315-2 PN/DP, 6ES7 315-2EH14-0AB0, HW: 1, FW: V3.2.6"}},
		{plcS7, "snmp.community_default", []string{"true"}},
		{hist, "http.server", []string{"Microsoft-IIS/10.0"}},
		{hist, "http.title", []string{"Historian Trend Viewer"}},
		{hist, "tls.sni", []string{"historian.plant.local"}},
		{hist, "tls.cert_subject", []string{"CN=historian.plant.local,O=Plant Operations"}},
		{hist, "tls.cert_issuer", []string{"CN=Plant Root CA,O=Plant Operations"}},
		{hist, "tls.cert_self_signed", []string{"false"}},
		{internet, "tls.sni", []string{"updates.vendor.example"}},
		{internet, "tls.version", []string{"TLS 1.3"}},
		{swIP, "ssh.banner", []string{"2.0-Cisco-1.25"}},
		{rtu, "telnet.banner", []string{"RTU maintenance port - authorized personnel only"}},
		{plcMB, "ftp.banner", []string{"FTP server ready."}},
		{hmi, "rdp.nla_required", []string{"true"}},
		{hist, "smb.hostname", []string{"HISTORIAN"}},
		{hist, "smb.dns_domain", []string{"plant.local"}},
		{hist, "smb.os_version", []string{"10.0.17763"}},
		{ews, "smb.hostname", []string{"EWS-1"}},
	}
	for _, c := range attrs {
		if got := h.Attr(c.who, c.key); !slices.Equal(got, c.want) {
			t.Errorf("%s %s = %q, want %q", c.who, c.key, got, c.want)
		}
	}
	comms := []struct {
		who, key string
		want     []string
	}{
		{itDesk, "cleartext_credentials", []string{"true"}}, // HTTP Basic to the historian
		{ews, "cleartext_credentials", []string{"true"}},    // Telnet to the RTU, FTP to the PLC
		{hmi, "encrypted", []string{"true"}},
		{ews, "smb.signing_required", []string{"true"}},
		{"10.10.20.23", "snmp.community_default", []string{"true"}},
	}
	for _, c := range comms {
		if got := h.Comm(c.who, c.key); !slices.Equal(got, c.want) {
			t.Errorf("%s comm %s = %q, want %q", c.who, c.key, got, c.want)
		}
	}
	for who, want := range map[string][]string{
		ews:    {"stor/write"},
		itDesk: {"post/write"},
	} {
		got := h.Ops(who)
		for _, w := range want {
			if !slices.Contains(got, w) {
				t.Errorf("%s ops %q lack %s", who, got, w)
			}
		}
	}
}
