package inventory

import (
	"regexp"
	"sort"
	"strings"
)

// hostnameKeys are attribute keys whose value is a name for the asset
// (besides any key ending in ".hostname"): names from name services, the
// device's own configured name (station, tag, user-assigned device name).
var hostnameKeys = map[string]bool{
	"dhcp.hostname":         true,
	"dns.name":              true,
	"dns.hostname":          true,
	"mdns.name":             true,
	"mdns.hostname":         true,
	"nbns.name":             true,
	"netbios.name":          true,
	"llmnr.name":            true,
	"lldp.system_name":      true,
	"cdp.device_id":         true,
	"profinet.station_name": true,
	"snmp.sys_name":         true,
	"smb.dns_hostname":      true,
	"c37118.station_name":   true, // the PMU's STN
	"dnp3.device_name":      true, // g0v247, user-assigned
	"fox.station_name":      true, // the Niagara station
	"fox.host_name":         true,
	"knxip.friendly_name":   true,
	"hart.tag":              true,
	"hart.long_tag":         true,
}

// Authority tiers for merged identity fields, highest first: a device's
// own application-protocol identity reply; what a device's network stack
// says about itself (LLDP, CDP, SNMP system group); the DHCP vendor class
// (a client library's label, "MSFT 5.0", "udhcp 1.2"); the MAC's OUI (the
// NIC maker, often not the device maker).
const (
	tierSoftware = 0 // a label naming DHCP client software, not a maker
	tierOUI      = 1
	tierDHCP     = 2
	tierSelf     = 3 // LLDP/CDP/SNMP self-description
	tierIdentity = 4 // the device's own identity reply
)

type fieldSource struct {
	key  string
	tier int
	// weak sources (free-text descriptions, application names) lose to
	// a specific one of the same tier whatever their confidence.
	weak bool
	// extract turns the attribute into the field's value ("" = none):
	// the version token of a software description.
	extract func(string) string
	// serverOf: the fact counts only on an asset that serves this
	// protocol. Some protocols have both ends describe their own
	// application (OPC UA sessions, Fox hellos): a client's
	// "UaExpert" or Workbench version is not the device's model or
	// firmware.
	serverOf string
	// tierOf overrides tier by value.
	tierOf func(string) int
}

