// Package inventory is the asset and communication model that zones/, rules/
// and assess/ read, and the merge of observations into it.
//
// The JSON tags are the CONTRACT.md export keys (schema otzone.inventory/v1):
// extend, never rename.
package inventory

import "time"

// Schema is the version tag of the inventory export.
const Schema = "otzone.inventory/v1"

// Inventory is the whole merged picture of one database.
type Inventory struct {
	Schema         string          `json:"schema"`
	GeneratedAt    time.Time       `json:"generated_at"`
	Sources        []Source        `json:"sources"`
	Assets         []Asset         `json:"assets"`
	Communications []Communication `json:"communications"`
}

// Source is one ingested capture, live session or probe run.
type Source struct {
	Kind      string    `json:"kind"` // pcap|live|probe
	Name      string    `json:"name"`
	SHA256    string    `json:"sha256,omitempty"`
	Packets   uint64    `json:"packets"`
	Bytes     uint64    `json:"bytes,omitempty"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// Malformed counts frames that could not be decoded; Error is the reason
	// a source stopped early (truncated file: the byte offset and frame).
	Malformed uint64 `json:"malformed,omitempty"`
	Error     string `json:"error,omitempty"`
	// Live capture statistics (kernel drops, freezes, application drops).
	Drops *CaptureStats `json:"capture_stats,omitempty"`
	Site  string        `json:"site,omitempty"`
}

// CaptureStats are a live source's loss counters.
type CaptureStats struct {
	KernelPackets uint64 `json:"kernel_packets"`
	KernelDrops   uint64 `json:"kernel_drops"`
	Freezes       uint64 `json:"freezes"`
	AppDrops      uint64 `json:"app_drops"`
}

// Asset is one device: a MAC on the local segment, an IP behind a router, or
// a sub-addressed device behind a gateway (Via).
type Asset struct {
	ID string `json:"id"`
	// Key is the identity the asset was merged on: "mac:00:0c:29:aa:bb:cc",
	// "ip:10.0.0.5", or "ip:10.0.0.5|bacnet:net=5,adr=0a". An IP-keyed
	// asset ingested with a site carries it: "ip:10.0.0.5|site:north"
	// (the same private address at two sites is two devices); MAC keys
	// are global.
	Key         string      `json:"key"`
	MACs        []string    `json:"macs"`
	IPs         []string    `json:"ips"`
	Hostnames   []string    `json:"hostnames"`
	Via         string      `json:"via,omitempty"`
	Vendor      string      `json:"vendor"`
	Model       string      `json:"model"`
	Firmware    string      `json:"firmware"`
	Serial      string      `json:"serial"`
	DeviceType  string      `json:"device_type"`
	PurdueLevel *int        `json:"purdue_level"`
	Services    []Service   `json:"services"`
	Attributes  []Attribute `json:"attributes"`
	// Decisions record which rule set device_type, purdue_level and the
	// merged identity fields, on which evidence, and the losers.
	Decisions []Decision `json:"decisions,omitempty"`
	// Fields says where each merged field (vendor, model, firmware, serial)
	// came from, and keeps conflicting values.
	Fields    map[string][]FieldValue `json:"fields,omitempty"`
	Sites     []string                `json:"sites,omitempty"`
	FirstSeen time.Time               `json:"first_seen"`
	LastSeen  time.Time               `json:"last_seen"`
}

// Service is a protocol an asset offers (server roles) or uses (client roles).
type Service struct {
	Protocol  string    `json:"protocol"`
	Transport string    `json:"transport"`
	Port      int       `json:"port"`
	Role      string    `json:"role"`
	Source    string    `json:"source,omitempty"`
	FirstSeen time.Time `json:"first_seen,omitempty"`
	LastSeen  time.Time `json:"last_seen,omitempty"`
}

// Attribute is one fact about an asset with its provenance.
type Attribute struct {
	Key        string    `json:"key"`
	Value      string    `json:"value"`
	Source     string    `json:"source"`
	FirstSeen  time.Time `json:"first_seen"`
	LastSeen   time.Time `json:"last_seen,omitempty"`
	Confidence float64   `json:"confidence"`
	Count      uint64    `json:"count,omitempty"`
}

// FieldValue is one candidate for a merged field, with where it came from.
type FieldValue struct {
	Value      string  `json:"value"`
	From       string  `json:"from"` // attribute key, e.g. "enip.vendor_name" or "oui"
	Source     string  `json:"source"`
	Confidence float64 `json:"confidence"`
	Chosen     bool    `json:"chosen"`
}

// Decision is one rule's verdict on an asset or zone, with its evidence.
type Decision struct {
	Field    string   `json:"field"` // device_type, purdue_level, zone, ...
	Value    string   `json:"value"`
	Rule     string   `json:"rule"`
	Priority int      `json:"priority"`
	Because  string   `json:"because"`
	Evidence []string `json:"evidence,omitempty"` // "pcap:FILE#frame=N"
	// Confidence of the decision in [0,1].
	Confidence float64 `json:"confidence"`
	// Won is false for a rule that matched but lost on priority.
	Won bool `json:"won"`
}

// Communication aggregates every flow between a client and a server asset
// over one protocol and server port.
type Communication struct {
	Client     string      `json:"client"`
	Server     string      `json:"server"`
	Protocol   string      `json:"protocol"`
	Transport  string      `json:"transport"`
	Port       int         `json:"port"`
	Packets    uint64      `json:"packets"`
	Bytes      uint64      `json:"bytes"`
	FirstSeen  time.Time   `json:"first_seen"`
	LastSeen   time.Time   `json:"last_seen"`
	Operations []Operation `json:"operations"`
	// Attributes are facts about the communication (security mode, encrypted).
	Attributes []Attribute `json:"attributes,omitempty"`
	// Source is the evidence of the first frame seen.
	Source string `json:"source,omitempty"`
}

// Operation counts one operation code on a communication.
type Operation struct {
	Code  int    `json:"code"`
	Name  string `json:"name"`
	Class string `json:"class"`
	Count uint64 `json:"count"`
	// Source is the evidence of the first time it was seen.
	Source string `json:"source,omitempty"`
}
