package zones

import "gopkg.in/yaml.v3"

// The designed-model file as written by a person: plain strings and
// numbers, kept apart from the typed model (Threagile pkg/input). The yaml
// tags are the file format; zones/schema/model.schema.json mirrors them and
// a test keeps the two equal.

// ModelInput is the top level of a designed-model file.
type ModelInput struct {
	// Version of the file format; 1 (the default).
	Version     int            `yaml:"version,omitempty"`
	Name        string         `yaml:"name,omitempty"`
	Description string         `yaml:"description,omitempty"`
	Zones       []ZoneInput    `yaml:"zones"`
	Conduits    []ConduitInput `yaml:"conduits,omitempty"`
}

// ZoneInput is one declared zone.
type ZoneInput struct {
	ID   string `yaml:"id"`
	Name string `yaml:"name,omitempty"`
	// Kind: enterprise, dmz, operations, supervisory, control, safety,
	// field, external or unassigned.
	Kind string `yaml:"kind"`
	// Level is the Purdue level (0-5); default the kind's usual level.
	Level *int `yaml:"level,omitempty"`
	// SLTarget is a number (all FRs) or a map FR1..FR7 → 0..4.
	SLTarget    yaml.Node     `yaml:"sl_target,omitempty"`
	Description string        `yaml:"description,omitempty"`
	FIPS199     *FIPS199Input `yaml:"fips199,omitempty"`
	Members     *MembersInput `yaml:"members,omitempty"`
}

// FIPS199Input is a zone's FIPS 199 categorization: low, moderate or high.
type FIPS199Input struct {
	Confidentiality string `yaml:"confidentiality,omitempty"`
	Integrity       string `yaml:"integrity,omitempty"`
	Availability    string `yaml:"availability,omitempty"`
}

// MembersInput says which assets belong to a zone: an asset is a member
// when it matches any of cidrs, macs, assets or vlans (or none of them is
// given) and every field of select.
type MembersInput struct {
	CIDRs  []string       `yaml:"cidrs,omitempty"`
	MACs   []string       `yaml:"macs,omitempty"`
	Assets []string       `yaml:"assets,omitempty"`
	VLANs  []int          `yaml:"vlans,omitempty"`
	Select *SelectorInput `yaml:"select,omitempty"`
}

// SelectorInput narrows membership by classification.
type SelectorInput struct {
	DeviceType []string `yaml:"device_type,omitempty"`
	Level      []int    `yaml:"level,omitempty"`
	// Attribute maps an attribute key to an RE2 expression its value must match.
	Attribute map[string]string `yaml:"attribute,omitempty"`
}

// ConduitInput is one declared conduit between two zones.
type ConduitInput struct {
	ID    string   `yaml:"id"`
	Zones []string `yaml:"zones"`
	// Protocols and Ports allowed through the conduit (empty: any). A
	// layer-2 protocol has no port: the protocol list alone allows it.
	Protocols []string `yaml:"protocols,omitempty"`
	Ports     []int    `yaml:"ports,omitempty"`
	// Direction: any, a_to_b (the first zone initiates), b_to_a, both.
	Direction   string `yaml:"direction,omitempty"`
	Description string `yaml:"description,omitempty"`
}
