package rules

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
)

// Kind says what a rule does.
type Kind string

// Rule kinds.
const (
	// KindClassify sets device_type and/or purdue_level of the assets its
	// condition matches.
	KindClassify Kind = "classify"
	// KindZone gives zoning hints: which zone kind an asset belongs to and how
	// assets of that kind are grouped.
	KindZone Kind = "zone"
	// KindFinding is an assessment check (assess/ evaluates it); the loader
	// validates and passes it on.
	KindFinding Kind = "finding"
)

// Kinds lists the rule kinds.
var Kinds = []Kind{KindClassify, KindZone, KindFinding}

// Rule is one declarative rule file (or one YAML document of a file). The
// yaml tags are the file format; rules/schema/rule.schema.json mirrors them
// (a test keeps the two equal).
type Rule struct {
	// ID is kebab-case, unique, and never reused for another meaning.
	ID   string `yaml:"id"`
	Kind Kind   `yaml:"kind"`
	// Title is one line for `otzone rules list`.
	Title       string `yaml:"title"`
	Description string `yaml:"description,omitempty"`
	// Priority decides conflicts: the highest priority that matched wins a
	// field; ties go to the higher confidence, then to the smaller id.
	Priority int `yaml:"priority"`
	// Confidence of the rule's verdict in (0,1]; default 0.5.
	Confidence float64 `yaml:"confidence,omitempty"`
	// When is the condition over an asset's facts (classify, zone, and
	// asset-scoped finding rules).
	When *Condition `yaml:"when,omitempty"`
	// Set is what a classify rule decides.
	Set *Set `yaml:"set,omitempty"`
	// Because is the human sentence recorded with each decision.
	Because string `yaml:"because,omitempty"`
	// Zone is what a zone rule decides.
	Zone *ZoneHint `yaml:"zone,omitempty"`

	// Finding-rule fields (kind: finding), read by assess/.
	Severity string `yaml:"severity,omitempty"` // critical|high|medium|low|info
	// Scope is what a finding is about: asset, zone, conduit or communication.
	Scope string `yaml:"scope,omitempty"`
	// Check names a check implemented in Go by assess/ ("cleartext-write");
	// the YAML then carries the metadata and parameters.
	Check string `yaml:"check,omitempty"`
	// Conduit is a condition over a conduit (scope conduit/communication).
	Conduit *ConduitCondition `yaml:"conduit,omitempty"`
	// Params are named parameters of the check (thresholds).
	Params         map[string]string `yaml:"params,omitempty"`
	Rationale      string            `yaml:"rationale,omitempty"`
	References     *References       `yaml:"references,omitempty"`
	Remediation    string            `yaml:"remediation,omitempty"`
	FalsePositives string            `yaml:"false_positives,omitempty"`

	// Tags are free labels (protocol names, "identity", "behaviour").
	Tags []string `yaml:"tags,omitempty"`
	// Override must be true for a user rule that replaces a built-in rule
	// with the same id.
	Override bool `yaml:"override,omitempty"`
	// Disabled keeps the rule listed but never evaluated (a user file with
	// override: true and disabled: true turns a built-in off).
	Disabled bool `yaml:"disabled,omitempty"`

	// Origin is "builtin" or "user"; File and Line say where it was read.
	Origin string `yaml:"-"`
	File   string `yaml:"-"`
	Line   int    `yaml:"-"`
}

// Set is a classify rule's verdict; either field may be absent.
type Set struct {
	DeviceType  string `yaml:"device_type,omitempty"`
	PurdueLevel *int   `yaml:"purdue_level,omitempty"`
}

// ZoneHint is a zone rule's verdict for a matching asset.
type ZoneHint struct {
	// Kind is the zone kind (enterprise, dmz, operations, supervisory,
	// control, safety, field, external, unassigned).
	Kind string `yaml:"kind"`
	// Group is how assets of this kind are split into zones:
	// "network" (VLAN, else the IPv4 /24: the default), "cell" (network, then
	// split controllers that share no supervisory client), "single" (one zone
	// for all matching assets) or "asset" (one zone per asset).
	Group string `yaml:"group,omitempty"`
	// Name is the zone name prefix; default the kind.
	Name string `yaml:"name,omitempty"`
}

