// Package lldp reads the Link Layer Discovery Protocol (IEEE 802.1AB-2016,
// clause 8), EtherType 0x88cc: the frames switches, PLCs and PROFINET devices
// send every few seconds to announce who they are and on which port.
//
// Parsed TLVs: Chassis ID (1), Port ID (2), TTL (3), Port Description (4),
// System Name (5), System Description (6), System Capabilities (7),
// Management Address (8), the PROFINET organisation TLV "Chassis MAC"
// (OUI 00-0e-cf subtype 5, IEC 61158-6-10), and the LLDP-MED TLVs of
// ANSI/TIA-1057 §10.2 (OUI 00-12-bb): capabilities with the device class
// (subtype 1) and inventory (subtypes 5-11: hardware, firmware and software
// revision, serial number, manufacturer, model, asset id). Other
// organisation TLVs (IEEE 802.1/802.3, MED network policy, location, power)
// are skipped.
//
// Observations, all about the frame's source MAC (the sending port):
//
//	service    protocol "lldp", transport "eth", role "publisher"
//	attribute  lldp.chassis_id          as the device writes it; MAC subtype as "00:0e:8c:ef:75:c5",
//	                                    network-address subtype as an IP
//	           lldp.port_id             same formatting rules
//	           lldp.port_description
//	           lldp.system_name
//	           lldp.system_description  e.g. "Siemens AG SIMATIC S7 MULTIPORT SCALANCE X 200 FAM"
//	           lldp.capabilities        enabled capabilities, comma-separated in bit order:
//	                                    other, repeater, bridge, wlan_access_point, router,
//	                                    telephone, docsis_cable_device, station_only,
//	                                    c_vlan, s_vlan, two_port_mac_relay
//	           lldp.management_ip       IPv4/IPv6 management addresses (0.0.0.0 and :: skipped)
//	           lldp.chassis_mac         PROFINET Chassis MAC TLV
//	           lldp.med_device_class    "Endpoint Class I".."III", "Network Connectivity"
//	           lldp.hardware_revision, lldp.firmware_revision, lldp.software_revision,
//	           lldp.serial_number, lldp.manufacturer, lldp.model, lldp.asset_id
//	                                    LLDP-MED inventory (at most 32 octets each); the
//	                                    inventory takes vendor, model, firmware and serial
//	                                    from them at the self-description tier
//
// Confidence 0.9: the device says it about itself. A device re-announces
// every TTL/4 or so; the dissector re-emits a source's facts only when its
// LLDPDU changes or ten minutes have passed, with a bounded table of sources.
//
// Known gaps: LLDP-MED network policy, location and power TLVs are not
// read; management addresses other than IPv4/IPv6 (e.g. MAC, subtype 6) are
// skipped; a chassis MAC is not used to join a switch's port MACs into one
// asset (the inventory may do it from lldp.chassis_id).
package lldp
