// Package rules is otzone's declarative rule engine: it classifies assets
// (device type, Purdue level), gives zoning hints, and carries the finding
// rules the assessment evaluates.
//
// Rules are YAML files, one rule per file, named after the rule id
// (rules/builtin/<id>.yaml, embedded in the binary); users add their own
// with --rules DIR. Parsing is strict: an unknown key, a wrong type, a bad
// regular expression or CIDR is an error with file:line:column. The JSON
// Schema in rules/schema/rule.schema.json lets editors validate rule files.
//
// A rule is
//
//	id: plc-modbus-server          # kebab-case, never reused
//	kind: classify                 # classify | zone | finding
//	title: Modbus/TCP server
//	priority: 50                   # the highest priority that matched wins a field
//	confidence: 0.6                # recorded with the decision
//	when: <condition>
//	set: {device_type: plc, purdue_level: 1}    # classify
//	zone: {kind: control, group: cell}          # zone
//	because: serves Modbus/TCP     # the sentence recorded with the decision
//
// Conditions (exactly one key per node; lists accept a single value):
//
//	all: [c, ...] / any: [c, ...] / not: c
//	offers:       {protocol, port, transport, role}  server-side service (server, outstation, publisher)
//	uses:         {protocol, port, transport, role}  client-side service (client, master, subscriber)
//	issues:       {class, protocol, name, min_count, min_peers, peer_device_type}  operations sent
//	receives:     {class, protocol, name, min_count, min_peers, peer_device_type}  operations received
//	connects_to:  {protocol, port, peer_device_type, peer_level, min_peers, max_peers}  as client
//	accepts_from: {protocol, port, peer_device_type, peer_level, min_peers, max_peers}  as server
//	attribute:    {key | key_prefix, equals (case-insensitive) | matches (RE2)}; neither: key exists
//	vendor:       RE2 over the merged vendor and every *.vendor_name attribute
//	field:        {name: vendor|model|firmware|serial|hostname|mac|ip, equals | matches, min_values}
//	network:      {cidr: [...], vlan: [...] (attribute net.vlan), public: true|false}
//	device_type:  [...]   purdue_level: [...]   (the verdict of the previous pass)
//
// Classification runs two passes so that rules can use peers' device types
// (an HMI is what polls PLCs). Each matching rule records an
// inventory.Decision with rule id, priority, confidence, because and the
// evidence (pcap:FILE#frame=N) of the facts that matched; per field the
// highest priority wins (then confidence, then id) and the losers are kept
// with Won=false.
//
// Priority bands of the built-in rules:
//
//	85-90  explicit device identity (CIP device profile, Logix chassis module)
//	70-80  controller identity (S7 SZL, Modbus device identification), network-equipment identity
//	60-65  server roles only controllers have (S7, DNP3 outstation, IEC 104, IEC 61850),
//	       engineering behaviour (program transfer, PLC start/stop), PROFINET roles
//	45-55  weaker server roles (Modbus, EtherNet/IP, BACnet), SCADA/master behaviour
//	30-40  polling behaviour (HMI), OPC UA server, router-like MAC, historian behaviour
//	10-25  IT services, Windows clients, SNMP agents
//
// User rules that should beat every built-in use priority 100 and above.
package rules
