package zones

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/otzone/otzone/rules"
)

// Schema is the version tag of the zones export (CONTRACT.md).
const Schema = "otzone.zones/v1"

// SecurityLevel is an IEC 62443 security level, SL 0 (no specific
// requirement) to SL 4 (protection against intentional violation with
// sophisticated means and extended resources). The zero value is SL 0.
type SecurityLevel uint8

// The security levels of IEC 62443-3-3 clause 4.
const (
	SL0 SecurityLevel = iota
	SL1
	SL2
	SL3
	SL4
)

// MaxSecurityLevel is the highest level the standard defines.
const MaxSecurityLevel = SL4

// ParseSecurityLevel reads "0".."4", also written "SL2" or "sl 2".
func ParseSecurityLevel(s string) (SecurityLevel, error) {
	t := strings.TrimSpace(strings.ToUpper(s))
	t = strings.TrimSpace(strings.TrimPrefix(t, "SL"))
	n, err := strconv.Atoi(t)
	if err != nil || n < 0 || n > int(MaxSecurityLevel) {
		return 0, fmt.Errorf("security level %q: want 0 to 4", s)
	}
	return SecurityLevel(n), nil
}

// Valid reports whether l is SL 0 to SL 4.
func (l SecurityLevel) Valid() bool { return l <= MaxSecurityLevel }

func (l SecurityLevel) String() string { return "SL" + strconv.Itoa(int(l)) }

// MarshalJSON writes the level as a number, as CONTRACT.md shows.
func (l SecurityLevel) MarshalJSON() ([]byte, error) {
	if !l.Valid() {
		return nil, fmt.Errorf("security level %d out of range", l)
	}
	return []byte(strconv.Itoa(int(l))), nil
}

// UnmarshalJSON accepts a number or a string ("2", "SL2").
func (l *SecurityLevel) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	v, err := ParseSecurityLevel(s)
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// MarshalYAML writes the level as a number.
func (l SecurityLevel) MarshalYAML() (any, error) {
	if !l.Valid() {
		return nil, fmt.Errorf("security level %d out of range", l)
	}
	return int(l), nil
}

// UnmarshalYAML accepts a number or a string ("2", "SL2").
func (l *SecurityLevel) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: security level: want a number 0 to 4", n.Line)
	}
	v, err := ParseSecurityLevel(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*l = v
	return nil
}

// FoundationalRequirement is one of the seven IEC 62443-3-3 foundational
// requirements a security level vector is made of.
type FoundationalRequirement uint8

// The foundational requirements, FR1 to FR7.
const (
	FR1 FoundationalRequirement = iota + 1 // identification and authentication control (IAC)
	FR2                                    // use control (UC)
	FR3                                    // system integrity (SI)
	FR4                                    // data confidentiality (DC)
	FR5                                    // restricted data flow (RDF)
	FR6                                    // timely response to events (TRE)
	FR7                                    // resource availability (RA)
)

// FoundationalRequirements lists FR1..FR7 in order.
var FoundationalRequirements = [...]FoundationalRequirement{FR1, FR2, FR3, FR4, FR5, FR6, FR7}

var frAbbrev = [...]string{"", "IAC", "UC", "SI", "DC", "RDF", "TRE", "RA"}
var frTitle = [...]string{"",
	"Identification and authentication control",
	"Use control",
	"System integrity",
	"Data confidentiality",
	"Restricted data flow",
	"Timely response to events",
	"Resource availability",
}

// ParseFoundationalRequirement reads "FR1".."FR7", "fr 3", "3", or the
// abbreviation ("IAC", "UC", "SI", "DC", "RDF", "TRE", "RA").
func ParseFoundationalRequirement(s string) (FoundationalRequirement, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	for i := 1; i < len(frAbbrev); i++ {
		if t == frAbbrev[i] {
			return FoundationalRequirement(i), nil
		}
	}
	t = strings.TrimSpace(strings.TrimPrefix(t, "FR"))
	n, err := strconv.Atoi(t)
	if err != nil || n < 1 || n > 7 {
		return 0, fmt.Errorf("foundational requirement %q: want FR1 to FR7", s)
	}
	return FoundationalRequirement(n), nil
}

// Valid reports whether fr is FR1 to FR7.
func (fr FoundationalRequirement) Valid() bool { return fr >= FR1 && fr <= FR7 }

