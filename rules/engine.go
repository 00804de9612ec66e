package rules

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/otzone/otzone/discovery/inventory"
)

// Decision fields the engine writes.
const (
	FieldDeviceType  = "device_type"
	FieldPurdueLevel = "purdue_level"
	FieldZoneKind    = "zone_kind"
)

// maxEvidence bounds the evidence strings kept per decision, and maxDetails
// the clauses of its explanation: a rule matching thousands of operations
// still records a readable decision.
const (
	maxEvidence = 8
	maxDetails  = 4
)

// Evaluator evaluates conditions over the assets of one inventory. It
// indexes the communications by asset once; peers' device types are read
// live from the inventory, so a second pass sees the first pass's verdicts.
type Evaluator struct {
	inv      *inventory.Inventory
	byID     map[string]*inventory.Asset
	asClient map[string][]*inventory.Communication
	asServer map[string][]*inventory.Communication
}

// NewEvaluator indexes inv. The inventory must not gain or lose assets or
// communications while the evaluator is in use.
func NewEvaluator(inv *inventory.Inventory) *Evaluator {
	e := &Evaluator{inv: inv, byID: map[string]*inventory.Asset{},
		asClient: map[string][]*inventory.Communication{}, asServer: map[string][]*inventory.Communication{}}
	for i := range inv.Assets {
		e.byID[inv.Assets[i].ID] = &inv.Assets[i]
	}
	for i := range inv.Communications {
		c := &inv.Communications[i]
		e.asClient[c.Client] = append(e.asClient[c.Client], c)
		e.asServer[c.Server] = append(e.asServer[c.Server], c)
	}
	return e
}

// Asset returns the asset with id, or nil.
func (e *Evaluator) Asset(id string) *inventory.Asset { return e.byID[id] }

// Match is the outcome of a condition on one asset.
type Match struct {
	OK bool
	// Details are short clauses explaining the match ("offers modbus/tcp 502").
	Details []string
	// Evidence are the sources ("pcap:FILE#frame=N") of the facts that matched.
	Evidence []string
}

func (m *Match) add(detail string, evidence ...string) {
	if detail != "" && len(m.Details) < maxDetails && !contains(m.Details, detail) {
		m.Details = append(m.Details, detail)
	}
	for _, ev := range evidence {
		if ev != "" && len(m.Evidence) < maxEvidence && !contains(m.Evidence, ev) {
			m.Evidence = append(m.Evidence, ev)
		}
	}
}

func (m *Match) merge(o Match) {
	for _, d := range o.Details {
		m.add(d)
	}
	m.add("", o.Evidence...)
}

// Because is the decision sentence: the rule's because plus the details.
func (m Match) Because(r *Rule) string {
	s := r.Because
	if s == "" {
		s = r.Title
	}
	if len(m.Details) > 0 {
		s += " (" + strings.Join(m.Details, "; ") + ")"
	}
	return s
}

// Eval evaluates rule r's condition on asset a. A rule without a
// condition matches nothing.
func (e *Evaluator) Eval(r *Rule, a *inventory.Asset) Match {
	if r == nil || r.When == nil || a == nil {
		return Match{}
	}
	return e.eval(r.When, a)
}

