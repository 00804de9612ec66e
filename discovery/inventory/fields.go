package inventory

import (
	"sort"
	"strings"
)

// hostnameKeys are attribute keys whose value is a name for the asset.
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
}

// Authority tiers for merged identity fields: a device's own identity reply
// beats what a neighbour or a network service says about it, which beats a
// MAC prefix.
const (
	tierOUI      = 1
	tierNeighbor = 2 // LLDP/CDP/DHCP/SNMP: the device's stack or a switch speaking
	tierIdentity = 3 // the device's own application-protocol identity reply
)

type fieldSource struct {
	key  string
	tier int
}

// fieldSources lists, per merged field, the attribute keys that feed it.
var fieldSources = map[string][]fieldSource{
	"vendor": {
		{"enip.vendor_name", tierIdentity}, {"modbus.vendor_name", tierIdentity},
		{"bacnet.vendor_name", tierIdentity}, {"profinet.vendor_name", tierIdentity},
		{"s7.vendor", tierIdentity}, {"opcua.manufacturer_name", tierIdentity},
		{"dhcp.vendor_class", tierNeighbor}, {"snmp.vendor", tierNeighbor},
		{"oui.vendor", tierOUI},
	},
	"model": {
		{"enip.product_name", tierIdentity}, {"modbus.product_name", tierIdentity},
		{"modbus.model_name", tierIdentity}, {"s7.order_number", tierIdentity},
		{"s7.module_type", tierIdentity}, {"bacnet.model_name", tierIdentity},
		{"profinet.type_of_station", tierIdentity}, {"opcua.product_name", tierIdentity},
		{"cdp.platform", tierNeighbor}, {"lldp.system_description", tierNeighbor},
	},
	"firmware": {
		{"enip.revision", tierIdentity}, {"modbus.revision", tierIdentity},
		{"s7.firmware", tierIdentity}, {"bacnet.firmware_revision", tierIdentity},
		{"profinet.firmware", tierIdentity}, {"opcua.software_version", tierIdentity},
		{"cdp.software_version", tierNeighbor},
	},
	"serial": {
		{"enip.serial_number", tierIdentity}, {"s7.serial_number", tierIdentity},
		{"bacnet.serial_number", tierIdentity}, {"profinet.serial_number", tierIdentity},
		{"modbus.serial_number", tierIdentity},
	},
}

// FieldNames are the merged identity fields in display order.
var FieldNames = []string{"vendor", "model", "firmware", "serial"}

type candidate struct {
	FieldValue
	tier  int
	count uint64
	order int
}

// chooseFields sets Vendor/Model/Firmware/Serial from the asset's
// attributes and records every candidate in Fields, the winner marked.
// The winner is the highest authority tier, then the highest confidence,
// then the most often seen, then the key listed first.
func chooseFields(a *Asset) {
	for _, field := range FieldNames {
		var cands []candidate
		for order, fs := range fieldSources[field] {
			for _, at := range a.Attributes {
				if at.Key != fs.key || strings.TrimSpace(at.Value) == "" {
					continue
				}
				cands = append(cands, candidate{
					FieldValue: FieldValue{Value: at.Value, From: at.Key, Source: at.Source, Confidence: at.Confidence},
					tier:       fs.tier, count: at.Count, order: order,
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
