package inventory

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/otzone/otzone/discovery"
)

func svc(e discovery.Endpoint, proto, role string, port uint16) discovery.Observation {
	return discovery.Observation{Kind: discovery.KindService, Time: t0, Evidence: evd(1), Asset: e,
		Protocol: proto, Transport: "tcp", Port: port, Role: role}
}

func fieldOf(a Asset, field string) string {
	switch field {
	case "vendor":
		return a.Vendor
	case "model":
		return a.Model
	case "firmware":
		return a.Firmware
	case "serial":
		return a.Serial
	case "hostname":
		return strings.Join(a.Hostnames, ",")
	}
	return "?"
}

// Every identity key the dissectors emit (their doc.go) feeds a merged
// field. Values are the demo plant's (testdata/gen: dnp3.go g0v252/250/242/
// 248/247, iec61850.go Identify, longtail.go FINS/SLMP/ADS/KNX/HART/Fox/
// C37.118) or the dissectors' doc examples.
func TestIdentityKeysFeedFields(t *testing.T) {
	cdpSW := "Cisco IOS Software, IE4000 Software (IE4000-UNIVERSALK9-M), Version 15.2(7)E4, RELEASE SOFTWARE (fc2)"
	for _, c := range []struct {
		key, value, field, want string
		serves                  string // protocol the asset serves, for client/server-symmetric facts
	}{
		{"mms.vendor", "Bay Protection Systems", "vendor", "Bay Protection Systems", ""},
		{"mms.model", "BPS-670", "model", "BPS-670", ""},
		{"mms.revision", "2.2.4.1", "firmware", "2.2.4.1", ""},
		{"dnp3.manufacturer", "Schweitzer Engineering Laboratories, Inc.", "vendor", "Schweitzer Engineering Laboratories, Inc.", ""},
		{"dnp3.product_name", "SEL-3505 RTAC", "model", "SEL-3505 RTAC", ""},
		{"dnp3.software_version", "R148-V2", "firmware", "R148-V2", ""},
		{"dnp3.serial_number", "1193620145", "serial", "1193620145", ""},
		{"dnp3.device_name", "RTU-SUB4", "hostname", "RTU-SUB4", ""},
		{"fins.model", "CJ2M-CPU31", "model", "CJ2M-CPU31", ""},
		{"fins.version", "02.01", "firmware", "02.01", ""},
		{"slmp.cpu_model", "Q03UDVCPU", "model", "Q03UDVCPU", ""},
		{"ads.version", "3.1.4024", "firmware", "3.1.4024", ""},
		{"ads.twincat_version", "3.1.4024", "firmware", "3.1.4024", ""},
		{"ads.device_name", "Plc30 App", "model", "Plc30 App", "ads"},
		{"ads.hostname", "CX-2040A7", "hostname", "CX-2040A7", ""},
		{"knxip.serial_number", "00c501020304", "serial", "00c501020304", ""},
		{"knxip.friendly_name", "KNX IP Router Building A", "hostname", "KNX IP Router Building A", ""},
		{"hart.device_id", "0a1b2c", "serial", "0a1b2c", ""},
		{"hart.software_revision", "3", "firmware", "3", ""},
		{"hart.tag", "FT101", "hostname", "FT101", ""},
		{"hart.long_tag", "FT-101 FEED FLOW", "hostname", "FT-101 FEED FLOW", ""},
		{"fox.brand_id", "vykon", "vendor", "vykon", "fox"},
		{"fox.app_version", "4.10.1.36", "firmware", "4.10.1.36", "fox"},
		{"fox.station_name", "JACE_BLDG_A", "hostname", "JACE_BLDG_A", ""},
		{"fox.host_name", "jace-a", "hostname", "jace-a", ""},
		{"c37118.station_name", "SUB4_PMU1", "hostname", "SUB4_PMU1", ""},
		{"profinet.type_of_station", "ET200SP", "model", "ET200SP", ""},
		{"profinet.vendor_name", "Siemens", "vendor", "Siemens", ""},
		{"opcua.manufacturer_name", "open62541", "vendor", "open62541", ""},
		{"opcua.product_name", "open62541 OPC UA Server", "model", "open62541 OPC UA Server", ""},
		{"opcua.software_version", "1.3.5", "firmware", "1.3.5", ""},
		{"opcua.application_name", "open62541-based OPC UA Application", "model", "open62541-based OPC UA Application", "opcua"},
		{"snmp.sys_name", "ie-switch-1", "hostname", "ie-switch-1", ""},
		{"snmp.sys_descr", cdpSW, "firmware", "15.2(7)E4", ""},
		{"cdp.platform", "cisco IE-4000-8GT4G4E", "model", "cisco IE-4000-8GT4G4E", ""},
		{"cdp.software_version", cdpSW, "firmware", "15.2(7)E4", ""},
		{"lldp.system_description", "Siemens AG SIMATIC S7 MULTIPORT SCALANCE X 200 FAM", "model", "Siemens AG SIMATIC S7 MULTIPORT SCALANCE X 200 FAM", ""},
		{"smb.dns_hostname", "historian.plant.local", "hostname", "historian.plant.local", ""},
	} {
		t.Run(c.key, func(t *testing.T) {
			e := ep("00:0c:29:aa:bb:01", "10.0.0.9", "")
			obs := []discovery.Observation{host(e, "", 1), attr(e, c.key, c.value, 2)}
			if c.serves != "" {
				obs = append(obs, svc(e, c.serves, "server", 1))
			}
			a := build(obs...).Assets[0]
			if got := fieldOf(a, c.field); got != c.want {
				t.Errorf("%s=%q: %s %q, want %q", c.key, c.value, c.field, got, c.want)
			}
			if c.field != "hostname" && (len(a.Fields[c.field]) != 1 || a.Fields[c.field][0].From != c.key) {
				t.Errorf("fields %+v", a.Fields)
			}
		})
	}
}

