package zones

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/rules"
)

// maxModelFile bounds what ParseModel reads.
const maxModelFile = 4 << 20

var zoneIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// ParseModelFile reads a designed-model file from disk.
func ParseModelFile(path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxModelFile+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ParseModel(path, data)
}

// ParseModel reads a designed model strictly: unknown keys, wrong types,
// unknown kinds or levels, bad CIDRs or MACs, duplicate ids and conduits
// whose ends name no zone are errors, each "FILE:LINE:COL: message" naming
// the object, field and value (zone "cell-3": unknown sl_target "5"). All
// errors are reported, as a rules.ErrorList.
func ParseModel(name string, data []byte) (*Model, error) {
	if len(data) > maxModelFile {
		return nil, &rules.PosError{File: name, Msg: fmt.Sprintf("file larger than %d bytes", maxModelFile)}
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &rules.PosError{File: name, Msg: "empty model file"}
		}
		l := rules.AsErrorList(err)
		l.SetFile(name)
		return nil, l
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &rules.PosError{File: name, Line: extra.Line, Column: 1, Msg: "a model file holds one YAML document"}
	}
	var in ModelInput
	errs := rules.DecodeStrict(&doc, &in)
	if len(errs) > 0 {
		errs.SetFile(name)
		return nil, errs
	}
	m, errs := buildModel(&in, &doc)
	errs.SetFile(name)
	if len(errs) > 0 {
		return nil, errs
	}
	m.Source = name
	return m, nil
}

