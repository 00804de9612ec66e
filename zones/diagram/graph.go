package diagram

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/zones"
)

// Detail levels.
const (
	DetailZones  = "zones"
	DetailAssets = "assets"
)

// Formats the package writes.
var Formats = []string{"svg", "dot", "mermaid", "drawio"}

// Options tune a diagram.
type Options struct {
	// Detail is DetailZones (default) or DetailAssets.
	Detail string
	// Severity maps a zone or conduit id to its worst finding severity
	// (critical, high, medium, low, info).
	Severity map[string]string
	// Title is drawn above the diagram (optional).
	Title string
	// MaxAssetsPerZone bounds the assets drawn inside one zone with
	// DetailAssets (default 40; the rest are summarised as "+N more").
	MaxAssetsPerZone int
}

// Graph is the drawing-independent picture every writer renders.
type Graph struct {
	Title string
	Zones []ZoneNode
	Edges []Edge
}

// ZoneNode is one zone.
type ZoneNode struct {
	Key      string // generated identifier: z0, z1, ...
	ID       string
	Name     string
	Kind     string
	Level    string
	Assets   int
	Severity string
	Members  []AssetNode
	More     int // assets not drawn
}

// AssetNode is one asset drawn inside its zone.
type AssetNode struct {
	Key   string // a0, a1, ...
	ID    string
	Label string
	Type  string
}

// Edge is one conduit.
type Edge struct {
	Key       string
	ID        string
	From, To  string // zone keys
	Protocols []string
	Flags     []string
	Encrypted bool
	Declared  bool
	Severity  string
	Comms     int
	// ArrowTo and ArrowFrom mark the initiated-to end(s): ArrowTo when
	// From's assets open communications to To's (a_to_b), ArrowFrom for
	// b_to_a, both for both, neither when unknown (any).
	ArrowTo, ArrowFrom bool
}

// Label is the conduit's text: protocols, then flags.
func (e Edge) Label() string {
	s := strings.Join(e.Protocols, ", ")
	if len(e.Flags) > 0 {
		s += " [" + strings.Join(e.Flags, ", ") + "]"
	}
	return s
}

// Build turns a model into a Graph. inv may be nil (no asset names).
func Build(m *zones.Model, inv *inventory.Inventory, opt Options) *Graph {
	g := &Graph{Title: Clean(opt.Title)}
	if m == nil {
		return g
	}
	max := opt.MaxAssetsPerZone
	if max <= 0 {
		max = 40
	}
	byID := map[string]*inventory.Asset{}
	if inv != nil {
		for i := range inv.Assets {
			byID[inv.Assets[i].ID] = &inv.Assets[i]
		}
	}
	key := map[string]string{}
	ai := 0
	for i, z := range m.Zones {
		n := ZoneNode{Key: fmt.Sprintf("z%d", i), ID: Clean(z.ID), Name: Clean(z.Name), Kind: z.Kind.String(), Assets: len(z.Assets),
			Severity: opt.Severity[z.ID]}
		if z.PurdueLevel != nil {
			n.Level = fmt.Sprint(*z.PurdueLevel)
		}
		key[z.ID] = n.Key
		if opt.Detail == DetailAssets {
			ids := append([]string(nil), z.Assets...)
			sort.Strings(ids)
			for j, id := range ids {
				if j >= max {
					n.More = len(ids) - max
					break
				}
				an := AssetNode{Key: fmt.Sprintf("a%d", ai), ID: Clean(id), Label: Clean(id), Type: "unknown"}
				ai++
				if a := byID[id]; a != nil {
					an.Label = Clean(assetName(a))
					if a.DeviceType != "" {
						an.Type = a.DeviceType
					}
				}
				n.Members = append(n.Members, an)
			}
		}
		g.Zones = append(g.Zones, n)
	}
	for i, c := range m.Conduits {
		from, to := key[c.Zones[0]], key[c.Zones[1]]
		if from == "" || to == "" {
			continue
		}
		e := Edge{Key: fmt.Sprintf("c%d", i), ID: Clean(c.ID), From: from, To: to, Encrypted: c.Encrypted, Declared: c.Declared,
			Severity: opt.Severity[c.ID], Comms: c.Communications}
		switch c.Direction {
		case zones.DirectionAtoB:
			e.ArrowTo = true
		case zones.DirectionBtoA:
			e.ArrowFrom = true
		case zones.DirectionBoth:
			e.ArrowTo, e.ArrowFrom = true, true
		}
		for _, p := range c.Protocols {
			e.Protocols = append(e.Protocols, Clean(p))
		}
		if !c.Encrypted && c.Operations["write"] > 0 {
			e.Flags = append(e.Flags, "cleartext-write")
		}
		if c.Operations["program"] > 0 {
			e.Flags = append(e.Flags, "program")
		}
		if c.Operations["control"] > 0 {
			e.Flags = append(e.Flags, "control")
		}
		if m.Source != "" && m.Source != "derived" && !c.Declared {
			e.Flags = append(e.Flags, "undeclared")
		}
		g.Edges = append(g.Edges, e)
	}
	return g
}

func assetName(a *inventory.Asset) string {
	switch {
	case len(a.Hostnames) > 0:
		return a.Hostnames[0]
	case len(a.IPs) > 0:
		return a.IPs[0]
	case len(a.MACs) > 0:
		return a.MACs[0]
	}
	return a.ID
}

// Clean makes a wire string safe to hold in a label: invalid UTF-8 and
// control or format characters (newlines, bidi overrides) become spaces,
// and it is cut to 120 runes. Each writer still escapes for its syntax.
func Clean(s string) string {
	if !strings.ContainsFunc(s, bad) && utf8.ValidString(s) && utf8.RuneCountInString(s) <= 120 {
		return s
	}
	var b strings.Builder
	n := 0
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if n >= 120 {
			b.WriteString("…")
			break
		}
		if bad(r) {
			r = ' '
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

func bad(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029'
}

// KindColor is the fill colour of a zone kind.
func KindColor(kind string) string {
	switch kind {
	case "enterprise":
		return "#dbeafe"
	case "dmz":
		return "#fef3c7"
	case "operations":
		return "#e0e7ff"
	case "supervisory":
		return "#dcfce7"
	case "control":
		return "#ffe4e6"
	case "safety":
		return "#fce7f3"
	case "field":
		return "#f3e8ff"
	case "external":
		return "#e5e7eb"
	}
	return "#f3f4f6"
}

// SeverityColor is the border colour of a severity ("" = none).
func SeverityColor(sev string) string {
	switch sev {
	case "critical":
		return "#7f1d1d"
	case "high":
		return "#dc2626"
	case "medium":
		return "#d97706"
	case "low":
		return "#2563eb"
	case "info":
		return "#6b7280"
	}
	return "#374151"
}

func zoneText(z ZoneNode) []string {
	lines := []string{z.ID}
	if z.Name != "" && z.Name != z.ID {
		lines = append(lines, z.Name)
	}
	meta := z.Kind
	if z.Level != "" {
		meta += ", level " + z.Level
	}
	meta += fmt.Sprintf(", %d asset", z.Assets)
	if z.Assets != 1 {
		meta += "s"
	}
	lines = append(lines, meta)
	if z.Severity != "" {
		lines = append(lines, "worst finding: "+z.Severity)
	}
	return lines
}