func (e *Evaluator) eval(c *Condition, a *inventory.Asset) Match {
	var m Match
	switch {
	case c.All != nil:
		for i := range c.All {
			sub := e.eval(&c.All[i], a)
			if !sub.OK {
				return Match{}
			}
			m.merge(sub)
		}
		m.OK = true
	case c.Any != nil:
		for i := range c.Any {
			sub := e.eval(&c.Any[i], a)
			if sub.OK {
				m.OK = true
				m.merge(sub)
			}
		}
	case c.Not != nil:
		m.OK = !e.eval(c.Not, a).OK
	case c.Offers != nil:
		m = e.services(c.Offers, a, serverRoles, "offers")
	case c.Uses != nil:
		m = e.services(c.Uses, a, clientRoles, "uses")
	case c.Issues != nil:
		m = e.operations(c.Issues, a, true)
	case c.Receives != nil:
		m = e.operations(c.Receives, a, false)
	case c.ConnectsTo != nil:
		m = e.peers(c.ConnectsTo, a, true)
	case c.AcceptsFrom != nil:
		m = e.peers(c.AcceptsFrom, a, false)
	case c.Attribute != nil:
		m = attribute(c.Attribute, a)
	case c.Vendor != "":
		m = vendor(c, a)
	case c.Field != nil:
		m = field(c.Field, a)
	case c.Network != nil:
		m = network(c.Network, a)
	case c.DeviceType != nil:
		if contains(c.DeviceType, deviceType(a)) {
			m.OK = true
			m.add("is " + deviceType(a))
		}
	case c.PurdueLevel != nil:
		if a.PurdueLevel != nil && contains(c.PurdueLevel, *a.PurdueLevel) {
			m.OK = true
			m.add("at Purdue level " + strconv.Itoa(*a.PurdueLevel))
		}
	}
	return m
}

func deviceType(a *inventory.Asset) string {
	if a == nil || a.DeviceType == "" {
		return "unknown"
	}
	return a.DeviceType
}

func protoMatch(list []string, p string) bool { return len(list) == 0 || containsFold(list, p) }
func portMatch(list []int, p int) bool        { return len(list) == 0 || contains(list, p) }

func (e *Evaluator) services(sm *ServiceMatch, a *inventory.Asset, roles []string, verb string) Match {
	var m Match
	want := roles
	if len(sm.Role) > 0 {
		want = sm.Role
	}
	for _, s := range a.Services {
		if !contains(want, s.Role) || !protoMatch(sm.Protocol, s.Protocol) || !portMatch(sm.Port, s.Port) ||
			!protoMatch(sm.Transport, s.Transport) {
			continue
		}
		m.OK = true
		m.add(fmt.Sprintf("%s %s", verb, svcString(s.Protocol, s.Transport, s.Port, s.Role)), s.Source)
	}
	// A communication implies the service even when the dissector emitted
	// no service observation: the server offers it, the client uses it.
	generic := "server"
	comms := e.asServer[a.ID]
	if verb == "uses" {
		generic, comms = "client", e.asClient[a.ID]
	}
	if len(sm.Role) == 0 || contains(sm.Role, generic) {
		for _, c := range comms {
			if !protoMatch(sm.Protocol, c.Protocol) || !portMatch(sm.Port, c.Port) || !protoMatch(sm.Transport, c.Transport) {
				continue
			}
			m.OK = true
			m.add(fmt.Sprintf("%s %s", verb, svcString(c.Protocol, c.Transport, c.Port, "")), c.Source)
		}
	}
	return m
}

func svcString(proto, transport string, port int, role string) string {
	s := proto
	if transport != "" && transport != "eth" {
		s += "/" + transport
	}
	if port > 0 {
		s += " " + strconv.Itoa(port)
	}
	if role != "" && role != "server" && role != "client" {
		s += " as " + role
	}
	return s
}

func (e *Evaluator) operations(om *OperationMatch, a *inventory.Asset, issued bool) Match {
	comms := e.asServer[a.ID]
	if issued {
		comms = e.asClient[a.ID]
	}
	var total uint64
	peers := map[string]bool{}
	var ev []string
	protos := map[string]bool{}
	for _, c := range comms {
		if !protoMatch(om.Protocol, c.Protocol) {
			continue
		}
		peer := c.Client
		if issued {
			peer = c.Server
		}
		if peer == a.ID {
			continue // loopback captures: operations an asset sends itself say nothing of its role
		}
		if len(om.PeerDeviceType) > 0 && !contains(om.PeerDeviceType, deviceType(e.byID[peer])) {
			continue
		}
		var n uint64
		for _, op := range c.Operations {
			if len(om.Class) > 0 && !contains(om.Class, op.Class) {
				continue
			}
			if len(om.Name) > 0 && !contains(om.Name, op.Name) {
				continue
			}
			n += op.Count
			src := op.Source
			if src == "" {
				src = c.Source
			}
			if len(ev) < maxEvidence {
				ev = append(ev, src)
			}
		}
		if n > 0 {
			total += n
			peers[peer] = true
			protos[c.Protocol] = true
		}
	}
	minCount := om.MinCount
	if minCount == 0 {
		minCount = 1
	}
	minPeers := om.MinPeers
	if minPeers == 0 {
		minPeers = 1
	}
	if total < minCount || len(peers) < minPeers {
		return Match{}
	}
	what := "operations"
	if len(om.Class) > 0 {
		what = strings.Join(om.Class, "/") + " operations"
	}
	if len(om.Name) > 0 {
		what = strings.Join(om.Name, "/")
	}
	verb, dir := "issued", "to"
	if !issued {
		verb, dir = "received", "from"
	}
	m := Match{OK: true}
	m.add(fmt.Sprintf("%s %d %s (%s) %s %s", verb, total, what, strings.Join(sortedSet(protos), ", "), dir, plural(len(peers), "peer")), ev...)
	return m
}

