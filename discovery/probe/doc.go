// Package probe is what every active probe shares: the target rules
// (explicit host[:port] targets; a CIDR only when the user allows ranges,
// and never more than MaxRangeAddrs addresses), the pacing (a global and a
// per-host rate, one outstanding request per host), and the dry-run plan
// printer. Protocol probes (discovery/modbus/probe, discovery/opcua/probe)
// build on it and emit the same discovery.Observation values as the
// passive dissectors, with Evidence{Kind: "probe", Name: "<proto>@host:port"}.
//
// Probes are opt-in from the command line, read-only, and paced so that a
// plant is never put at risk: defaults are 10 requests/s overall and 2/s per
// host, hard-capped at MaxRate and MaxPerHostRate.
package probe
