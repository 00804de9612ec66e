// Package assess scores the zones of a model against their target security
// levels and evaluates the finding rules (rules/builtin/*.yaml of kind
// finding) over the inventory and the zone model, with references into
// IEC 62443-3-3, 62443-3-2, NIST SP 800-82r3, SP 800-53r5, CSF 2.0 and
// MITRE ATT&CK for ICS, and renders the assessment as JSON
// (otzone.assessment/v1), Markdown, a self-contained HTML report and a
// terminal table.
//
// Honesty rules the code keeps:
//
//   - Traffic shows that a capability is missing (cleartext writes,
//     SecurityPolicy None, an undeclared conduit), rarely that it is present.
//     SL-A per zone and FR is therefore an upper bound ("at most N"), set only
//     where a violated requirement caps it; every other FR is "no gap seen"
//     (a rule looked and found nothing) or "not observable from traffic".
//   - A violated SR/RE is a gap only where the zone's SL-T for that FR
//     requires it (the requirement's min_sl <= SL-T).
//   - References carry their basis; an SP 800-82r3 section number that is
//     not verified is always written "N (unverified)".
//   - Wire strings (hostnames, station names) are data: every renderer
//     escapes them for its format (html/template for HTML).
//
// The framework data is the project's own copy in data/*.yaml, each file
// with its source and date.
package assess