// References are the framework identifiers of a finding (CONTRACT.md keys).
type References struct {
	IEC62443_3_3 []string `yaml:"iec62443_3_3,omitempty" json:"iec62443_3_3,omitempty"`
	IEC62443_3_2 []string `yaml:"iec62443_3_2,omitempty" json:"iec62443_3_2,omitempty"`
	NIST800_82r3 []string `yaml:"nist_800_82r3,omitempty" json:"nist_800_82r3,omitempty"`
	NIST800_53r5 []string `yaml:"nist_800_53r5,omitempty" json:"nist_800_53r5,omitempty"`
	CSF2_0       []string `yaml:"csf_2_0,omitempty" json:"csf_2_0,omitempty"`
	AttackICS    []string `yaml:"attack_ics,omitempty" json:"attack_ics,omitempty"`
}

// ConduitCondition matches conduits or communications for finding rules.
// Every given field must hold.
type ConduitCondition struct {
	Protocol      []string `yaml:"protocol,omitempty"`
	Port          []int    `yaml:"port,omitempty"`
	OpClass       []string `yaml:"op_class,omitempty"` // some crossing operation has one of these classes
	Encrypted     *bool    `yaml:"encrypted,omitempty"`
	Authenticated *bool    `yaml:"authenticated,omitempty"`
	// FromKind/ToKind: zone kinds of the initiating and the serving side.
	FromKind []string `yaml:"from_kind,omitempty"`
	ToKind   []string `yaml:"to_kind,omitempty"`
	// MinLevelGap: the Purdue levels of the two sides differ by at least this.
	MinLevelGap int   `yaml:"min_level_gap,omitempty"`
	Declared    *bool `yaml:"declared,omitempty"`
}

// Condition is one node of a rule's condition tree. Exactly one field is
// set: a combinator (all, any, not) or one test of an asset's facts.
//
//	all: [c...]        every condition holds
//	any: [c...]        at least one holds
//	not: c             c does not hold
//	offers: S          the asset serves a protocol (roles server, outstation, publisher)
//	uses: S            the asset is a client of a protocol (roles client, master, subscriber)
//	issues: O          the asset sent operations (as client) — class, protocol, counts, peers
//	receives: O        the asset received operations (as server)
//	connects_to: P     the asset is client of peers (protocol, port, peer device type/level, count)
//	accepts_from: P    the asset is server to peers
//	attribute: A       an identity attribute exists / equals / matches a regex
//	vendor: RE         the merged vendor (or any *.vendor_name attribute) matches RE
//	field: F           a merged field (vendor, model, firmware, serial, hostname, mac, ip) equals/matches
//	network: N         an IP in a CIDR, a VLAN (attribute net.vlan), or a public/private address
//	device_type: [..]  the asset's current device type (set by an earlier pass)
//	purdue_level: [..] the asset's current Purdue level
type Condition struct {
	All         []Condition     `yaml:"all,omitempty"`
	Any         []Condition     `yaml:"any,omitempty"`
	Not         *Condition      `yaml:"not,omitempty"`
	Offers      *ServiceMatch   `yaml:"offers,omitempty"`
	Uses        *ServiceMatch   `yaml:"uses,omitempty"`
	Issues      *OperationMatch `yaml:"issues,omitempty"`
	Receives    *OperationMatch `yaml:"receives,omitempty"`
	ConnectsTo  *PeerMatch      `yaml:"connects_to,omitempty"`
	AcceptsFrom *PeerMatch      `yaml:"accepts_from,omitempty"`
	Attribute   *AttributeMatch `yaml:"attribute,omitempty"`
	Vendor      string          `yaml:"vendor,omitempty"`
	Field       *FieldMatch     `yaml:"field,omitempty"`
	Network     *NetworkMatch   `yaml:"network,omitempty"`
	DeviceType  []string        `yaml:"device_type,omitempty"`
	PurdueLevel []int           `yaml:"purdue_level,omitempty"`

	// compiled
	vendorRE *regexp.Regexp
}

// ServiceMatch selects services. Empty lists match anything.
type ServiceMatch struct {
	Protocol  []string `yaml:"protocol,omitempty"`
	Port      []int    `yaml:"port,omitempty"`
	Transport []string `yaml:"transport,omitempty"`
	// Role narrows the roles (default: every server-side role for offers,
	// every client-side role for uses).
	Role []string `yaml:"role,omitempty"`
}