func (e *Evaluator) peers(pm *PeerMatch, a *inventory.Asset, asClient bool) Match {
	comms := e.asServer[a.ID]
	if asClient {
		comms = e.asClient[a.ID]
	}
	peers := map[string]bool{}
	protos := map[string]bool{}
	var ev []string
	for _, c := range comms {
		if !protoMatch(pm.Protocol, c.Protocol) || !portMatch(pm.Port, c.Port) {
			continue
		}
		peer := c.Client
		if asClient {
			peer = c.Server
		}
		if peer == a.ID {
			continue // loopback captures: an asset talking to itself is not a peer
		}
		pa := e.byID[peer]
		if len(pm.PeerDeviceType) > 0 && !contains(pm.PeerDeviceType, deviceType(pa)) {
			continue
		}
		if len(pm.PeerLevel) > 0 && (pa == nil || pa.PurdueLevel == nil || !contains(pm.PeerLevel, *pa.PurdueLevel)) {
			continue
		}
		if !peers[peer] && len(ev) < maxEvidence {
			ev = append(ev, c.Source)
		}
		peers[peer] = true
		protos[c.Protocol] = true
	}
	minPeers := pm.MinPeers
	if minPeers == 0 && !pm.maxSet {
		minPeers = 1
	}
	if len(peers) < minPeers || (pm.maxSet && len(peers) > pm.MaxPeers) {
		return Match{}
	}
	m := Match{OK: true}
	what := "peer"
	if len(pm.PeerDeviceType) > 0 {
		what = strings.Join(pm.PeerDeviceType, "/")
	}
	verb := "client of"
	if !asClient {
		verb = "server to"
	}
	via := ""
	if len(protos) > 0 {
		via = " over " + strings.Join(sortedSet(protos), ", ")
	}
	m.add(fmt.Sprintf("%s %s%s", verb, plural(len(peers), what), via), ev...)
	return m
}

func attribute(am *AttributeMatch, a *inventory.Asset) Match {
	var m Match
	seen := map[string]bool{}
	for _, at := range a.Attributes {
		if am.Key != "" && at.Key != am.Key {
			continue
		}
		if am.KeyPrefix != "" && !strings.HasPrefix(at.Key, am.KeyPrefix) {
			continue
		}
		switch {
		case am.Equals != "":
			if !strings.EqualFold(strings.TrimSpace(at.Value), am.Equals) {
				continue
			}
		case am.re != nil:
			if !am.re.MatchString(at.Value) {
				continue
			}
		}
		if !seen[at.Value] {
			seen[at.Value] = true
			m.add(fmt.Sprintf("%s=%s", at.Key, clip(at.Value)), at.Source)
		}
	}
	min := am.MinValues
	if min < 1 {
		min = 1
	}
	m.OK = len(seen) >= min
	return m
}

func vendor(c *Condition, a *inventory.Asset) Match {
	var m Match
	if a.Vendor != "" && c.vendorRE.MatchString(a.Vendor) {
		m.OK = true
		src := ""
		for _, fv := range a.Fields["vendor"] {
			if fv.Chosen {
				src = fv.Source
			}
		}
		m.add("vendor "+clip(a.Vendor), src)
	}
	for _, at := range a.Attributes {
		if (strings.HasSuffix(at.Key, ".vendor_name") || strings.HasSuffix(at.Key, ".vendor")) && c.vendorRE.MatchString(at.Value) {
			m.OK = true
			m.add(fmt.Sprintf("%s=%s", at.Key, clip(at.Value)), at.Source)
		}
	}
	return m
}

