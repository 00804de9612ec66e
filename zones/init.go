package zones

import (
	"bytes"
	"fmt"
	"io"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/otzone/otzone/discovery/inventory"
)

const initHeader = `otzone designed model (format version 1), written by "otzone zones init"
from the traffic observed. Edit it to describe the segmentation you want,
then check the traffic against it:  otzone zones --model FILE
Editors validate it with zones/schema/model.schema.json.

zones: each zone
  id          stable id, referenced by conduits (letters, digits . _ -)
  name        free text
  kind        enterprise | dmz | operations | supervisory | control | safety | field | external | unassigned
  level       Purdue level 0-5
  sl_target   target security level: one number 0-4 for all FRs, or a map {FR1: 2, ..., FR7: 1}
  fips199     optional {confidentiality, integrity, availability}: low | moderate | high
  members     which assets belong: any of cidrs, macs, assets (asset ids), vlans,
              and, when given, every field of select {device_type, level, attribute: {key: regex}}.
              An asset matching several zones goes to the most specific match
              (asset id > MAC > longest CIDR > VLAN > select only).
conduits: the allowed paths between two zones
  zones       [a, b]
  protocols   allowed protocols (empty: any)
  ports       allowed server ports (empty: any); layer-2 protocols (PROFINET DCP/RT,
              LLDP, GOOSE) have no port and are allowed by protocols alone
  direction   any | a_to_b (zone a initiates) | b_to_a | both`

// WriteModel writes m as a designed-model file that ParseModel reads back
// to the same zones and conduits. Members are written as the zone's VLANs
// and subnets when no other zone shares them, else as one /32 (or /128)
// per asset IP, or the asset's MAC or id, each commented with what the
// asset is.
//
// An asset that the written memberships would place elsewhere (a host
// with addresses in two zones' subnets, a router on a VLAN another zone
// claims by subnet) is pinned to its zone by its own /32 (or /128), and
// by its asset id when that is still not the most specific match, so that
// the unedited file places every asset where the derived model does.
func WriteModel(w io.Writer, m *Model, inv *inventory.Inventory) error {
	pin := map[string]int{}
	var out []byte
	for pass := 0; pass < 3; pass++ {
		b, err := writeModel(m, inv, pin)
		if err != nil {
			return err
		}
		out = b
		designed, err := ParseModel("model", b)
		if err != nil {
			return fmt.Errorf("zones: write model: the written model does not read back: %w", err)
		}
		zoneOf, _, ambiguous := Assign(designed, inv)
		want := m.ZoneOf()
		changed := false
		for i := range inv.Assets {
			id := inv.Assets[i].ID
			z, ok := want[id]
			if !ok || (zoneOf[id] == z && len(ambiguous[id]) == 0) || pin[id] >= 2 {
				continue
			}
			pin[id]++
			changed = true
		}
		if !changed {
			break
		}
	}
	_, err := w.Write(out)
	return err
}