// OperationMatch selects operations on the asset's communications and
// counts them.
type OperationMatch struct {
	Class    []string `yaml:"class,omitempty"`
	Protocol []string `yaml:"protocol,omitempty"`
	// Name matches operation names exactly ("plc_stop", "request_download").
	Name []string `yaml:"name,omitempty"`
	// MinCount is the least total count of matching operations (default 1).
	MinCount uint64 `yaml:"min_count,omitempty"`
	// MinPeers is the least number of distinct peers they involve (default 1).
	MinPeers int `yaml:"min_peers,omitempty"`
	// PeerDeviceType restricts the peers to these device types.
	PeerDeviceType []string `yaml:"peer_device_type,omitempty"`
}

// PeerMatch selects the asset's communication peers and counts them.
type PeerMatch struct {
	Protocol       []string `yaml:"protocol,omitempty"`
	Port           []int    `yaml:"port,omitempty"`
	PeerDeviceType []string `yaml:"peer_device_type,omitempty"`
	PeerLevel      []int    `yaml:"peer_level,omitempty"`
	// MinPeers (default 1) and MaxPeers (0: no limit) bound the number of
	// distinct matching peers.
	MinPeers int `yaml:"min_peers,omitempty"`
	MaxPeers int `yaml:"max_peers,omitempty"`

	maxSet bool
}

// AttributeMatch tests identity attributes. Key is exact; KeyPrefix
// selects every key starting with it ("s7."). With neither Equals nor
// Matches the key's existence is enough.
type AttributeMatch struct {
	Key       string `yaml:"key,omitempty"`
	KeyPrefix string `yaml:"key_prefix,omitempty"`
	// Equals compares case-insensitively; Matches is an RE2 regular
	// expression (use (?i) for case-insensitive).
	Equals  string `yaml:"equals,omitempty"`
	Matches string `yaml:"matches,omitempty"`
	// MinValues is how many distinct matching values are needed (default 1):
	// a MAC seen on two VLANs is a trunked router or switch.
	MinValues int `yaml:"min_values,omitempty"`

	re *regexp.Regexp
}

// FieldMatch tests a merged asset field.
type FieldMatch struct {
	Name    string `yaml:"name"` // vendor, model, firmware, serial, hostname, mac, ip
	Equals  string `yaml:"equals,omitempty"`
	Matches string `yaml:"matches,omitempty"`
	// MinValues is how many values must match (default 1): an asset that
	// sources ten IPs from one MAC is a router.
	MinValues int `yaml:"min_values,omitempty"`

	re *regexp.Regexp
}

// NetworkMatch tests where the asset sits. Every given field must hold.
type NetworkMatch struct {
	CIDR []string `yaml:"cidr,omitempty"`
	VLAN []int    `yaml:"vlan,omitempty"`
	// Public true: some IP is globally routable (not private, loopback,
	// link-local, CGNAT, documentation or multicast). false: no IP is.
	Public *bool `yaml:"public,omitempty"`

	prefixes []netip.Prefix
}

// fieldNames are the FieldMatch names.
var fieldNames = []string{"vendor", "model", "firmware", "serial", "hostname", "mac", "ip"}

// DeviceTypes are the device types CONTRACT.md lists plus io_device (a
// PROFINET IO-device or other distributed I/O, Purdue level 0).
var DeviceTypes = []string{"plc", "rtu", "ied", "io_device", "hmi", "engineering_workstation", "historian",
	"scada_server", "opc_server", "network_device", "firewall", "it_server", "workstation", "unknown"}

// Severities are the finding severities.
var Severities = []string{"critical", "high", "medium", "low", "info"}

// Scopes are the finding scopes.
var Scopes = []string{"asset", "zone", "conduit", "communication", "site"}

var zoneKindNames = []string{"enterprise", "dmz", "operations", "supervisory", "control", "safety", "field", "external", "unassigned"}
var zoneGroups = []string{"", "network", "cell", "single", "asset"}

var idRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func containsFold(list []string, v string) bool {
	for _, x := range list {
		if strings.EqualFold(x, v) {
			return true
		}
	}
	return false
}

// String is "id (kind, priority N)".
func (r *Rule) String() string {
	return fmt.Sprintf("%s (%s, priority %d)", r.ID, r.Kind, r.Priority)
}