func TestFieldAuthorityOrder(t *testing.T) {
	sw := "00:1b:54:10:00:02"
	e := ep(sw, "10.10.10.2", "")
	withConf := func(o discovery.Observation, c float32) discovery.Observation {
		o.Confidence = c
		return o
	}
	base := []discovery.Observation{
		host(e, "", 1),
		// The dissectors' confidences: CDP/LLDP 0.9, SNMP system group 0.95.
		withConf(attr(e, "cdp.platform", "cisco IE-4000-8GT4G4E", 2), 0.9),
		withConf(attr(e, "lldp.system_description", "Cisco IOS Software, IE4000 Software, Version 15.2(7)E4", 3), 0.9),
		withConf(attr(e, "snmp.sys_descr", "Cisco IOS Software, IE4000 Software (IE4000-UNIVERSALK9-M), Version 15.2(7)E4, RELEASE SOFTWARE (fc2) Technical Support: http://www.cisco.com/techsupport", 4), 0.95),
		withConf(attr(e, "dhcp.vendor_class", "Cisco Systems, Inc. IP Phone CP-7961G", 5), 0.9),
	}
	b := NewBuilder("")
	for _, o := range base {
		b.Add(o)
	}
	a := Build(b.Drain(), BuildOptions{Now: t0}).Assets[0] // with the OUI (00:1b:54 is Cisco's)
	// Self-description beats nothing better: a specific model (CDP
	// platform) over a free-text description, whatever the confidence.
	if a.Model != "cisco IE-4000-8GT4G4E" {
		t.Errorf("model %q; candidates %+v", a.Model, a.Fields["model"])
	}
	var vfrom []string
	for _, fv := range a.Fields["vendor"] {
		vfrom = append(vfrom, fmt.Sprintf("%s=%v", fv.From, fv.Chosen))
	}
	if diff := cmp.Diff([]string{"dhcp.vendor_class=true", "oui.vendor=false"}, vfrom); diff != "" {
		t.Errorf("DHCP vendor class over OUI (-want +got):\n%s", diff)
	}
	// The device's own identity reply beats all of it; the losers stay.
	b = NewBuilder("")
	for _, o := range append(base,
		withConf(attr(e, "enip.product_name", "Stratix 5400", 6), 0.9),
		withConf(attr(e, "enip.vendor_name", "Rockwell Automation/Allen-Bradley", 6), 0.9),
		withConf(attr(e, "enip.revision", "15.2", 6), 0.9)) {
		b.Add(o)
	}
	a = Build(b.Drain(), BuildOptions{Now: t0}).Assets[0]
	if a.Model != "Stratix 5400" || a.Vendor != "Rockwell Automation/Allen-Bradley" || a.Firmware != "15.2" {
		t.Errorf("identity reply must win: %q %q %q", a.Vendor, a.Model, a.Firmware)
	}
	var ffrom []string
	for _, fv := range a.Fields["firmware"] {
		ffrom = append(ffrom, fmt.Sprintf("%s:%s=%v", fv.From, fv.Value, fv.Chosen))
	}
	// Three self-descriptions give the same token: each source is kept.
	want := []string{"enip.revision:15.2=true", "snmp.sys_descr:15.2(7)E4=false",
		"cdp.software_version:15.2(7)E4=false", "lldp.system_description:15.2(7)E4=false"}
	b = NewBuilder("")
	for _, o := range append(base, withConf(attr(e, "enip.revision", "15.2", 6), 0.9),
		withConf(attr(e, "cdp.software_version", "Cisco IOS Software, IE4000 Software (IE4000-UNIVERSALK9-M), Version 15.2(7)E4, RELEASE SOFTWARE (fc2)", 7), 0.9)) {
		b.Add(o)
	}
	a = Build(b.Drain(), BuildOptions{Now: t0}).Assets[0]
	ffrom = nil
	for _, fv := range a.Fields["firmware"] {
		ffrom = append(ffrom, fmt.Sprintf("%s:%s=%v", fv.From, fv.Value, fv.Chosen))
	}
	if diff := cmp.Diff(want, ffrom); diff != "" {
		t.Errorf("firmware candidates (-want +got):\n%s", diff)
	}
	// The full software string stays as the attribute.
	var full bool
	for _, at := range a.Attributes {
		if at.Key == "cdp.software_version" && strings.HasPrefix(at.Value, "Cisco IOS Software, IE4000") {
			full = true
		}
	}
	if !full {
		t.Error("cdp.software_version attribute lost its full text")
	}
}

