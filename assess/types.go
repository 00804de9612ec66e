package assess

import (
	"time"

	"github.com/otzone/otzone/rules"
	"github.com/otzone/otzone/zones"
)

// Schema is the version tag of the assessment export (CONTRACT.md).
const Schema = "otzone.assessment/v1"

// Severities in order, most severe first.
var severityRank = map[string]int{"critical": 5, "high": 4, "medium": 3, "low": 2, "info": 1}

// SeverityRank orders severities (critical 5 … info 1, unknown 0).
func SeverityRank(s string) int { return severityRank[s] }

// FR statuses of a zone's gap table cell.
const (
	StatusGap           = "gap"            // a violated requirement the SL-T requires
	StatusMeetsSeen     = "no_gap_seen"    // violations only above SL-T, or checks ran and found none
	StatusNotObservable = "not_observable" // no check of this FR can see anything in traffic
	StatusNotRequired   = "not_required"   // SL-T 0
)

// Assessment is the whole result (JSON schema otzone.assessment/v1). The
// keys CONTRACT.md lists (zones[].zone/sl_target/sl_achieved/gap,
// findings[]...) are kept; the rest extends them.
type Assessment struct {
	Schema      string    `json:"schema"`
	GeneratedAt time.Time `json:"generated_at"`
	// ModelSource is "derived" or the designed-model file.
	ModelSource string       `json:"model_source"`
	Summary     Summary      `json:"summary"`
	Zones       []ZoneScore  `json:"zones"`
	Conduits    []ConduitRef `json:"conduits"`
	Findings    []Finding    `json:"findings"`
	// NotEvaluated lists rules that could not run on this data, and why.
	NotEvaluated []NotEvaluated `json:"not_evaluated,omitempty"`
	Compliance   Compliance     `json:"compliance"`
	Assets       []AssetRow     `json:"assets"`
	// DataSources are the reference data files with source and date.
	DataSources []DataSource `json:"data_sources"`
	Notes       []string     `json:"notes"`
}

// Summary counts what matters at a glance.
type Summary struct {
	Assets         int            `json:"assets"`
	Communications int            `json:"communications"`
	Zones          int            `json:"zones"`
	Conduits       int            `json:"conduits"`
	Findings       int            `json:"findings"`
	BySeverity     map[string]int `json:"by_severity"`
	ZonesWithGaps  int            `json:"zones_with_gaps"`
	Sources        []string       `json:"sources"`
	CaptureStart   *time.Time     `json:"capture_start,omitempty"`
	CaptureEnd     *time.Time     `json:"capture_end,omitempty"`
}

// ZoneScore is one zone's row of the gap table.
type ZoneScore struct {
	Zone           string         `json:"zone"`
	Name           string         `json:"name"`
	Kind           string         `json:"kind"`
	PurdueLevel    *int           `json:"purdue_level"`
	Assets         int            `json:"assets"`
	Declared       bool           `json:"declared"`
	SLTarget       zones.SLVector `json:"sl_target"`
	SLTargetSource string         `json:"sl_target_source,omitempty"`
	// SLAchieved has only the FRs where traffic caps the level (an upper
	// bound: "at most N"); Gap has only the FRs with a gap.
	SLAchieved map[string]int `json:"sl_achieved"`
	Gap        map[string]int `json:"gap"`
	FR         []FRScore      `json:"fr"`
	FIPS199    *FIPS199Score  `json:"fips199,omitempty"`
	Findings   []string       `json:"findings"`
	// MaxSeverity is the worst finding affecting the zone ("" none).
	MaxSeverity string `json:"max_severity,omitempty"`
}

// FRScore is one cell of the gap table.
type FRScore struct {
	FR     string `json:"fr"`
	Target int    `json:"target"`
	// Achieved is the upper bound traffic shows, nil when nothing caps it.
	Achieved *int   `json:"achieved"`
	Gap      int    `json:"gap"`
	Status   string `json:"status"`
	// Requirements are the violated SR/RE of this FR (min_sl <= SL-T are gaps).
	Requirements []ReqHit `json:"requirements,omitempty"`
	Findings     []string `json:"findings,omitempty"`
}

// ReqHit is a violated requirement in a zone.
type ReqHit struct {
	ID    string `json:"id"`
	MinSL int    `json:"min_sl"`
	Gap   bool   `json:"gap"`
}