// writeModel renders m; pin names assets to list explicitly in their zone
// (1: by address, 2: by asset id).
func writeModel(m *Model, inv *inventory.Inventory, pin map[string]int) ([]byte, error) {
	idx := assetIndex(inv)
	// Networks used by more than one zone cannot be memberships.
	netUse := map[string]int{}
	for _, z := range m.Zones {
		for _, n := range z.Networks {
			netUse[n]++
		}
	}
	root := &yaml.Node{Kind: yaml.MappingNode, HeadComment: initHeader}
	add := func(n *yaml.Node, k string, v *yaml.Node) {
		n.Content = append(n.Content, scalar(k), v)
	}
	add(root, "version", intNode(1))
	zonesSeq := &yaml.Node{Kind: yaml.SequenceNode}
	for _, z := range m.Zones {
		zn := &yaml.Node{Kind: yaml.MappingNode}
		if len(z.Why) > 0 {
			zn.HeadComment = "observed: " + strings.Join(z.Why, "; ")
		}
		add(zn, "id", scalar(z.ID))
		add(zn, "name", scalar(z.Name))
		add(zn, "kind", scalar(z.Kind.String()))
		if z.PurdueLevel != nil {
			add(zn, "level", intNode(*z.PurdueLevel))
		}
		slNode, _ := z.SLTarget.MarshalYAML()
		sl := slNode.(*yaml.Node)
		if z.SLSource != "" && z.SLSource != "model" {
			sl.LineComment = z.SLSource
		}
		add(zn, "sl_target", sl)
		if z.FIPS199 != nil && !z.FIPS199.IsZero() {
			f := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
			for _, p := range []struct {
				k string
				v Impact
			}{{"confidentiality", z.FIPS199.Confidentiality}, {"integrity", z.FIPS199.Integrity}, {"availability", z.FIPS199.Availability}} {
				if p.v != ImpactUnset {
					add(f, p.k, scalar(p.v.String()))
				}
			}
			add(zn, "fips199", f)
		}
		members := &yaml.Node{Kind: yaml.MappingNode}
		var cidrs, vlans []*yaml.Node
		exclusive := len(z.Networks) > 0
		for _, n := range z.Networks {
			if netUse[n] > 1 {
				exclusive = false
			}
		}
		if exclusive {
			for _, n := range z.Networks {
				if v, ok := strings.CutPrefix(n, "vlan:"); ok {
					if num, err := strconv.Atoi(v); err == nil {
						vlans = append(vlans, intNode(num))
					}
				} else {
					cidrs = append(cidrs, scalar(n))
				}
			}
		}
		var assets, macs []*yaml.Node
		ids := append([]string{}, z.Assets...)
		sort.Strings(ids)
		for _, id := range ids {
			if exclusive && pin[id] == 0 {
				continue
			}
			a := idx[id]
			if a == nil {
				assets = append(assets, scalar(id))
				continue
			}
			comment := describeForComment(a)
			switch {
			case pin[id] >= 2:
				n := scalar(id)
				n.LineComment = comment
				assets = append(assets, n)
			case len(a.IPs) > 0 && !strings.HasPrefix(a.Key, "mac:") || (len(a.IPs) == 1 && len(a.MACs) == 0):
				for _, s := range a.IPs {
					if ip, err := netip.ParseAddr(s); err == nil {
						n := scalar(netip.PrefixFrom(ip, ip.BitLen()).String())
						n.LineComment = comment
						cidrs = append(cidrs, n)
					}
				}
			case len(a.MACs) > 0:
				n := scalar(a.MACs[0])
				n.LineComment = comment
				macs = append(macs, n)
			default:
				n := scalar(id)
				n.LineComment = comment
				assets = append(assets, n)
			}
		}
		for _, p := range []struct {
			k  string
			ns []*yaml.Node
		}{{"cidrs", cidrs}, {"macs", macs}, {"assets", assets}, {"vlans", vlans}} {
			if len(p.ns) > 0 {
				add(members, p.k, &yaml.Node{Kind: yaml.SequenceNode, Content: p.ns})
			}
		}
		if len(members.Content) == 0 {
			// An empty zone still needs a membership to be valid.
			add(members, "select", &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle,
				Content: []*yaml.Node{scalar("level"), {Kind: yaml.SequenceNode, Style: yaml.FlowStyle, Content: []*yaml.Node{intNode(levelOr(z.PurdueLevel, 0))}}}})
		}
		add(zn, "members", members)
		zonesSeq.Content = append(zonesSeq.Content, zn)
	}
	add(root, "zones", zonesSeq)
	condSeq := &yaml.Node{Kind: yaml.SequenceNode}
	for _, c := range m.Conduits {
		cn := &yaml.Node{Kind: yaml.MappingNode}
		var note []string
		if c.Communications > 0 {
			note = append(note, fmt.Sprintf("observed: %s, %d packets", plural(c.Communications, "communication"), c.Packets))
			if !c.Encrypted {
				note = append(note, "not all encrypted")
			}
			for _, cl := range []string{"write", "program", "control"} {
				if n := c.Operations[cl]; n > 0 {
					note = append(note, fmt.Sprintf("%d %s operations", n, cl))
				}
			}
		}
		cn.HeadComment = strings.Join(note, "; ")
		add(cn, "id", scalar(c.ID))
		add(cn, "zones", flowSeq(scalar(c.Zones[0]), scalar(c.Zones[1])))
		protos := c.AllowedProtocols
		if len(protos) == 0 {
			protos = c.Protocols
		}
		if len(protos) > 0 {
			var ns []*yaml.Node
			for _, p := range protos {
				ns = append(ns, scalar(p))
			}
			add(cn, "protocols", flowSeq(ns...))
		}
		ports := c.AllowedPorts
		if len(ports) == 0 {
			ports = c.Ports
		}
		if len(ports) > 0 {
			var ns []*yaml.Node
			for _, p := range ports {
				ns = append(ns, intNode(p))
			}
			add(cn, "ports", flowSeq(ns...))
		}
		add(cn, "direction", scalar(c.Direction.String()))
		if c.Description != "" {
			add(cn, "description", scalar(c.Description))
		}
		condSeq.Content = append(condSeq.Content, cn)
	}
	if len(condSeq.Content) > 0 {
		add(root, "conduits", condSeq)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}); err != nil {
		return nil, fmt.Errorf("zones: write model: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("zones: write model: %w", err)
	}
	return buf.Bytes(), nil
}

func levelOr(p *int, d int) int {
	if p == nil {
		return d
	}
	return *p
}

func describeForComment(a *inventory.Asset) string {
	parts := []string{}
	if a.DeviceType != "" {
		parts = append(parts, a.DeviceType)
	}
	if len(a.Hostnames) > 0 {
		parts = append(parts, a.Hostnames[0])
	}
	if a.Vendor != "" {
		parts = append(parts, a.Vendor)
	}
	if a.Model != "" {
		parts = append(parts, a.Model)
	}
	return commentText(strings.Join(parts, ", "), 120)
}

// commentText makes wire-derived text safe in a YAML comment: valid UTF-8
// (the emitter panics on anything else), no control, line-separator or
// bidi/format characters (a comment ends at the line, and must read as
// it displays), at most max bytes cut on a rune boundary.
func commentText(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		switch {
		case r < 0x20 || (r >= 0x7f && r < 0xa0) || r == '\u2028' || r == '\u2029':
			return ' '
		case unicode.Is(unicode.Cf, r):
			return -1
		}
		return r
	}, s)
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return s
}

func scalar(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: s} }

func intNode(n int) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(n)}
}

func flowSeq(ns ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle, Content: ns}
}