func TestClientApplicationIsNotTheDevice(t *testing.T) {
	// OPC UA CreateSession and Fox hellos carry each side's application
	// description: the client's ("UaExpert", Workbench 4.10) is not the
	// workstation's model or firmware.
	ews := ep("00:0c:29:20:00:22", "10.10.20.22", "")
	jace := ep("00:01:f0:10:00:15", "10.10.10.15", "")
	inv := build(
		host(ews, "", 1), host(jace, "", 2),
		attr(ews, "opcua.application_name", "UaExpert@ews-1", 3),
		attr(ews, "fox.app_version", "4.10.1.36", 4),
		attr(jace, "fox.app_version", "4.10.1.36", 5),
		attr(jace, "fox.host_name", "10.10.10.15", 5), // an address, not a name
		svc(ews, "fox", "client", 1911), svc(jace, "fox", "server", 1911),
	)
	e := byKey(t, inv, "mac:00:0c:29:20:00:22")
	if e.Model != "" || e.Firmware != "" {
		t.Errorf("client application taken as identity: model %q firmware %q", e.Model, e.Firmware)
	}
	j := byKey(t, inv, "mac:00:01:f0:10:00:15")
	if j.Firmware != "4.10.1.36" || len(j.Hostnames) != 0 {
		t.Errorf("station firmware %q hostnames %v", j.Firmware, j.Hostnames)
	}
}

func TestVersionToken(t *testing.T) {
	for in, want := range map[string]string{
		// cdp/doc.go and testdata/gen/it.go (the IE4000's CDP and sysDescr).
		"Cisco IOS Software, IE4000 Software (IE4000-UNIVERSALK9-M), Version 15.2(7)E4, RELEASE SOFTWARE (fc2)": "15.2(7)E4",
		"Cisco Nexus Operating System (NX-OS) Software, Version 9.3(8)":                                         "9.3(8)",
		// SCALANCE sysDescr: the hardware version is not the firmware.
		"Siemens, SIMATIC NET, SCALANCE X208, 6GK5 208-0BA10-2AA3, HW: Version 7, FW: Version V04.02.03": "V04.02.03",
		"Siemens, SIMATIC NET, SCALANCE XB208, HW: 1, FW: V4.3":                                          "V4.3",
		"HW: Version 7": "",
		"Siemens AG SIMATIC S7 MULTIPORT SCALANCE X 200 FAM":       "",
		"Linux plc 5.10.0 #1 SMP":                                  "",
		"(Version 1.2)":                                            "1.2",
		"Hirschmann Railswitch, version: 09.0.04.":                 "09.0.04",
		"Software version 2.1.0 running on the version 3 hardware": "2.1.0",
	} {
		if got := VersionToken(in); got != want {
			t.Errorf("VersionToken(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCleanOUIName(t *testing.T) {
	// Values as gopacket's macs.ValidMACPrefixMap (v1.7.7) carries them.
	for in, want := range map[string]string{
		"Siemens AG,":                     "Siemens AG",
		"Elster Solutions, LLC,":          "Elster Solutions, LLC",
		"Costar  electronics, inc.,":      "Costar electronics, inc.",
		"DU PONT PIXEL SYSTEMS     .":     "DU PONT PIXEL SYSTEMS",
		"Hon Hai Precision Ind. Co.,Ltd.": "Hon Hai Precision Ind. Co.,Ltd.",
		"OMRON TATEISI ELECTRONICS CO.":   "OMRON TATEISI ELECTRONICS CO.",
		" ,; ":                            "",
	} {
		if got := CleanOUIName(in); got != want {
			t.Errorf("CleanOUIName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestOUIVendorClean(t *testing.T) {
	// 00:1b:1b is "Siemens AG," in gopacket's table (the demo plant's
	// S7 PLC); 00:50:c2 is an IEEE Registration Authority MA-S block.
	b := NewBuilder("")
	b.Add(host(ep("00:1b:1b:10:00:13", "10.10.10.13", ""), "", 1))
	b.Add(host(ep("00:50:c2:10:00:14", "10.10.10.14", ""), "", 2))
	inv := Build(b.Drain(), BuildOptions{Now: t0})
	s7 := byKey(t, inv, "mac:00:1b:1b:10:00:13")
	if s7.Vendor != "Siemens AG" || len(s7.Fields["vendor"]) != 1 || s7.Fields["vendor"][0].Confidence != OUIConfidence {
		t.Errorf("vendor %q fields %+v", s7.Vendor, s7.Fields["vendor"])
	}
	if OUIConfidence > 0.3 {
		t.Errorf("OUI confidence %v must stay low", OUIConfidence)
	}
	if rtu := byKey(t, inv, "mac:00:50:c2:10:00:14"); rtu.Vendor != "" || len(rtu.Attributes) != 0 {
		t.Errorf("registration-authority block gave vendor %q attributes %+v", rtu.Vendor, rtu.Attributes)
	}
}