func buildModel(in *ModelInput, doc *yaml.Node) (*Model, rules.ErrorList) {
	var errs rules.ErrorList
	root := doc
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return nil, rules.ErrorList{rules.Errorf(root, "model: want a mapping with zones and conduits")}
	}
	if in.Version != 0 && in.Version != 1 {
		errs = append(errs, rules.Errorf(childNode(root, "version"), "model: unknown version %d: want 1", in.Version))
	}
	zonesNode := childNode(root, "zones")
	if len(in.Zones) == 0 {
		errs = append(errs, rules.Errorf(orNode(zonesNode, root), "model: no zones"))
	}
	m := &Model{Schema: Schema, Zones: []Zone{}, Conduits: []Conduit{}, Violations: []Violation{}}
	ids := map[string]*yaml.Node{}
	for i, zi := range in.Zones {
		zn := seqItem(zonesNode, i)
		add := func(at *yaml.Node, format string, args ...any) {
			errs = append(errs, rules.Errorf(orNode(at, zn), "zone %q: "+format, append([]any{zi.ID}, args...)...))
		}
		if zi.ID == "" {
			errs = append(errs, rules.Errorf(zn, "zone #%d: missing id", i+1))
			continue
		}
		if !zoneIDRE.MatchString(zi.ID) || len(zi.ID) > 128 {
			add(childNode(zn, "id"), "id must be letters, digits, '.', '_' or '-'")
		}
		if prev, ok := ids[zi.ID]; ok {
			add(childNode(zn, "id"), "duplicate id (first at line %d)", prev.Line)
			continue
		}
		ids[zi.ID] = childNode(zn, "id")
		z := Zone{ID: zi.ID, Name: zi.Name, Declared: true, Description: zi.Description, Assets: []string{}, Why: []string{"declared in the model"}}
		if z.Name == "" {
			z.Name = zi.ID
		}
		k, err := ParseZoneKind(zi.Kind)
		if err != nil {
			add(childNode(zn, "kind"), "unknown kind %q: want one of %s", zi.Kind, strings.Join(zoneKindNames[:], ", "))
		}
		z.Kind = k
		if zi.Level != nil {
			if *zi.Level < 0 || *zi.Level > 5 {
				add(childNode(zn, "level"), "unknown level \"%d\": want 0 to 5", *zi.Level)
			} else {
				lv := *zi.Level
				z.PurdueLevel = &lv
			}
		} else if lv := k.DefaultLevel(); lv >= 0 {
			z.PurdueLevel = &lv
		}
		if zi.SLTarget.Kind != 0 {
			v, err := ParseSLVectorNode(&zi.SLTarget)
			if err != nil {
				var pe *PosError
				if errors.As(err, &pe) {
					errs = append(errs, &rules.PosError{Line: pe.Line, Column: pe.Column, Msg: fmt.Sprintf("zone %q: %s", zi.ID, pe.Msg)})
				} else {
					add(&zi.SLTarget, "%v", err)
				}
			}
			z.SLTarget, z.SLSource = v, "model"
		}
		if f := zi.FIPS199; f != nil {
			fn := childNode(zn, "fips199")
			var cat FIPS199
			for _, p := range []struct {
				key string
				in  string
				out *Impact
			}{{"confidentiality", f.Confidentiality, &cat.Confidentiality}, {"integrity", f.Integrity, &cat.Integrity}, {"availability", f.Availability, &cat.Availability}} {
				if p.in == "" {
					continue
				}
				v, err := ParseImpact(p.in)
				if err != nil {
					add(childNode(fn, p.key), "unknown fips199.%s %q: want low, moderate or high", p.key, p.in)
				}
				*p.out = v
			}
			z.FIPS199 = &cat
		}
		if zi.Members == nil {
			add(zn, "no members: give cidrs, macs, assets, vlans or select")
		} else {
			mm, merrs := buildMembers(zi.ID, zi.Members, childNode(zn, "members"))
			errs = append(errs, merrs...)
			z.Members = []MemberMatch{mm}
			for _, p := range mm.CIDRs {
				z.Networks = append(z.Networks, p.String())
			}
			for _, v := range mm.VLANs {
				z.Networks = append(z.Networks, fmt.Sprintf("vlan:%d", v))
			}
		}
		m.Zones = append(m.Zones, z)
	}
	condNode := childNode(root, "conduits")
	cids := map[string]*yaml.Node{}
	pairs := map[[2]string]string{}
	for i, ci := range in.Conduits {
		cn := seqItem(condNode, i)
		add := func(at *yaml.Node, format string, args ...any) {
			errs = append(errs, rules.Errorf(orNode(at, cn), "conduit %q: "+format, append([]any{ci.ID}, args...)...))
		}
		if ci.ID == "" {
			errs = append(errs, rules.Errorf(cn, "conduit #%d: missing id", i+1))
			continue
		}
		if !zoneIDRE.MatchString(ci.ID) {
			add(childNode(cn, "id"), "id must be letters, digits, '.', '_' or '-'")
		}
		if prev, ok := cids[ci.ID]; ok {
			add(childNode(cn, "id"), "duplicate id (first at line %d)", prev.Line)
			continue
		}
		cids[ci.ID] = childNode(cn, "id")
		zsn := childNode(cn, "zones")
		if len(ci.Zones) != 2 {
			add(zsn, "zones: want exactly two zone ids, got %d", len(ci.Zones))
			continue
		}
		ok := true
		for j, zid := range ci.Zones {
			if _, found := ids[zid]; !found {
				add(seqItem(zsn, j), "zones: unknown zone %q", zid)
				ok = false
			}
		}
		if ci.Zones[0] == ci.Zones[1] {
			add(zsn, "zones: both ends are %q (traffic inside a zone needs no conduit)", ci.Zones[0])
			ok = false
		}
		dir, err := ParseDirection(ci.Direction)
		if err != nil {
			add(childNode(cn, "direction"), "unknown direction %q: want any, a_to_b, b_to_a or both", ci.Direction)
		}
		for _, p := range ci.Ports {
			if p < 1 || p > 65535 {
				add(childNode(cn, "ports"), "port %d out of range 1..65535", p)
			}
		}
		if !ok {
			continue
		}
		key := pairKey(ci.Zones[0], ci.Zones[1])
		if prev, dup := pairs[key]; dup {
			add(zsn, "zones %q and %q already joined by conduit %q", ci.Zones[0], ci.Zones[1], prev)
		}
		pairs[key] = ci.ID
		protos := make([]string, len(ci.Protocols))
		for j, p := range ci.Protocols {
			protos[j] = strings.ToLower(strings.TrimSpace(p))
		}
		m.Conduits = append(m.Conduits, Conduit{ID: ci.ID, Zones: [2]string{ci.Zones[0], ci.Zones[1]}, Protocols: []string{},
			AllowedProtocols: protos, AllowedPorts: ci.Ports, Direction: dir, Declared: true, Description: ci.Description,
			Initiators: []string{}, Why: []string{"declared in the model"}})
	}
	return m, errs
}

