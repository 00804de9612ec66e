// Package zones groups assets into IEC 62443 zones and conduits.
//
// It has three parts, kept apart as in Threagile (pkg/input, pkg/types,
// pkg/model/parse.go):
//
//   - the typed model (types.go): Zone, Conduit, Violation, Model and the
//     enums SecurityLevel (SL 0–4), FoundationalRequirement (FR1–FR7),
//     ZoneKind, Direction and the FIPS 199 Impact, each with Parse, String
//     and JSON/YAML marshalling;
//   - derivation (derive.go): zones from a classified inventory (Purdue
//     level + VLAN or subnet + who talks to whom), conduits aggregated from
//     the communications that cross two zones;
//   - the designed model (input.go, parse.go, compare.go, init.go): the YAML
//     file an architect edits, strict parsing with file:line:column errors,
//     the comparison of a designed model with observed traffic (violations),
//     and `zones init`, which writes the observed model in the same format.
//
// diff.go compares two inventories (otzone diff).
package zones