func field(fm *FieldMatch, a *inventory.Asset) Match {
	var vals []string
	switch fm.Name {
	case "vendor":
		vals = []string{a.Vendor}
	case "model":
		vals = []string{a.Model}
	case "firmware":
		vals = []string{a.Firmware}
	case "serial":
		vals = []string{a.Serial}
	case "hostname":
		vals = a.Hostnames
	case "mac":
		vals = a.MACs
	case "ip":
		vals = a.IPs
	}
	var m Match
	n := 0
	for _, v := range vals {
		if v == "" {
			continue
		}
		ok := false
		if fm.Equals != "" {
			ok = strings.EqualFold(v, fm.Equals)
		} else if fm.re != nil {
			ok = fm.re.MatchString(v)
		}
		if ok {
			n++
			src := ""
			for _, fv := range a.Fields[fm.Name] {
				if fv.Value == v {
					src = fv.Source
					break
				}
			}
			m.add(fm.Name+" "+clip(v), src)
		}
	}
	min := fm.MinValues
	if min < 1 {
		min = 1
	}
	m.OK = n >= min
	if m.OK && min > 1 {
		m.Details = append(m.Details[:0], fmt.Sprintf("%d %s values", n, fm.Name))
	}
	return m
}

func network(nm *NetworkMatch, a *inventory.Asset) Match {
	var m Match
	var addrs []netip.Addr
	for _, s := range a.IPs {
		if ip, err := netip.ParseAddr(s); err == nil {
			addrs = append(addrs, ip.Unmap())
		}
	}
	if len(nm.prefixes) > 0 {
		hit := ""
		for _, ip := range addrs {
			for _, p := range nm.prefixes {
				if p.Contains(ip) {
					hit = ip.String() + " in " + p.String()
					break
				}
			}
			if hit != "" {
				break
			}
		}
		if hit == "" {
			return Match{}
		}
		m.add(hit)
	}
	if len(nm.VLAN) > 0 {
		hit := false
		for _, at := range a.Attributes {
			if at.Key != "net.vlan" {
				continue
			}
			v, err := strconv.Atoi(strings.TrimSpace(at.Value))
			if err == nil && contains(nm.VLAN, v) {
				hit = true
				m.add("VLAN "+at.Value, at.Source)
				break
			}
		}
		if !hit {
			return Match{}
		}
	}
	if nm.Public != nil {
		pub := ""
		for _, ip := range addrs {
			if IsPublic(ip) {
				pub = ip.String()
				break
			}
		}
		if *nm.Public != (pub != "") {
			return Match{}
		}
		if pub != "" {
			m.add("public address " + pub)
		} else {
			m.add("no public address")
		}
	}
	m.OK = true
	return m
}

var nonPublic = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
		"172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
		"203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4", "::/128", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8", "2001:db8::/32"} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// IsPublic reports whether ip is globally routable: not private (RFC 1918,