// FIPS199Score shows a zone's FIPS 199 categorization and the baseline it implies.
type FIPS199Score struct {
	Confidentiality string `json:"confidentiality,omitempty"`
	Integrity       string `json:"integrity,omitempty"`
	Availability    string `json:"availability,omitempty"`
	HighWater       string `json:"high_water"`
	Baseline        string `json:"sp800_53b_baseline"`
}

// ConduitRef summarises a conduit for reports and diagrams.
type ConduitRef struct {
	ID          string   `json:"id"`
	Zones       []string `json:"zones"`
	Protocols   []string `json:"protocols"`
	Encrypted   bool     `json:"encrypted"`
	Declared    bool     `json:"declared"`
	Flags       []string `json:"flags,omitempty"`
	Findings    []string `json:"findings,omitempty"`
	MaxSeverity string   `json:"max_severity,omitempty"`
}

// Evidence is one source of a finding.
type Evidence struct {
	Source string `json:"source"`
	Detail string `json:"detail"`
}

// Finding is one finding (CONTRACT.md keys plus extensions).
type Finding struct {
	ID       string   `json:"id"`
	Rule     string   `json:"rule"`
	Severity string   `json:"severity"`
	Title    string   `json:"title"`
	Zone     string   `json:"zone"`
	Conduit  string   `json:"conduit"`
	Assets   []string `json:"assets"`
	// AssetNames are display names of Assets (hostname, IP or MAC), same order.
	AssetNames []string   `json:"asset_names,omitempty"`
	Evidence   []Evidence `json:"evidence"`
	// EvidenceTotal counts all evidence; Evidence holds at most MaxEvidence.
	EvidenceTotal int              `json:"evidence_total"`
	Because       string           `json:"because"`
	References    rules.References `json:"references"`
	// ReferenceDetails give each reference's title, basis and verification.
	ReferenceDetails []RefDetail `json:"reference_details"`
	// ReferencesUnverified: the finding-to-requirement selection is analyst
	// judgement (the crosswalk says so).
	ReferencesUnverified bool     `json:"references_unverified"`
	Remediation          string   `json:"remediation"`
	FalsePositives       string   `json:"false_positives,omitempty"`
	Rationale            string   `json:"rationale,omitempty"`
	AffectedZones        []string `json:"affected_zones"`
}

// RefDetail is one framework reference of a finding.
type RefDetail struct {
	Framework  string `json:"framework"`
	ID         string `json:"id"`
	Title      string `json:"title,omitempty"`
	Basis      string `json:"basis,omitempty"`
	MinSL      int    `json:"min_sl,omitempty"`
	Unverified bool   `json:"unverified"`
}

// NotEvaluated is a rule that could not run, and why.
type NotEvaluated struct {
	Rule   string `json:"rule"`
	Reason string `json:"reason"`
}

// Compliance is the per-framework matrix.
type Compliance struct {
	IEC62443_3_3 []ComplianceRow `json:"iec62443_3_3"`
	IEC62443_3_2 []ComplianceRow `json:"iec62443_3_2"`
	NIST800_82r3 []ComplianceRow `json:"nist_800_82r3"`
	NIST800_53r5 []ComplianceRow `json:"nist_800_53r5"`
	CSF2_0       []ComplianceRow `json:"csf_2_0"`
	AttackICS    []ComplianceRow `json:"attack_ics"`
}

// Compliance statuses.
const (
	CompGap           = "gap"
	CompNoGapSeen     = "no gap seen"
	CompNotObservable = "not observable from traffic"
)

// ComplianceRow is one requirement/section/subcategory with its status.
type ComplianceRow struct {
	ID         string   `json:"id"`
	Title      string   `json:"title"`
	Status     string   `json:"status"`
	MinSL      int      `json:"min_sl,omitempty"`
	Unverified bool     `json:"unverified,omitempty"`
	Findings   []string `json:"findings,omitempty"`
	Evidence   []string `json:"evidence,omitempty"`
	// Rules are the enabled rules that can observe it.
	Rules []string `json:"rules,omitempty"`
}

// AssetRow is the report's asset inventory line.
type AssetRow struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	IPs         []string `json:"ips"`
	MACs        []string `json:"macs"`
	Vendor      string   `json:"vendor"`
	Model       string   `json:"model"`
	Firmware    string   `json:"firmware"`
	DeviceType  string   `json:"device_type"`
	PurdueLevel *int     `json:"purdue_level"`
	Zone        string   `json:"zone"`
	Protocols   []string `json:"protocols"`
	Findings    int      `json:"findings"`
}