func (fr FoundationalRequirement) String() string {
	if !fr.Valid() {
		return "FR?" + strconv.Itoa(int(fr))
	}
	return "FR" + strconv.Itoa(int(fr))
}

// Abbrev is the standard's abbreviation: IAC, UC, SI, DC, RDF, TRE, RA.
func (fr FoundationalRequirement) Abbrev() string {
	if !fr.Valid() {
		return ""
	}
	return frAbbrev[fr]
}

// Title is the requirement's short title.
func (fr FoundationalRequirement) Title() string {
	if !fr.Valid() {
		return ""
	}
	return frTitle[fr]
}

// MarshalText writes "FR1".."FR7" (JSON strings and map keys).
func (fr FoundationalRequirement) MarshalText() ([]byte, error) {
	if !fr.Valid() {
		return nil, fmt.Errorf("foundational requirement %d out of range", fr)
	}
	return []byte(fr.String()), nil
}

// UnmarshalText reads what ParseFoundationalRequirement accepts.
func (fr *FoundationalRequirement) UnmarshalText(b []byte) error {
	v, err := ParseFoundationalRequirement(string(b))
	if err != nil {
		return err
	}
	*fr = v
	return nil
}

// MarshalYAML writes "FR1".."FR7".
func (fr FoundationalRequirement) MarshalYAML() (any, error) {
	b, err := fr.MarshalText()
	return string(b), err
}

// UnmarshalYAML reads what ParseFoundationalRequirement accepts.
func (fr *FoundationalRequirement) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: foundational requirement: want FR1 to FR7", n.Line)
	}
	if err := fr.UnmarshalText([]byte(n.Value)); err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	return nil
}

// SLVector is a security level per foundational requirement (index 0 is FR1):
// a zone's SL-T, SL-C or SL-A. JSON and YAML write it as the map
// {"FR1": 2, ..., "FR7": 1}; YAML also reads a single number meaning the
// same level for all seven.
type SLVector [7]SecurityLevel

// Uniform returns the vector with every FR at l.
func Uniform(l SecurityLevel) SLVector {
	var v SLVector
	for i := range v {
		v[i] = l
	}
	return v
}

// Get returns the level for fr (SL0 for an invalid fr).
func (v SLVector) Get(fr FoundationalRequirement) SecurityLevel {
	if !fr.Valid() {
		return SL0
	}
	return v[fr-1]
}

// Set sets the level for fr; an invalid fr is ignored.
func (v *SLVector) Set(fr FoundationalRequirement, l SecurityLevel) {
	if fr.Valid() {
		v[fr-1] = l
	}
}

// Max is the highest level across the FRs.
func (v SLVector) Max() SecurityLevel {
	m := SL0
	for _, l := range v {
		if l > m {
			m = l
		}
	}
	return m
}

// String is "FR1=2 FR2=2 ... FR7=1".
func (v SLVector) String() string {
	var b strings.Builder
	for i, l := range v {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "FR%d=%d", i+1, l)
	}
	return b.String()
}

// Compact is "2222122" (one digit per FR) for tables.
func (v SLVector) Compact() string {
	b := make([]byte, 7)
	for i, l := range v {
		b[i] = '0' + byte(l)
	}
	return string(b)
}

