// Package all registers every protocol dissector with the discovery
// registry. Import it for its side effects; adding a protocol is one line
// here (packetbeat's include/list.go).
package all

import (
	_ "github.com/otzone/otzone/discovery/ads"
	_ "github.com/otzone/otzone/discovery/bacnet"
	_ "github.com/otzone/otzone/discovery/bsap"
	_ "github.com/otzone/otzone/discovery/c37118"
	_ "github.com/otzone/otzone/discovery/cdp"
	_ "github.com/otzone/otzone/discovery/dhcp"
	_ "github.com/otzone/otzone/discovery/dnp3"
	_ "github.com/otzone/otzone/discovery/dns"
	_ "github.com/otzone/otzone/discovery/enip"
	_ "github.com/otzone/otzone/discovery/fins"
	_ "github.com/otzone/otzone/discovery/fox"
	_ "github.com/otzone/otzone/discovery/ftp"
	_ "github.com/otzone/otzone/discovery/hartip"
	_ "github.com/otzone/otzone/discovery/http"
	_ "github.com/otzone/otzone/discovery/iec104"
	_ "github.com/otzone/otzone/discovery/iec61850"
	_ "github.com/otzone/otzone/discovery/knxip"
	_ "github.com/otzone/otzone/discovery/lldp"
	_ "github.com/otzone/otzone/discovery/modbus"
	_ "github.com/otzone/otzone/discovery/ntp"
	_ "github.com/otzone/otzone/discovery/opcua"
	_ "github.com/otzone/otzone/discovery/profinet"
	_ "github.com/otzone/otzone/discovery/ptp"
	_ "github.com/otzone/otzone/discovery/rdp"
	_ "github.com/otzone/otzone/discovery/s7comm"
	_ "github.com/otzone/otzone/discovery/slmp"
	_ "github.com/otzone/otzone/discovery/smb"
	_ "github.com/otzone/otzone/discovery/snmp"
	_ "github.com/otzone/otzone/discovery/srtp"
	_ "github.com/otzone/otzone/discovery/ssh"
	_ "github.com/otzone/otzone/discovery/telnet"
	_ "github.com/otzone/otzone/discovery/tls"
)