// fieldSources lists, per merged field, the attribute keys that feed it;
// every identity key a dissector or probe emits is here (see each
// package's doc.go).
var fieldSources = map[string][]fieldSource{
	"vendor": {
		{key: "enip.vendor_name", tier: tierIdentity}, {key: "modbus.vendor_name", tier: tierIdentity},
		{key: "bacnet.vendor_name", tier: tierIdentity}, {key: "profinet.vendor_name", tier: tierIdentity},
		{key: "mms.vendor", tier: tierIdentity}, {key: "dnp3.manufacturer", tier: tierIdentity},
		{key: "opcua.manufacturer_name", tier: tierIdentity},
		{key: "fox.brand_id", tier: tierIdentity, serverOf: "fox"},
		{key: "lldp.manufacturer", tier: tierSelf},
		{key: "dhcp.vendor_class", tier: tierDHCP, tierOf: dhcpVendorTier},
		{key: "dhcpv6.vendor_class", tier: tierDHCP, tierOf: dhcpVendorTier},
		{key: "oui.vendor", tier: tierOUI},
	},
	"model": {
		{key: "enip.product_name", tier: tierIdentity}, {key: "modbus.product_name", tier: tierIdentity},
		{key: "modbus.model_name", tier: tierIdentity}, {key: "s7.order_number", tier: tierIdentity},
		{key: "s7.module_type", tier: tierIdentity}, {key: "bacnet.model_name", tier: tierIdentity},
		{key: "profinet.order_id", tier: tierIdentity}, // I&M0: the order number, before the family name
		{key: "profinet.type_of_station", tier: tierIdentity}, {key: "mms.model", tier: tierIdentity},
		{key: "dnp3.product_name", tier: tierIdentity}, {key: "fins.model", tier: tierIdentity},
		{key: "slmp.cpu_model", tier: tierIdentity}, {key: "opcua.product_name", tier: tierIdentity},
		{key: "opcua.application_name", tier: tierSelf, weak: true, serverOf: "opcua"},
		{key: "ads.device_name", tier: tierSelf, weak: true, serverOf: "ads"},
		{key: "cdp.platform", tier: tierSelf}, {key: "lldp.model", tier: tierSelf},
		{key: "lldp.system_description", tier: tierSelf, weak: true},
		{key: "snmp.sys_descr", tier: tierSelf, weak: true},
	},
	"firmware": {
		{key: "enip.revision", tier: tierIdentity}, {key: "modbus.revision", tier: tierIdentity},
		{key: "s7.firmware", tier: tierIdentity}, {key: "bacnet.firmware_revision", tier: tierIdentity},
		{key: "mms.revision", tier: tierIdentity}, {key: "dnp3.software_version", tier: tierIdentity},
		{key: "fins.version", tier: tierIdentity}, {key: "ads.version", tier: tierIdentity},
		{key: "ads.twincat_version", tier: tierIdentity}, {key: "hart.software_revision", tier: tierIdentity},
		{key: "fox.app_version", tier: tierIdentity, serverOf: "fox"},
		{key: "opcua.software_version", tier: tierIdentity},
		{key: "profinet.software_revision", tier: tierIdentity},
		{key: "lldp.firmware_revision", tier: tierSelf},
		{key: "lldp.software_revision", tier: tierSelf, weak: true},
		{key: "cdp.software_version", tier: tierSelf, extract: VersionToken},
		{key: "snmp.sys_descr", tier: tierSelf, extract: VersionToken},
		{key: "lldp.system_description", tier: tierSelf, extract: VersionToken},
	},
	"serial": {
		{key: "enip.serial_number", tier: tierIdentity}, {key: "s7.serial_number", tier: tierIdentity},
		{key: "dnp3.serial_number", tier: tierIdentity}, {key: "knxip.serial_number", tier: tierIdentity},
		{key: "hart.device_id", tier: tierIdentity}, {key: "profinet.serial_number", tier: tierIdentity},
		{key: "lldp.serial_number", tier: tierSelf},
	},
}

// FieldNames are the merged identity fields in display order.
var FieldNames = []string{"vendor", "model", "firmware", "serial"}

type candidate struct {
	FieldValue
	tier  int
	weak  bool
	count uint64
	order int
}

// chooseFields sets Vendor/Model/Firmware/Serial from the asset's
// attributes and records every candidate in Fields, the winner marked.
// The winner is the highest authority tier, then a specific source over a
// weak one, then the highest confidence, then the most often seen, then the
// key listed first. The same value from the same key is one candidate.
func chooseFields(a *Asset) {
	serves := map[string]bool{}
	for _, s := range a.Services {
		if s.Role == "server" {
			serves[s.Protocol] = true
		}
	}
	for _, field := range FieldNames {
		var cands []candidate
		for order, fs := range fieldSources[field] {
			if fs.serverOf != "" && !serves[fs.serverOf] {
				continue
			}
			for _, at := range a.Attributes {
				if at.Key != fs.key {
					continue
				}
				v := at.Value
				if fs.extract != nil {
					v = fs.extract(v)
				}
				if strings.TrimSpace(v) == "" {
					continue
				}
				if i := dup(cands, at.Key, v); i >= 0 {
					cands[i].count += at.Count
					if at.Confidence > cands[i].Confidence {
						cands[i].Confidence = at.Confidence
					}
					continue
				}
				tier := fs.tier
				if fs.tierOf != nil {
					tier = fs.tierOf(v)
				}
				cands = append(cands, candidate{
					FieldValue: FieldValue{Value: v, From: at.Key, Source: at.Source, Confidence: at.Confidence},
					tier:       tier, weak: fs.weak, count: at.Count, order: order,
				})
			}
		}
		if len(cands) == 0 {
			continue
		}
		sort.SliceStable(cands, func(i, j int) bool {
			x, y := cands[i], cands[j]
			if x.tier != y.tier {
				return x.tier > y.tier
			}
			if x.weak != y.weak {
				return !x.weak
			}
			if x.Confidence != y.Confidence {
				return x.Confidence > y.Confidence
			}
			if x.count != y.count {
				return x.count > y.count
			}
			if x.order != y.order {
				return x.order < y.order
			}
			return x.Value < y.Value
		})
		cands[0].Chosen = true
		if a.Fields == nil {
			a.Fields = map[string][]FieldValue{}
		}
		vals := make([]FieldValue, len(cands))
		for i, c := range cands {
			vals[i] = c.FieldValue
		}
		a.Fields[field] = vals
		switch field {
		case "vendor":
			a.Vendor = cands[0].Value
		case "model":
			a.Model = cands[0].Value
		case "firmware":
			a.Firmware = cands[0].Value
		case "serial":
			a.Serial = cands[0].Value
		}
	}
}

