package rules

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Origins of a rule.
const (
	OriginBuiltin = "builtin"
	OriginUser    = "user"
)

// maxRuleFile bounds what the loader reads from one file.
const maxRuleFile = 1 << 20

// RuleSet is a validated set of rules with unique ids, sorted by id.
type RuleSet struct {
	Rules []*Rule
}

// ByKind returns the enabled rules of one kind, highest priority first
// (then by id), the order the engine evaluates and reports them in.
func (rs *RuleSet) ByKind(k Kind) []*Rule {
	if rs == nil {
		return nil
	}
	var out []*Rule
	for _, r := range rs.Rules {
		if r.Kind == k && !r.Disabled {
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Priority != out[j].Priority {
			return out[i].Priority > out[j].Priority
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Get returns the rule with id, or nil.
func (rs *RuleSet) Get(id string) *Rule {
	if rs == nil {
		return nil
	}
	for _, r := range rs.Rules {
		if r.ID == id {
			return r
		}
	}
	return nil
}

// LooksLikeRuleFile reports whether data's first document is a rule (it
// has an "id" or "kind" key and no "zones" key); `rules check` uses it to
// tell rule files from designed-model files.
func LooksLikeRuleFile(data []byte) bool {
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil || len(doc.Content) == 0 {
		return false
	}
	m := doc.Content[0]
	if m.Kind != yaml.MappingNode {
		return false
	}
	rule := false
	for i := 0; i+1 < len(m.Content); i += 2 {
		switch m.Content[i].Value {
		case "zones", "conduits":
			return false
		case "id", "kind", "when":
			rule = true
		}
	}
	return rule
}

// Parse reads the rules of one file: one rule per YAML document (a file may
// hold several documents separated by "---"). Errors carry name:line:col.
func Parse(name string, data []byte, origin string) ([]*Rule, error) {
	if len(data) > maxRuleFile {
		return nil, &PosError{File: name, Msg: fmt.Sprintf("file larger than %d bytes", maxRuleFile)}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []*Rule
	var errs ErrorList
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			errs = append(errs, AsErrorList(err)...)
			errs.SetFile(name)
			return nil, errs
		}
		if len(doc.Content) == 0 {
			continue
		}
		root := doc.Content[0]
		if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
			continue
		}
		r := &Rule{}
		derrs := DecodeStrict(root, r)
		if len(derrs) == 0 {
			derrs = r.validate(root)
		}
		if len(derrs) > 0 {
			errs = append(errs, derrs...)
			continue
		}
		r.Origin, r.File, r.Line = origin, name, root.Line
		out = append(out, r)
	}
	if len(out) == 0 && len(errs) == 0 {
		errs = append(errs, &PosError{Msg: "no rule in file"})
	}
	errs.SetFile(name)
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

// ParseFile reads one rule file from disk.
func ParseFile(path, origin string) ([]*Rule, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxRuleFile+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return Parse(path, data, origin)
}

// LoadFS reads every *.yaml and *.yml file under dir of fsys (recursively,
// in name order).
func LoadFS(fsys fs.FS, dir, origin string) ([]*Rule, error) {
	var out []*Rule
	var errs ErrorList
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !(strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		rs, err := Parse(p, data, origin)
		if err != nil {
			errs = append(errs, AsErrorList(err)...)
			return nil
		}
		out = append(out, rs...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("rules: %s: %w", dir, err)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

// LoadDir reads the user rules under a directory of the file system.
func LoadDir(dir string) ([]*Rule, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	if !st.IsDir() {
		return ParseFile(dir, OriginUser)
	}
	rs, err := LoadFS(os.DirFS(dir), ".", OriginUser)
	if err != nil {
		var l ErrorList
		if errors.As(err, &l) {
			for _, e := range l {
				if e.File != "" && !filepath.IsAbs(e.File) {
					e.File = filepath.Join(dir, e.File)
				}
			}
		}
		return nil, err
	}
	for _, r := range rs {
		r.File = filepath.Join(dir, r.File)
	}
	return rs, nil
}

// NewRuleSet merges built-in and user rules. A user rule with a built-in's
// id replaces it only when marked override: true; otherwise it is an error,
// as is a duplicate id within one origin.
func NewRuleSet(builtin, user []*Rule) (*RuleSet, error) {
	byID := map[string]*Rule{}
	var errs ErrorList
	for _, r := range builtin {
		if prev, ok := byID[r.ID]; ok {
			errs = append(errs, &PosError{File: r.File, Line: r.Line, Column: 1, Msg: fmt.Sprintf("rule %q: duplicate id (also in %s)", r.ID, prev.File)})
			continue
		}
		byID[r.ID] = r
	}
	seenUser := map[string]*Rule{}
	for _, r := range user {
		if prev, ok := seenUser[r.ID]; ok {
			errs = append(errs, &PosError{File: r.File, Line: r.Line, Column: 1, Msg: fmt.Sprintf("rule %q: duplicate id (also in %s)", r.ID, prev.File)})
			continue
		}
		seenUser[r.ID] = r
		if prev, ok := byID[r.ID]; ok && prev.Origin == OriginBuiltin && !r.Override {
			errs = append(errs, &PosError{File: r.File, Line: r.Line, Column: 1, Msg: fmt.Sprintf("rule %q: a built-in rule has this id; set override: true to replace it", r.ID)})
			continue
		}
		byID[r.ID] = r
	}
	if len(errs) > 0 {
		return nil, errs
	}
	rs := &RuleSet{}
	for _, r := range byID {
		rs.Rules = append(rs.Rules, r)
	}
	sort.Slice(rs.Rules, func(i, j int) bool { return rs.Rules[i].ID < rs.Rules[j].ID })
	return rs, nil
}

// Load returns the built-in rules plus the user rules under userDir (none
// when userDir is "").
func Load(userDir string) (*RuleSet, error) {
	b, err := Builtin()
	if err != nil {
		return nil, err
	}
	var user []*Rule
	if userDir != "" {
		user, err = LoadDir(userDir)
		if err != nil {
			return nil, err
		}
	}
	return NewRuleSet(b, user)
}

// child returns the value node of key in mapping n, or nil.
func child(n *yaml.Node, key string) *yaml.Node {
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

// keyNode returns the key node of key in mapping n (for positions), or n.
func keyNode(n *yaml.Node, key string) *yaml.Node {
	if n != nil && n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i]
			}
		}
	}
	return n
}

func (r *Rule) validate(n *yaml.Node) ErrorList {
	var errs ErrorList
	add := func(at *yaml.Node, format string, args ...any) {
		errs = append(errs, Errorf(at, "rule %q: "+format, append([]any{r.ID}, args...)...))
	}
	if r.ID == "" {
		errs = append(errs, Errorf(n, "rule: missing id"))
	} else if !idRE.MatchString(r.ID) || len(r.ID) > 80 {
		add(child(n, "id"), "id must be kebab-case (a-z, 0-9, single dashes)")
	}
	if !contains(Kinds, r.Kind) {
		add(orNode(child(n, "kind"), n), "unknown kind %q: want classify, zone or finding", r.Kind)
	}
	if strings.TrimSpace(r.Title) == "" {
		add(n, "missing title")
	}
	if r.Priority < 0 || r.Priority > 1000 {
		add(child(n, "priority"), "priority %d out of range 0..1000", r.Priority)
	}
	if child(n, "confidence") != nil && (r.Confidence <= 0 || r.Confidence > 1) {
		add(child(n, "confidence"), "confidence %v out of range (0,1]", r.Confidence)
	}
	if r.Confidence == 0 {
		r.Confidence = 0.5
	}
	if r.When != nil {
		errs = append(errs, r.When.compile(child(n, "when"), r.ID)...)
	}
	switch r.Kind {
	case KindClassify:
		if r.When == nil {
			add(n, "classify rule needs when")
		}
		if r.Set == nil || (r.Set.DeviceType == "" && r.Set.PurdueLevel == nil) {
			add(orNode(child(n, "set"), n), "classify rule needs set.device_type or set.purdue_level")
		} else {
			if r.Set.DeviceType != "" && !contains(DeviceTypes, r.Set.DeviceType) {
				add(child(child(n, "set"), "device_type"), "unknown device_type %q: want one of %s", r.Set.DeviceType, strings.Join(DeviceTypes, ", "))
			}
			if p := r.Set.PurdueLevel; p != nil && (*p < 0 || *p > 5) {
				add(child(child(n, "set"), "purdue_level"), "purdue_level %d out of range 0..5", *p)
			}
		}
		if r.Because == "" {
			add(n, "classify rule needs because (the sentence recorded with the decision)")
		}
		if r.Zone != nil || r.Severity != "" || r.Check != "" {
			add(n, "classify rule takes no zone, severity or check")
		}
	case KindZone:
		if r.When == nil {
			add(n, "zone rule needs when")
		}
		if r.Zone == nil {
			add(n, "zone rule needs zone.kind")
		} else {
			zn := child(n, "zone")
			if !contains(zoneKindNames, r.Zone.Kind) {
				add(orNode(child(zn, "kind"), zn), "unknown zone kind %q: want one of %s", r.Zone.Kind, strings.Join(zoneKindNames, ", "))
			}
			if !contains(zoneGroups, r.Zone.Group) {
				add(child(zn, "group"), "unknown group %q: want network, cell, single or asset", r.Zone.Group)
			}
		}
		if r.Set != nil || r.Severity != "" {
			add(n, "zone rule takes no set or severity")
		}
	case KindFinding:
		if !contains(Severities, r.Severity) {
			add(orNode(child(n, "severity"), n), "unknown severity %q: want critical, high, medium, low or info", r.Severity)
		}
		if r.Scope != "" && !contains(Scopes, r.Scope) {
			add(child(n, "scope"), "unknown scope %q: want one of %s", r.Scope, strings.Join(Scopes, ", "))
		}
		if r.When == nil && r.Conduit == nil && r.Check == "" {
			add(n, "finding rule needs when, conduit or check")
		}
		if r.Set != nil || r.Zone != nil {
			add(n, "finding rule takes no set or zone")
		}
		if c := r.Conduit; c != nil {
			cn := child(n, "conduit")
			for _, k := range append(append([]string{}, c.FromKind...), c.ToKind...) {
				if !contains(zoneKindNames, k) {
					add(cn, "unknown zone kind %q", k)
				}
			}
		}
	}
	return errs
}

func orNode(a, b *yaml.Node) *yaml.Node {
	if a != nil {
		return a
	}
	return b
}

// compile validates a condition (exactly one test per node, valid regexes
// and CIDRs) and prepares it for evaluation.
func (c *Condition) compile(n *yaml.Node, id string) ErrorList {
	var errs ErrorList
	add := func(at *yaml.Node, format string, args ...any) {
		errs = append(errs, Errorf(orNode(at, n), "rule %q: "+format, append([]any{id}, args...)...))
	}
	set := 0
	for _, b := range []bool{c.All != nil, c.Any != nil, c.Not != nil, c.Offers != nil, c.Uses != nil, c.Issues != nil,
		c.Receives != nil, c.ConnectsTo != nil, c.AcceptsFrom != nil, c.Attribute != nil, c.Vendor != "", c.Field != nil,
		c.Network != nil, c.DeviceType != nil, c.PurdueLevel != nil} {
		if b {
			set++
		}
	}
	if set != 1 {
		add(n, "a condition needs exactly one of all, any, not, offers, uses, issues, receives, connects_to, accepts_from, attribute, vendor, field, network, device_type, purdue_level (got %d)", set)
		return errs
	}
	switch {
	case c.All != nil || c.Any != nil:
		list, key := c.All, "all"
		if c.Any != nil {
			list, key = c.Any, "any"
		}
		ln := child(n, key)
		if len(list) == 0 {
			add(ln, "%s: empty list", key)
		}
		for i := range list {
			var cn *yaml.Node
			if ln != nil && i < len(ln.Content) {
				cn = ln.Content[i]
			}
			errs = append(errs, list[i].compile(orNode(cn, n), id)...)
		}
	case c.Not != nil:
		errs = append(errs, c.Not.compile(orNode(child(n, "not"), n), id)...)
	case c.Vendor != "":
		re, err := regexp.Compile(c.Vendor)
		if err != nil {
			add(child(n, "vendor"), "vendor: bad regular expression: %v", err)
		}
		c.vendorRE = re
	case c.Attribute != nil:
		a, an := c.Attribute, child(n, "attribute")
		if (a.Key == "") == (a.KeyPrefix == "") {
			add(an, "attribute: give exactly one of key or key_prefix")
		}
		if a.Equals != "" && a.Matches != "" {
			add(an, "attribute: give equals or matches, not both")
		}
		if a.Matches != "" {
			re, err := regexp.Compile(a.Matches)
			if err != nil {
				add(child(an, "matches"), "attribute.matches: bad regular expression: %v", err)
			}
			a.re = re
		}
	case c.Field != nil:
		f, fn := c.Field, child(n, "field")
		if !contains(fieldNames, f.Name) {
			add(orNode(child(fn, "name"), fn), "field: unknown name %q: want one of %s", f.Name, strings.Join(fieldNames, ", "))
		}
		if (f.Equals == "") == (f.Matches == "") {
			add(fn, "field: give exactly one of equals or matches")
		}
		if f.Matches != "" {
			re, err := regexp.Compile(f.Matches)
			if err != nil {
				add(child(fn, "matches"), "field.matches: bad regular expression: %v", err)
			}
			f.re = re
		}
	case c.Network != nil:
		nw, nn := c.Network, child(n, "network")
		if len(nw.CIDR) == 0 && len(nw.VLAN) == 0 && nw.Public == nil {
			add(nn, "network: give cidr, vlan or public")
		}
		for i, s := range nw.CIDR {
			p, err := netip.ParsePrefix(strings.TrimSpace(s))
			if err != nil {
				at := child(nn, "cidr")
				if at != nil && at.Kind == yaml.SequenceNode && i < len(at.Content) {
					at = at.Content[i]
				}
				add(at, "network.cidr: bad CIDR %q", s)
				continue
			}
			nw.prefixes = append(nw.prefixes, p.Masked())
		}
		for _, v := range nw.VLAN {
			if v < 0 || v > 4095 {
				add(child(nn, "vlan"), "network.vlan: %d out of range 0..4095", v)
			}
		}
	case c.DeviceType != nil:
		for _, d := range c.DeviceType {
			if !contains(DeviceTypes, d) {
				add(child(n, "device_type"), "device_type: unknown %q", d)
			}
		}
	case c.Issues != nil || c.Receives != nil:
		om, key := c.Issues, "issues"
		if om == nil {
			om, key = c.Receives, "receives"
		}
		for _, cl := range om.Class {
			if !contains(opClasses, cl) {
				add(child(child(n, key), "class"), "%s.class: unknown operation class %q: want one of %s", key, cl, strings.Join(opClasses, ", "))
			}
		}
		for _, d := range om.PeerDeviceType {
			if !contains(DeviceTypes, d) {
				add(child(child(n, key), "peer_device_type"), "%s.peer_device_type: unknown %q", key, d)
			}
		}
		if om.MinPeers < 0 {
			add(child(n, key), "%s.min_peers must be ≥ 0", key)
		}
	case c.ConnectsTo != nil || c.AcceptsFrom != nil:
		pm, key := c.ConnectsTo, "connects_to"
		if pm == nil {
			pm, key = c.AcceptsFrom, "accepts_from"
		}
		pn := child(n, key)
		for _, d := range pm.PeerDeviceType {
			if !contains(DeviceTypes, d) {
				add(child(pn, "peer_device_type"), "%s.peer_device_type: unknown %q", key, d)
			}
		}
		pm.maxSet = child(pn, "max_peers") != nil
		if pm.MinPeers < 0 || pm.MaxPeers < 0 || (pm.maxSet && pm.MaxPeers < pm.MinPeers) {
			add(pn, "%s: want 0 ≤ min_peers ≤ max_peers", key)
		}
	case c.Offers != nil || c.Uses != nil:
		sm, key := c.Offers, "offers"
		if sm == nil {
			sm, key = c.Uses, "uses"
		}
		allowed := serverRoles
		if key == "uses" {
			allowed = clientRoles
		}
		for _, role := range sm.Role {
			if !contains(allowed, role) {
				add(child(child(n, key), "role"), "%s.role: %q is not one of %s", key, role, strings.Join(allowed, ", "))
			}
		}
	}
	return errs
}

var (
	serverRoles = []string{"server", "outstation", "publisher"}
	clientRoles = []string{"client", "master", "subscriber"}
	opClasses   = []string{"read", "write", "program", "control", "config", "diagnostic", "discovery", "other"}
)