// ULA), loopback, link-local, CGNAT, multicast, reserved, or a documentation
// range. Documentation ranges count as not public so that examples behave
// like private networks.
func IsPublic(ip netip.Addr) bool {
	if !ip.IsValid() {
		return false
	}
	ip = ip.Unmap()
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// clip shortens a wire-derived value for an explanation and replaces
// control characters, so that a hostile string cannot break the line of a
// report, a YAML comment or a terminal.
func clip(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
	if len(s) > 64 {
		cut := 64
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return s[:cut] + "…"
	}
	return s
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Classify sets DeviceType, PurdueLevel and Decisions of every asset from
// the classify rules of rs. It runs two passes: the second sees the peers'
// device types from the first (an HMI is what polls PLCs). Earlier
// device_type and purdue_level decisions are replaced; other decisions stay.
// Assets no rule matches get device type "unknown" and no level.
func Classify(inv *inventory.Inventory, rs *RuleSet) error {
	if inv == nil {
		return fmt.Errorf("rules: classify: nil inventory")
	}
	rules := rs.ByKind(KindClassify)
	e := NewEvaluator(inv)
	for i := range inv.Assets {
		a := &inv.Assets[i]
		a.DeviceType, a.PurdueLevel = "", nil
		kept := a.Decisions[:0]
		for _, d := range a.Decisions {
			if d.Field != FieldDeviceType && d.Field != FieldPurdueLevel {
				kept = append(kept, d)
			}
		}
		a.Decisions = kept
	}
	setsType := map[string]string{}
	for _, r := range rules {
		setsType[r.ID] = r.Set.DeviceType
	}
	var results [][]inventory.Decision
	for pass := 0; pass < 2; pass++ {
		// Evaluate every asset against the previous pass's state, then apply,
		// so the result does not depend on the order of assets.
		results = make([][]inventory.Decision, len(inv.Assets))
		for i := range inv.Assets {
			a := &inv.Assets[i]
			for _, r := range rules {
				m := e.Eval(r, a)
				if !m.OK {
					continue
				}
				because := m.Because(r)
				if r.Set.DeviceType != "" {
					results[i] = append(results[i], inventory.Decision{Field: FieldDeviceType, Value: r.Set.DeviceType,
						Rule: r.ID, Priority: r.Priority, Because: because, Evidence: m.Evidence, Confidence: r.Confidence})
				}
				if r.Set.PurdueLevel != nil {
					results[i] = append(results[i], inventory.Decision{Field: FieldPurdueLevel, Value: strconv.Itoa(*r.Set.PurdueLevel),
						Rule: r.ID, Priority: r.Priority, Because: because, Evidence: m.Evidence, Confidence: r.Confidence})
				}
			}
		}
		for i := range inv.Assets {
			a := &inv.Assets[i]
			a.DeviceType, a.PurdueLevel = "unknown", nil
			results[i] = resolveAsset(results[i], setsType)
			for _, d := range results[i] {
				if !d.Won {
					continue
				}
				switch d.Field {
				case FieldDeviceType:
					a.DeviceType = d.Value
				case FieldPurdueLevel:
					if n, err := strconv.Atoi(d.Value); err == nil {
						lv := n
						a.PurdueLevel = &lv
					}
				}
			}
		}
	}
	for i := range inv.Assets {
		inv.Assets[i].Decisions = append(inv.Assets[i].Decisions, results[i]...)
	}
	return nil
}

// resolveAsset resolves device_type first, then purdue_level among the
// rules that set no device type or set the winning one: the level of a rule
// whose device type lost is not taken (an asset that is a network_device by
// one rule and an it_server at level 4 by a weaker one gets no level 4).
func resolveAsset(ds []inventory.Decision, setsType map[string]string) []inventory.Decision {
	ds = Resolve(ds)
	winner := ""
	for _, d := range ds {
		if d.Field == FieldDeviceType && d.Won {
			winner = d.Value
		}
	}
	var levels []int
	for i, d := range ds {
		if d.Field != FieldPurdueLevel {
			continue
		}
		if t := setsType[d.Rule]; t != "" && t != winner {
			ds[i].Won = false
			continue
		}
		levels = append(levels, i)
	}
	for n, i := range levels {
		ds[i].Won = n == 0
	}
	return ds
}

// Resolve orders decisions per field (highest priority, then confidence,
// then rule id) and marks the first of each field Won; the others are kept
// with Won false so a user can see what lost.
func Resolve(ds []inventory.Decision) []inventory.Decision {
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i], ds[j]
		if a.Field != b.Field {
			return a.Field < b.Field
		}
		if a.Priority != b.Priority {
			return a.Priority > b.Priority
		}
		if a.Confidence != b.Confidence {
			return a.Confidence > b.Confidence
		}
		return a.Rule < b.Rule
	})
	for i := range ds {
		ds[i].Won = i == 0 || ds[i].Field != ds[i-1].Field
	}
	return ds
}
