package profinet

// vendorNames maps PROFINET vendor ids (assigned by PROFIBUS & PROFINET
// International, "Manufacturer IDs") to names. The full PI list could not be
// sourced for this build (2026-11-27); only ids that a public capture
// corroborates are listed, each with its evidence, and all names carry
// confidence 0.7 (unverified against the PI list). Any other id stays a
// number.
var vendorNames = map[uint16]string{
	// 0x002A Siemens: the vendor id of every Siemens PROFINET device (GSDML
	// files "GSDML-V2.x-Siemens-*" carry VendorID="0x002A").
	0x002A: "Siemens",
	// 0x00B0 Phoenix Contact: profinet_io_cm_device.pcapng frame 1,
	// CMInitiatorObjectUUID ...-0001003c00b0 from MAC 00:a0:45 (Phoenix
	// Contact OUI), station "pc-worx-rt-basic" (PC Worx is Phoenix software).
	0x00B0: "Phoenix Contact",
	// 0x015A GE (VersaMax): profinet_io_cm_mixed_1.pcap frame 466, DCP
	// Identify response of type of station "IC200PNS001" (GE VersaMax PROFINET
	// scanner) from MAC 00:09:91 (GE Fanuc OUI).
	0x015A: "GE Intelligent Platforms",
}

// VendorName returns the vendor's name when the table has it.
func VendorName(id uint16) (string, bool) {
	n, ok := vendorNames[id]
	return n, ok
}