func buildMembers(zid string, in *MembersInput, n *yaml.Node) (MemberMatch, rules.ErrorList) {
	var errs rules.ErrorList
	var mm MemberMatch
	add := func(at *yaml.Node, format string, args ...any) {
		errs = append(errs, rules.Errorf(orNode(at, n), "zone %q: "+format, append([]any{zid}, args...)...))
	}
	empty := len(in.CIDRs) == 0 && len(in.MACs) == 0 && len(in.Assets) == 0 && len(in.VLANs) == 0 && in.Select == nil
	if empty {
		add(n, "no members: give cidrs, macs, assets, vlans or select")
	}
	for i, s := range in.CIDRs {
		s = strings.TrimSpace(s)
		var p netip.Prefix
		var err error
		if strings.Contains(s, "/") {
			p, err = netip.ParsePrefix(s)
		} else {
			var a netip.Addr
			a, err = netip.ParseAddr(s)
			if err == nil {
				p = netip.PrefixFrom(a, a.BitLen())
			}
		}
		if err != nil {
			add(seqItem(childNode(n, "cidrs"), i), "members.cidrs: bad CIDR %q", s)
			continue
		}
		mm.CIDRs = append(mm.CIDRs, p.Masked())
	}
	for i, s := range in.MACs {
		mac, err := discovery.ParseMAC(s)
		if err != nil {
			add(seqItem(childNode(n, "macs"), i), "members.macs: bad MAC %q", s)
			continue
		}
		mm.MACs = append(mm.MACs, mac.String())
	}
	mm.Assets = append(mm.Assets, in.Assets...)
	for _, v := range in.VLANs {
		if v < 0 || v > 4095 {
			add(childNode(n, "vlans"), "members.vlans: %d out of range 0..4095", v)
		}
		mm.VLANs = append(mm.VLANs, v)
	}
	if s := in.Select; s != nil {
		sn := childNode(n, "select")
		for _, d := range s.DeviceType {
			if !contains(rules.DeviceTypes, d) {
				add(childNode(sn, "device_type"), "members.select.device_type: unknown %q", d)
			}
		}
		mm.DeviceTypes = s.DeviceType
		for _, l := range s.Level {
			if l < 0 || l > 5 {
				add(childNode(sn, "level"), "members.select.level: unknown level \"%d\": want 0 to 5", l)
			}
		}
		mm.Levels = s.Level
		if len(s.Attribute) > 0 {
			mm.Attributes = map[string]*regexp.Regexp{}
			for k, expr := range s.Attribute {
				re, err := regexp.Compile(expr)
				if err != nil {
					add(childNode(childNode(sn, "attribute"), k), "members.select.attribute %q: bad regular expression: %v", k, err)
					continue
				}
				mm.Attributes[k] = re
			}
		}
		if len(s.DeviceType) == 0 && len(s.Level) == 0 && len(s.Attribute) == 0 {
			add(sn, "members.select: empty selector")
		}
	}
	return mm, errs
}

func pairKey(a, b string) [2]string {
	if b < a {
		a, b = b, a
	}
	return [2]string{a, b}
}

func childNode(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func seqItem(n *yaml.Node, i int) *yaml.Node {
	if n == nil || n.Kind != yaml.SequenceNode || i >= len(n.Content) {
		return n
	}
	return n.Content[i]
}

func orNode(a, b *yaml.Node) *yaml.Node {
	if a != nil {
		return a
	}
	return b
}

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
