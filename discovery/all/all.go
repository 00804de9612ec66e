// Package all registers every protocol dissector with the discovery
// registry. Import it for its side effects; adding a protocol is one line
// here (packetbeat's include/list.go).
package all

import (
	_ "github.com/otzone/otzone/discovery/dhcp"
	_ "github.com/otzone/otzone/discovery/dnp3"
	_ "github.com/otzone/otzone/discovery/dns"
	_ "github.com/otzone/otzone/discovery/enip"
	_ "github.com/otzone/otzone/discovery/lldp"
	_ "github.com/otzone/otzone/discovery/modbus"
	_ "github.com/otzone/otzone/discovery/opcua"
	_ "github.com/otzone/otzone/discovery/s7comm"
)