func dup(cs []candidate, from, value string) int {
	for i, c := range cs {
		if c.From == from && c.Value == value {
			return i
		}
	}
	return -1
}

var (
	// "FW: V4.0.0", "FW: Version V04.02.03" (Siemens SCALANCE sysDescr/LLDP).
	fwRE = regexp.MustCompile(`(?i)\bFW\s*:\s*(?:version\s*)?(v?[0-9][0-9A-Za-z._()-]*)`)
	// "Version 15.2(7)E4," (Cisco IOS), "version 7.0(3)I7(9)"; an "HW:"
	// before it names the hardware revision.
	versionRE = regexp.MustCompile(`(?i)(HW\s*:\s*)?\bversion\s*:?\s*(v?[0-9][0-9A-Za-z._()-]*)`)
)

// VersionToken extracts the software version from a free-text software
// description: "Cisco IOS Software, IE4000 Software (IE4000-UNIVERSALK9-M),
// Version 15.2(7)E4, RELEASE SOFTWARE (fc2)" gives "15.2(7)E4". It returns
// "" when the text names no version.
func VersionToken(s string) string {
	if m := fwRE.FindStringSubmatch(s); m != nil {
		return trimVersion(m[1])
	}
	for _, m := range versionRE.FindAllStringSubmatch(s, -1) {
		if m[1] == "" {
			return trimVersion(m[2])
		}
	}
	return ""
}

// trimVersion drops trailing punctuation and an unbalanced closing
// parenthesis ("(Version 1.2)" gives "1.2").
func trimVersion(v string) string {
	for {
		n := len(v)
		v = strings.TrimRight(v, ".-_")
		if strings.HasSuffix(v, ")") && strings.Count(v, ")") > strings.Count(v, "(") {
			v = v[:len(v)-1]
		}
		if len(v) == n {
			return v
		}
	}
}

// dhcpClientSoftware are vendor-class prefixes that name a DHCP client
// implementation or boot firmware rather than the device's maker (RFC 2132
// option 60 as Windows, busybox, dhcpcd, ISC dhclient, Android and PXE ROMs
// send it).
var dhcpClientSoftware = []string{"msft ", "udhcp", "dhcpcd", "dhclient", "android-dhcp", "pxeclient", "anaconda-", "linux"}

// dhcpVendorTier ranks a DHCP vendor class above the OUI when it may name
// the maker ("Cisco Systems, Inc. IP Phone CP-7961G"), below it when it
// names client software ("MSFT 5.0", "udhcp 1.2").
func dhcpVendorTier(v string) int {
	l := strings.ToLower(v)
	for _, p := range dhcpClientSoftware {
		if strings.HasPrefix(l, p) {
			return tierSoftware
		}
	}
	return tierDHCP
}