// MarshalJSON writes {"FR1":n,...,"FR7":n} in FR order.
func (v SLVector) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, l := range v {
		if !l.Valid() {
			return nil, fmt.Errorf("FR%d: security level %d out of range", i+1, l)
		}
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"FR%d":%d`, i+1, l)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

// UnmarshalJSON reads a map of FR to level; missing FRs are SL0.
func (v *SLVector) UnmarshalJSON(b []byte) error {
	var m map[FoundationalRequirement]SecurityLevel
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("sl vector: %w", err)
	}
	*v = SLVector{}
	for fr, l := range m {
		v.Set(fr, l)
	}
	return nil
}

// MarshalYAML writes a flow-style FR map.
func (v SLVector) MarshalYAML() (any, error) {
	n := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
	for i, l := range v {
		n.Content = append(n.Content,
			&yaml.Node{Kind: yaml.ScalarNode, Value: "FR" + strconv.Itoa(i+1)},
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(int(l))})
	}
	return n, nil
}

// UnmarshalYAML reads a number (all FRs) or an FR map (missing FRs are SL0).
func (v *SLVector) UnmarshalYAML(n *yaml.Node) error {
	got, err := ParseSLVectorNode(n)
	if err != nil {
		return err
	}
	*v = got
	return nil
}

// ParseSLVectorNode reads a YAML number (the same level for every FR) or a
// mapping FR→level. Errors carry line and column.
func ParseSLVectorNode(n *yaml.Node) (SLVector, error) {
	var v SLVector
	switch n.Kind {
	case yaml.ScalarNode:
		l, err := ParseSecurityLevel(n.Value)
		if err != nil {
			return v, posErr(n, "unknown sl_target %q: want 0 to 4 or a map FR1..FR7", n.Value)
		}
		return Uniform(l), nil
	case yaml.MappingNode:
		seen := map[FoundationalRequirement]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			fr, err := ParseFoundationalRequirement(k.Value)
			if err != nil {
				return v, posErr(k, "unknown foundational requirement %q: want FR1 to FR7", k.Value)
			}
			if seen[fr] {
				return v, posErr(k, "%s given twice", fr)
			}
			seen[fr] = true
			if val.Kind != yaml.ScalarNode {
				return v, posErr(val, "%s: want a number 0 to 4", fr)
			}
			l, err := ParseSecurityLevel(val.Value)
			if err != nil {
				return v, posErr(val, "%s: unknown security level %q: want 0 to 4", fr, val.Value)
			}
			v.Set(fr, l)
		}
		return v, nil
	default:
		return v, posErr(n, "sl_target: want a number 0 to 4 or a map FR1..FR7")
	}
}

// ZoneKind says what a zone is for; it decides the default SL-T and how the
// comparison reads a conduit (enterprise straight to control is a shortcut).
type ZoneKind uint8

// Zone kinds, roughly top to bottom of the Purdue model.
const (
	KindUnassigned ZoneKind = iota
	KindEnterprise
	KindDMZ
	KindOperations
	KindSupervisory
	KindControl
	KindSafety
	KindField
	KindExternal
)

var zoneKindNames = [...]string{"unassigned", "enterprise", "dmz", "operations", "supervisory", "control", "safety", "field", "external"}

// ZoneKinds lists every kind in declaration order.
var ZoneKinds = [...]ZoneKind{KindUnassigned, KindEnterprise, KindDMZ, KindOperations, KindSupervisory, KindControl, KindSafety, KindField, KindExternal}

// ParseZoneKind reads a kind name (case-insensitive).
func ParseZoneKind(s string) (ZoneKind, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	for i, n := range zoneKindNames {
		if t == n {
			return ZoneKind(i), nil
		}
	}
	return 0, fmt.Errorf("zone kind %q: want one of %s", s, strings.Join(zoneKindNames[:], ", "))
}

// Valid reports whether k is a defined kind.
func (k ZoneKind) Valid() bool { return int(k) < len(zoneKindNames) }

func (k ZoneKind) String() string {
	if !k.Valid() {
		return "kind(" + strconv.Itoa(int(k)) + ")"
	}
	return zoneKindNames[k]
}

// MarshalText writes the kind name.
func (k ZoneKind) MarshalText() ([]byte, error) {
	if !k.Valid() {
		return nil, fmt.Errorf("zone kind %d out of range", k)
	}
	return []byte(k.String()), nil
}

// UnmarshalText reads a kind name.
func (k *ZoneKind) UnmarshalText(b []byte) error {
	v, err := ParseZoneKind(string(b))
	if err != nil {
		return err
	}
	*k = v
	return nil
}

// MarshalYAML writes the kind name.
func (k ZoneKind) MarshalYAML() (any, error) {
	b, err := k.MarshalText()
	return string(b), err
}

// UnmarshalYAML reads a kind name.
func (k *ZoneKind) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: zone kind: want a name", n.Line)
	}
	if err := k.UnmarshalText([]byte(n.Value)); err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	return nil
}

// DefaultLevel is the Purdue level a kind usually sits at (-1: none).
func (k ZoneKind) DefaultLevel() int {
	switch k {
	case KindField:
		return 0
	case KindControl, KindSafety:
		return 1
	case KindSupervisory:
		return 2
	case KindOperations:
		return 3
	case KindEnterprise:
		return 4
	}
	return -1
}

// KindForLevel is the kind a derived zone gets from its assets' Purdue level.
func KindForLevel(level int) ZoneKind {
	switch {
	case level <= 0:
		return KindField
	case level == 1:
		return KindControl
	case level == 2:
		return KindSupervisory
	case level == 3:
		return KindOperations
	default:
		return KindEnterprise
	}
}

// DefaultSLTarget is the SL-T a zone gets when neither the designed model
// nor --target-sl gives one. The values are this tool's defaults, not the
// standard's (IEC 62443-3-2 ZCR 5.6 makes SL-T the asset owner's decision
// from a risk assessment); they follow common practice:
//
//	kind         FR1 FR2 FR3 FR4 FR5 FR6 FR7  why
//	enterprise    1   1   1   1   1   1   1   IT controls apply; not the OT risk owner's zone
//	dmz           2   2   2   2   3   2   2   the only path IT↔OT: data flow restriction is its purpose
//	operations    2   2   2   1   2   2   1   site servers (historian): integrity first, loss tolerable
//	supervisory   2   2   2   1   2   2   2   HMI/SCADA/EWS: can write to controllers, must stay available
//	control       2   2   2   1   2   2   2   controllers: integrity and availability of the process
//	safety        3   3   3   1   3   2   3   SIS: highest integrity, isolated
//	field         1   1   2   1   2   1   2   I/O devices can authenticate little; integrity/availability matter
//	external      0   0   0   0   0   0   0   not ours to protect
//	unassigned    0   0   0   0   0   0   0   no target until someone assigns the zone
//
// FR4 (data confidentiality) is 1 in most OT zones: process values are rarely
// secret, and encryption must not cost availability.
func DefaultSLTarget(k ZoneKind) SLVector {
	switch k {
	case KindEnterprise:
		return Uniform(SL1)
	case KindDMZ:
		return SLVector{2, 2, 2, 2, 3, 2, 2}
	case KindOperations:
		return SLVector{2, 2, 2, 1, 2, 2, 1}
	case KindSupervisory, KindControl:
		return SLVector{2, 2, 2, 1, 2, 2, 2}
	case KindSafety:
		return SLVector{3, 3, 3, 1, 3, 2, 3}
	case KindField:
		return SLVector{1, 1, 2, 1, 2, 1, 2}
	}
	return SLVector{}
}

// Impact is a FIPS 199 potential impact level.
type Impact uint8

// FIPS 199 impact levels; ImpactUnset means the model gave none.
const (
	ImpactUnset Impact = iota
	ImpactLow
	ImpactModerate
	ImpactHigh
)

var impactNames = [...]string{"", "low", "moderate", "high"}

// ParseImpact reads low, moderate or high.
func ParseImpact(s string) (Impact, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	for i := 1; i < len(impactNames); i++ {
		if t == impactNames[i] {
			return Impact(i), nil
		}
	}
	return 0, fmt.Errorf("impact %q: want low, moderate or high", s)
}

func (i Impact) String() string {
	if int(i) < len(impactNames) {
		return impactNames[i]
	}
	return "impact(" + strconv.Itoa(int(i)) + ")"
}

// MarshalText writes the impact name.
func (i Impact) MarshalText() ([]byte, error) { return []byte(i.String()), nil }

// UnmarshalText reads the impact name.
func (i *Impact) UnmarshalText(b []byte) error {
	v, err := ParseImpact(string(b))
	if err != nil {
		return err
	}
	*i = v
	return nil
}

// FIPS199 is a zone's security categorization, which the assessment maps to
// an SP 800-53 baseline (the high-water mark of the three).
type FIPS199 struct {
	Confidentiality Impact `json:"confidentiality"`
	Integrity       Impact `json:"integrity"`
	Availability    Impact `json:"availability"`
}

// HighWater is the highest of the three impacts.
func (f FIPS199) HighWater() Impact {
	m := f.Confidentiality
	if f.Integrity > m {
		m = f.Integrity
	}
	if f.Availability > m {
		m = f.Availability
	}
	return m
}

// IsZero reports whether no impact was given.
func (f FIPS199) IsZero() bool { return f == FIPS199{} }

// Zone is a group of assets that share security requirements.
type Zone struct {
	ID          string        `json:"id"`
	Name        string        `json:"name"`
	Kind        ZoneKind      `json:"kind"`
	PurdueLevel *int          `json:"purdue_level"`
	Assets      []string      `json:"assets"`
	SLTarget    SLVector      `json:"sl_target"`
	Declared    bool          `json:"declared"`
	Why         []string      `json:"why"`
	Description string        `json:"description,omitempty"`
	FIPS199     *FIPS199      `json:"fips199,omitempty"`
	Networks    []string      `json:"networks,omitempty"` // CIDRs or "vlan:N" the zone was derived from / declared with
	SLSource    string        `json:"sl_target_source,omitempty"`
	Members     []MemberMatch `json:"-"` // declared membership (designed model only)
}

// Direction says which side of a conduit initiates communications.
type Direction uint8

// Conduit directions. For a conduit between zones [A, B]: AtoB means A's
// assets are clients of B's servers.
const (
	DirectionAny Direction = iota
	DirectionAtoB
	DirectionBtoA
	DirectionBoth
)

var directionNames = [...]string{"any", "a_to_b", "b_to_a", "both"}

// ParseDirection reads any, a_to_b, b_to_a or both (also "a->b", "b->a").
func ParseDirection(s string) (Direction, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	switch t {
	case "", "any":
		return DirectionAny, nil
	case "a_to_b", "a->b", "forward":
		return DirectionAtoB, nil
	case "b_to_a", "b->a", "reverse":
		return DirectionBtoA, nil
	case "both", "bidirectional":
		return DirectionBoth, nil
	}
	return 0, fmt.Errorf("direction %q: want any, a_to_b, b_to_a or both", s)
}

func (d Direction) String() string {
	if int(d) < len(directionNames) {
		return directionNames[d]
	}
	return "direction(" + strconv.Itoa(int(d)) + ")"
}

// MarshalText writes the direction name.
func (d Direction) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads a direction name.
func (d *Direction) UnmarshalText(b []byte) error {
	v, err := ParseDirection(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Conduit is the set of communications between two zones.
type Conduit struct {
	ID    string    `json:"id"`
	Zones [2]string `json:"zones"`
	// Protocols seen (derived) or allowed (declared, when nothing was seen).
	Protocols []string `json:"protocols"`
	Ports     []int    `json:"ports,omitempty"`
	// Communications is how many client/server/protocol/port triples cross it.
	Communications int    `json:"communications"`
	Packets        uint64 `json:"packets"`
	Bytes          uint64 `json:"bytes"`
	// Encrypted is true only when every communication is; Authenticated alike.
	Encrypted     bool `json:"encrypted"`
	Authenticated bool `json:"authenticated"`
	// Initiators are the zone ids whose assets opened communications.
	Initiators []string  `json:"initiators"`
	Direction  Direction `json:"direction"`
	// Operations counts operations crossing the conduit by class (write,
	// program, control, ...).
	Operations map[string]uint64 `json:"operations,omitempty"`
	Declared   bool              `json:"declared"`
	Why        []string          `json:"why"`
	// AllowedProtocols and AllowedPorts come from the designed model.
	AllowedProtocols []string `json:"allowed_protocols,omitempty"`
	AllowedPorts     []int    `json:"allowed_ports,omitempty"`
	// Flows are the communications that cross it (omitted in the summary).
	Flows []CommRef `json:"flows,omitempty"`
	// Description from the designed model.
	Description string `json:"description,omitempty"`
}

// CommRef names one communication in a violation or conduit.
type CommRef struct {
	Client      string `json:"client"`
	Server      string `json:"server"`
	ClientZone  string `json:"client_zone,omitempty"`
	ServerZone  string `json:"server_zone,omitempty"`
	Protocol    string `json:"protocol"`
	Transport   string `json:"transport,omitempty"`
	Port        int    `json:"port"`
	Packets     uint64 `json:"packets,omitempty"`
	Encrypted   bool   `json:"encrypted,omitempty"`
	Evidence    string `json:"evidence,omitempty"` // first frame: "pcap:FILE#frame=N"
	WriteOps    uint64 `json:"write_operations,omitempty"`
	ProgramOps  uint64 `json:"program_operations,omitempty"`
	ControlOps  uint64 `json:"control_operations,omitempty"`
	ClientLevel *int   `json:"client_level,omitempty"`
	ServerLevel *int   `json:"server_level,omitempty"`
}

// ViolationKind names a mismatch between the designed model and traffic.
type ViolationKind string

// The violations Compare reports.
const (
	// ViolationUndeclaredConduit: traffic crosses two zones with no declared conduit.
	ViolationUndeclaredConduit ViolationKind = "undeclared_conduit"
	// ViolationProtocolNotAllowed: a declared conduit carries a protocol or port it does not allow.
	ViolationProtocolNotAllowed ViolationKind = "protocol_not_allowed"
	// ViolationDirectionNotAllowed: the wrong side of a conduit initiated.
	ViolationDirectionNotAllowed ViolationKind = "direction_not_allowed"
	// ViolationUnusedConduit: a declared conduit saw no traffic.
	ViolationUnusedConduit ViolationKind = "unused_conduit"
	// ViolationAssetOutsideModel: an observed asset matches no declared zone.
	ViolationAssetOutsideModel ViolationKind = "asset_outside_model"
	// ViolationPurdueShortcut: level 4/5 talks straight to level 0/1.
	ViolationPurdueShortcut ViolationKind = "purdue_shortcut"
	// ViolationAssetInTwoZones: an asset matches the members of two zones.
	ViolationAssetInTwoZones ViolationKind = "asset_in_two_zones"
)

// Violation is one mismatch, with the communications that show it.
type Violation struct {
	Kind           ViolationKind `json:"kind"`
	Detail         string        `json:"detail"`
	Zones          []string      `json:"zones,omitempty"`
	Conduit        string        `json:"conduit,omitempty"`
	Assets         []string      `json:"assets,omitempty"`
	Communications []CommRef     `json:"communications"`
}

// Model is the zones and conduits of a site: derived from traffic, declared
// in a designed-model file, or the two compared.
type Model struct {
	Schema     string      `json:"schema"`
	Zones      []Zone      `json:"zones"`
	Conduits   []Conduit   `json:"conduits"`
	Violations []Violation `json:"violations"`
	// Source is "derived" or the designed-model file.
	Source string `json:"source,omitempty"`
}

// Zone returns the zone with id, or nil.
func (m *Model) Zone(id string) *Zone {
	for i := range m.Zones {
		if m.Zones[i].ID == id {
			return &m.Zones[i]
		}
	}
	return nil
}

// Conduit returns the conduit with id, or nil.
func (m *Model) Conduit(id string) *Conduit {
	for i := range m.Conduits {
		if m.Conduits[i].ID == id {
			return &m.Conduits[i]
		}
	}
	return nil
}

// ZoneOf maps asset id → zone id.
func (m *Model) ZoneOf() map[string]string {
	out := make(map[string]string)
	for _, z := range m.Zones {
		for _, a := range z.Assets {
			out[a] = z.ID
		}
	}
	return out
}

// Sort orders zones, conduits and violations reproducibly.
func (m *Model) Sort() {
	sort.SliceStable(m.Zones, func(i, j int) bool { return zoneLess(m.Zones[i], m.Zones[j]) })
	for i := range m.Zones {
		sort.Strings(m.Zones[i].Assets)
	}
	sort.SliceStable(m.Conduits, func(i, j int) bool { return m.Conduits[i].ID < m.Conduits[j].ID })
	sort.SliceStable(m.Violations, func(i, j int) bool {
		a, b := m.Violations[i], m.Violations[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.Detail < b.Detail
	})
}

func zoneLess(a, b Zone) bool {
	la, lb := levelKey(a.PurdueLevel), levelKey(b.PurdueLevel)
	if la != lb {
		return la > lb // enterprise first, field last, like the Purdue drawing
	}
	return a.ID < b.ID
}

func levelKey(p *int) int {
	if p == nil {
		return -100
	}
	return *p
}

// posErr is an error at a YAML node's position; the file name is added by
// the caller (ParseModel names it: "FILE:LINE:COL: ...").
func posErr(n *yaml.Node, format string, args ...any) error {
	return &PosError{Line: n.Line, Column: n.Column, Msg: fmt.Sprintf(format, args...)}
}

// PosError is an error at a line and column of an input file (the rules
// package's, shared so that both file kinds report alike).
type PosError = rules.PosError

// MemberMatch is one membership clause of a declared zone: an asset belongs
// when it matches any non-empty list of the clause (an IP in a CIDR, one of
// the MACs or asset ids, a VLAN), and, when a selector is given, every
// selector field too.
type MemberMatch struct {
	CIDRs       []netip.Prefix `json:"cidrs,omitempty"`
	MACs        []string       `json:"macs,omitempty"`
	Assets      []string       `json:"assets,omitempty"`
	VLANs       []int          `json:"vlans,omitempty"`
	DeviceTypes []string       `json:"device_types,omitempty"`
	Levels      []int          `json:"levels,omitempty"`
	// Attributes: key → regular expression the value must match.
	Attributes map[string]*regexp.Regexp `json:"-"`
}
