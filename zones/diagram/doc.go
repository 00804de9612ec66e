// Package diagram draws a zone model: Graphviz DOT, SVG (laid out in
// process by this package in pure Go: zones in horizontal bands by kind,
// enterprise at the top and field at the bottom, conduits as curves; no
// Graphviz, no WebAssembly, nothing run or cached at start-up), Mermaid
// flowcharts (GitHub renders them) and draw.io (diagrams.net) XML with
// zones as containers and conduits as labelled edges.
//
// Zone level is the default: one box per zone with its kind, Purdue level
// and asset count; one edge per conduit labelled with its protocols and
// flags (cleartext-write, program, control). Detail "assets" also draws the
// assets inside their zone. Zones are coloured by kind; a zone or conduit
// with findings gets the colour of its worst severity as its border.
//
// Every label comes from the wire (station names, hostnames) or from files
// users edit, so each writer escapes it for its own syntax: DOT quoted
// strings, Mermaid entity codes, XML attributes. Node identifiers are
// generated (z0, a12), never taken from input.
package diagram
