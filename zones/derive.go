package zones

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/rules"
)

// Options tune Derive and Compare.
type Options struct {
	// TargetSL is the SL-T (all FRs) of zones the model gives none; nil
	// means DefaultSLTarget(kind).
	TargetSL *SecurityLevel
	// MaxFlows bounds the communications listed per conduit and violation
	// (default 100; the counts stay exact).
	MaxFlows int
}

func (o Options) maxFlows() int {
	if o.MaxFlows <= 0 {
		return 100
	}
	return o.MaxFlows
}

func (o Options) slTarget(k ZoneKind) (SLVector, string) {
	if o.TargetSL != nil {
		return Uniform(*o.TargetSL), "--target-sl"
	}
	return DefaultSLTarget(k), "default for " + k.String()
}

// placement is where a zone rule puts one asset.
type placement struct {
	kind  ZoneKind
	group string
	name  string
	rule  string
	why   string
}

// netInfo is the network an asset is grouped by.
type netInfo struct {
	key      string // id fragment: "vlan10", "10.10.10.0-24", "l2"
	label    string // "VLAN 10", "10.10.10.0/24"
	networks []string
	by       string // "VLAN", "subnet", "layer 2"
}

// Derive groups the assets of a classified inventory (run rules.Classify
// first) into zones and aggregates the communications between zones into
// conduits.
//
// Each asset's zone kind comes from the zone rules of rs (by Purdue level,
// safety controllers, public addresses); assets of one kind are grouped by
// VLAN (attribute net.vlan, for assets seen with their own MAC) or else by
// IPv4 /24 (IPv6 /64). Controllers (group "cell") are split further into
// cells when their supervisory clients form disjoint groups: controllers
// that share no HMI, SCADA or engineering station are separate cells.
// Assets no zone rule places (unknown devices, switches) join the zone of
// their network, or an unassigned zone when their network has none. The
// zone_kind decisions are recorded on the assets.
//
// Zone ids are readable and stable: kind-network ("control-vlan10",
// "control-10.10.10.0-24", "enterprise-192.168.1.0-24", IPv6
// "supervisory-fe80--64", see prefixKey), with "-cellN" for split cells.
func Derive(inv *inventory.Inventory, rs *rules.RuleSet, opt Options) (*Model, error) {
	if inv == nil {
		return nil, fmt.Errorf("zones: derive: nil inventory")
	}
	ev := rules.NewEvaluator(inv)
	zr := rs.ByKind(rules.KindZone)
	place := make([]*placement, len(inv.Assets))
	for i := range inv.Assets {
		a := &inv.Assets[i]
		var ds []inventory.Decision
		for _, r := range zr {
			m := ev.Eval(r, a)
			if !m.OK {
				continue
			}
			ds = append(ds, inventory.Decision{Field: rules.FieldZoneKind, Value: r.Zone.Kind, Rule: r.ID, Priority: r.Priority,
				Because: m.Because(r), Evidence: m.Evidence, Confidence: r.Confidence})
		}
		ds = rules.Resolve(ds)
		kept := a.Decisions[:0]
		for _, d := range a.Decisions {
			if d.Field != rules.FieldZoneKind {
				kept = append(kept, d)
			}
		}
		a.Decisions = append(kept, ds...)
		for _, d := range ds {
			if !d.Won {
				continue
			}
			r := rs.Get(d.Rule)
			k, _ := ParseZoneKind(r.Zone.Kind)
			place[i] = &placement{kind: k, group: r.Zone.Group, name: r.Zone.Name, rule: r.ID, why: r.Because}
		}
	}

	type groupAcc struct {
		kind    ZoneKind
		id      string
		name    string
		group   string
		net     netInfo
		members []int
		rules   map[string]int
		why     map[string]string
	}
	groups := map[string]*groupAcc{}
	var order []string
	nets := make([]netInfo, len(inv.Assets))
	idx := assetIndex(inv)
	for i := range inv.Assets {
		a := &inv.Assets[i]
		// A device reachable only through a gateway (BACnet router, Modbus
		// gateway unit) sits on the gateway's network.
		if gw := idx[a.Via]; gw != nil && len(a.IPs) == 0 && len(a.MACs) == 0 {
			nets[i] = networkOf(gw)
			continue
		}
		nets[i] = networkOf(a)
	}
	for i, p := range place {
		if p == nil {
			continue
		}
		a := &inv.Assets[i]
		var gk, id, name string
		switch p.group {
		case "single":
			base := p.name
			if base == "" {
				base = p.kind.String()
			}
			gk, id, name = p.kind.String()+"|single|"+base, slug(base), title(base)
		case "asset":
			label := a.ID
			if len(a.IPs) > 0 {
				label = a.IPs[0]
			}
			gk = p.kind.String() + "|asset|" + a.ID
			id, name = p.kind.String()+"-"+slug(label), title(p.kind.String())+" "+label
		default:
			base := p.name
			if base == "" {
				base = p.kind.String()
			}
			gk = p.kind.String() + "|" + p.group + "|" + base + "|" + nets[i].key
			id, name = slug(base)+"-"+nets[i].key, title(base)+" "+nets[i].label
		}
		g := groups[gk]
		if g == nil {
			g = &groupAcc{kind: p.kind, id: id, name: name, group: p.group, net: nets[i], rules: map[string]int{}, why: map[string]string{}}
			groups[gk] = g
			order = append(order, gk)
		}
		g.members = append(g.members, i)
		g.rules[p.rule]++
		g.why[p.rule] = p.why
	}
	sort.Strings(order)
	// Assets grouped by subnet (no VLAN seen, or several) join the group of
	// the same kind whose VLAN carries that subnet.
	for _, gk := range order {
		g := groups[gk]
		if g == nil || g.net.by != "subnet" || g.group == "single" || g.group == "asset" {
			continue
		}
		for _, ok2 := range order {
			h := groups[ok2]
			if h == nil || h == g || h.kind != g.kind || h.group != g.group || h.net.by != "VLAN" || !contains(h.net.networks, g.net.label) ||
				!strings.HasPrefix(h.id, strings.TrimSuffix(g.id, g.net.key)) {
				continue
			}
			h.members = append(h.members, g.members...)
			for r, n := range g.rules {
				h.rules[r] += n
				h.why[r] = g.why[r]
			}
			delete(groups, gk)
			break
		}
	}
	kept := order[:0]
	for _, gk := range order {
		if groups[gk] != nil {
			kept = append(kept, gk)
		}
	}
	order = kept

	m := &Model{Schema: Schema, Zones: []Zone{}, Conduits: []Conduit{}, Violations: []Violation{}, Source: "derived"}
	zoneOf := map[string]string{}
	byNet := map[string][]int{} // network key → zone indexes
	for _, gk := range order {
		g := groups[gk]
		parts := [][]int{g.members}
		if g.group == "cell" {
			parts = splitCells(inv, g.members)
		}
		for pi, members := range parts {
			z := Zone{ID: g.id, Name: g.name, Kind: g.kind, Assets: []string{}, Why: []string{}}
			if len(parts) > 1 {
				z.ID = fmt.Sprintf("%s-cell%d", g.id, pi+1)
				z.Name = fmt.Sprintf("%s cell %d", g.name, pi+1)
			}
			for _, i := range members {
				z.Assets = append(z.Assets, inv.Assets[i].ID)
				zoneOf[inv.Assets[i].ID] = z.ID
			}
			for _, rid := range sortedKeysInt(g.rules) {
				z.Why = append(z.Why, fmt.Sprintf("%s: %s (%s)", rid, g.why[rid], plural(g.rules[rid], "asset")))
			}
			if g.group != "single" && g.group != "asset" {
				z.Why = append(z.Why, "grouped by "+g.net.describe())
				z.Networks = g.net.networks
			}
			if len(parts) > 1 {
				z.Why = append(z.Why, fmt.Sprintf("cell %d of %d: controllers whose supervisory clients do not overlap with the other cells'", pi+1, len(parts)))
			}
			z.PurdueLevel = zoneLevel(inv, members, g.kind)
			z.SLTarget, z.SLSource = opt.slTarget(g.kind)
			m.Zones = append(m.Zones, z)
			if g.group != "single" && g.group != "asset" {
				byNet[g.net.key] = append(byNet[g.net.key], len(m.Zones)-1)
			}
		}
	}
	// Assets no zone rule placed join the zone of their network.
	unassigned := map[string]int{}
	joined := map[int]map[string]int{} // zone index → how the assets joined → count
	for i, p := range place {
		if p != nil {
			continue
		}
		a := &inv.Assets[i]
		n := nets[i]
		zs := byNet[n.key]
		if len(zs) == 0 {
			// An asset grouped by subnet (seen behind a router, or without a
			// VLAN tag) joins a VLAN zone whose subnets hold its address.
			for _, sn := range n.networks {
				for zi := range m.Zones {
					if contains(m.Zones[zi].Networks, sn) && !contains(zs, zi) {
						zs = append(zs, zi)
					}
				}
			}
		}
		if len(zs) > 0 {
			best := zs[0]
			for _, zi := range zs[1:] {
				if len(m.Zones[zi].Assets) > len(m.Zones[best].Assets) {
					best = zi
				}
			}
			z := &m.Zones[best]
			z.Assets = append(z.Assets, a.ID)
			zoneOf[a.ID] = z.ID
			if joined[best] == nil {
				joined[best] = map[string]int{}
			}
			joined[best][n.describe()]++
			continue
		}
		zi, ok := unassigned[n.key]
		if !ok {
			z := Zone{ID: "unassigned-" + n.key, Name: "Unassigned " + n.label, Kind: KindUnassigned, Assets: []string{},
				Why: []string{"no zone rule placed these assets and no zone holds their " + n.describe()}, Networks: n.networks}
			z.SLTarget, z.SLSource = opt.slTarget(KindUnassigned)
			m.Zones = append(m.Zones, z)
			zi = len(m.Zones) - 1
			unassigned[n.key] = zi
		}
		m.Zones[zi].Assets = append(m.Zones[zi].Assets, a.ID)
		zoneOf[a.ID] = m.Zones[zi].ID
	}
	for zi, how := range joined {
		for _, d := range sortedKeysInt(how) {
			m.Zones[zi].Why = append(m.Zones[zi].Why, fmt.Sprintf("unclassified assets joined by %s (%s)", d, plural(how[d], "asset")))
		}
	}
	dedupeZoneIDs(m)
	zoneOf = m.ZoneOf()
	m.Conduits = aggregate(inv, m, zoneOf, opt)
	m.Violations = append(m.Violations, shortcuts(inv, m, zoneOf, opt)...)
	m.Sort()
	return m, nil
}

// dedupeZoneIDs makes zone ids unique (two rules with one name prefix).
func dedupeZoneIDs(m *Model) {
	seen := map[string]int{}
	for i := range m.Zones {
		id := m.Zones[i].ID
		seen[id]++
		if seen[id] > 1 {
			m.Zones[i].ID = fmt.Sprintf("%s-%d", id, seen[id])
		}
	}
}

func (n netInfo) describe() string {
	if n.by == "VLAN" {
		return n.label
	}
	return n.by + " " + n.label
}

// networkOf picks the network an asset is grouped by: its VLAN when it was
// seen with its own MAC (assets behind a router carry the router's VLAN),
// else its IPv4 /24, else its IPv6 /64, else layer 2 only.
func networkOf(a *inventory.Asset) netInfo {
	var subnets []string
	var first netip.Prefix
	for _, s := range a.IPs {
		ip, err := netip.ParseAddr(s)
		if err != nil {
			continue
		}
		ip = ip.Unmap()
		bits := 24
		if ip.Is6() {
			bits = 64
		}
		p, _ := ip.Prefix(bits)
		if !first.IsValid() || (first.Addr().Is6() && ip.Is4()) {
			first = p
		}
		if !contains(subnets, p.String()) {
			subnets = append(subnets, p.String())
		}
	}
	sort.Strings(subnets)
	if strings.HasPrefix(a.Key, "mac:") || a.Key == "" {
		counts := map[string]int{}
		for _, at := range a.Attributes {
			if at.Key == "net.vlan" {
				if _, err := strconv.Atoi(at.Value); err == nil {
					counts[at.Value] += int(at.Count) + 1
				}
			}
		}
		// A MAC seen on several VLANs (a router, a trunk) is grouped by VLAN
		// only when one VLAN carries at least three quarters of its sightings.
		total, best, bestN := 0, "", 0
		for v, n := range counts {
			total += n
			if n > bestN || (n == bestN && v < best) {
				best, bestN = v, n
			}
		}
		if best != "" && bestN*4 >= total*3 {
			return netInfo{key: "vlan" + best, label: "VLAN " + best, by: "VLAN", networks: append([]string{"vlan:" + best}, subnets...)}
		}
	}
	if first.IsValid() {
		return netInfo{key: prefixKey(first), label: first.String(), by: "subnet", networks: []string{first.String()}}
	}
	return netInfo{key: "l2", label: "(layer 2 only)", by: "network", networks: nil}
}

// prefixKey is the zone-id fragment of a subnet: "10.10.10.0-24" for IPv4
// (the documented form); for IPv6 the groups the prefix covers, in
// lower-case hex without leading zeros, joined by "-", trailing zero groups
// dropped, then "--" and the length: fe80::/64 is "fe80--64",
// 2001:db8:0:1::/64 is "2001-db8-0-1--64". The form is unique per prefix
// and IPv6 fragments hold only [a-z0-9-], safe as ids in every diagram
// format.
func prefixKey(p netip.Prefix) string {
	bits := strconv.Itoa(p.Bits())
	if p.Addr().Is4() {
		return p.Addr().String() + "-" + bits
	}
	b := p.Masked().Addr().As16()
	n := (p.Bits() + 15) / 16
	groups := make([]string, 0, n)
	for i := 0; i < n; i++ {
		groups = append(groups, strconv.FormatUint(uint64(b[2*i])<<8|uint64(b[2*i+1]), 16))
	}
	for len(groups) > 1 && groups[len(groups)-1] == "0" {
		groups = groups[:len(groups)-1]
	}
	if len(groups) == 0 {
		groups = []string{"0"}
	}
	return strings.Join(groups, "-") + "--" + bits
}

// splitCells splits controllers into cells: two controllers are in one cell
// when clients from one network (VLAN or subnet) talk to both, or they talk
// to each other. Controllers no outside client talks to join the largest cell.
func splitCells(inv *inventory.Inventory, members []int) [][]int {
	in := map[string]int{}
	for _, i := range members {
		in[inv.Assets[i].ID] = i
	}
	parent := map[int]int{}
	for _, i := range members {
		parent[i] = i
	}
	var find func(int) int
	find = func(x int) int {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	union := func(a, b int) {
		ra, rb := find(a), find(b)
		if ra != rb {
			if ra < rb {
				parent[rb] = ra
			} else {
				parent[ra] = rb
			}
		}
	}
	// Clients are taken by network (VLAN or subnet): an HMI and an
	// engineering station on one supervisory LAN serve one cell; HMIs on
	// two different LANs that poll disjoint controllers make two cells.
	byClientNet := map[string]int{}
	polled := map[int]bool{}
	clientNet := map[string]string{}
	idx := assetIndex(inv)
	for _, c := range inv.Communications {
		si, sok := in[c.Server]
		ci, cok := in[c.Client]
		switch {
		case sok && cok:
			union(si, ci)
		case sok:
			polled[si] = true
			cn, ok := clientNet[c.Client]
			if !ok {
				cn = c.Client
				if a := idx[c.Client]; a != nil {
					cn = networkOf(a).key
				}
				clientNet[c.Client] = cn
			}
			if prev, ok := byClientNet[cn]; ok {
				union(prev, si)
			} else {
				byClientNet[cn] = si
			}
		}
	}
	comps := map[int][]int{}
	var orphans []int
	for _, i := range members {
		r := find(i)
		comps[r] = append(comps[r], i)
	}
	var cells [][]int
	roots := make([]int, 0, len(comps))
	for r := range comps {
		roots = append(roots, r)
	}
	sort.Ints(roots)
	for _, r := range roots {
		hasClient := false
		for _, i := range comps[r] {
			if polled[i] {
				hasClient = true
			}
		}
		if hasClient {
			cells = append(cells, comps[r])
		} else {
			orphans = append(orphans, comps[r]...)
		}
	}
	if len(cells) <= 1 {
		return [][]int{members}
	}
	big := 0
	for i := range cells {
		if len(cells[i]) > len(cells[big]) {
			big = i
		}
	}
	cells[big] = append(cells[big], orphans...)
	// Order cells by their first asset id so names are stable.
	for i := range cells {
		sort.Slice(cells[i], func(a, b int) bool { return inv.Assets[cells[i][a]].ID < inv.Assets[cells[i][b]].ID })
	}
	sort.Slice(cells, func(a, b int) bool { return inv.Assets[cells[a][0]].ID < inv.Assets[cells[b][0]].ID })
	return cells
}

// zoneLevel is the most common Purdue level of the members, else the kind's.
func zoneLevel(inv *inventory.Inventory, members []int, k ZoneKind) *int {
	counts := map[int]int{}
	for _, i := range members {
		if p := inv.Assets[i].PurdueLevel; p != nil {
			counts[*p]++
		}
	}
	best, bestN := -1, 0
	for lv, n := range counts {
		if n > bestN || (n == bestN && lv < best) {
			best, bestN = lv, n
		}
	}
	if best < 0 {
		best = k.DefaultLevel()
	}
	if best < 0 {
		return nil
	}
	return &best
}

// commSecurity says whether a communication is encrypted and
// authenticated, from its protocol (tls, ssh) and attributes (encrypted,
// authenticated, opcua.security_mode, dnp3.secure_authentication).
func commSecurity(c *inventory.Communication) (encrypted, authenticated bool) {
	switch strings.ToLower(c.Protocol) {
	case "tls", "ssh", "https", "ldaps", "ipsec", "wireguard", "openvpn":
		encrypted, authenticated = true, true
	}
	for _, at := range c.Attributes {
		v := strings.ToLower(strings.TrimSpace(at.Value))
		yes := v == "true" || v == "yes" || v == "1"
		switch at.Key {
		case "encrypted":
			encrypted = encrypted || yes
		case "authenticated":
			authenticated = authenticated || yes
		case "opcua.security_mode":
			switch v {
			case "signandencrypt", "sign_and_encrypt", "3":
				encrypted, authenticated = true, true
			case "sign", "2":
				authenticated = true
			}
		case "dnp3.secure_authentication":
			authenticated = authenticated || yes
		}
	}
	return
}

func opCounts(c *inventory.Communication) (write, program, control uint64) {
	for _, op := range c.Operations {
		switch op.Class {
		case "write":
			write += op.Count
		case "program":
			program += op.Count
		case "control":
			control += op.Count
		}
	}
	return
}

func commRef(inv map[string]*inventory.Asset, c *inventory.Communication, zoneOf map[string]string) CommRef {
	w, p, ctl := opCounts(c)
	enc, _ := commSecurity(c)
	r := CommRef{Client: c.Client, Server: c.Server, ClientZone: zoneOf[c.Client], ServerZone: zoneOf[c.Server],
		Protocol: c.Protocol, Transport: c.Transport, Port: c.Port, Packets: c.Packets, Encrypted: enc, Evidence: c.Source,
		WriteOps: w, ProgramOps: p, ControlOps: ctl}
	if a := inv[c.Client]; a != nil {
		r.ClientLevel = a.PurdueLevel
	}
	if a := inv[c.Server]; a != nil {
		r.ServerLevel = a.PurdueLevel
	}
	return r
}

func assetIndex(inv *inventory.Inventory) map[string]*inventory.Asset {
	out := make(map[string]*inventory.Asset, len(inv.Assets))
	for i := range inv.Assets {
		out[inv.Assets[i].ID] = &inv.Assets[i]
	}
	return out
}

// aggregate builds one conduit per pair of zones that communicate. Declared
// conduits of m (from a model) receive the statistics of their pair;
// pairs without one get a conduit with Declared false.
func aggregate(inv *inventory.Inventory, m *Model, zoneOf map[string]string, opt Options) []Conduit {
	idx := assetIndex(inv)
	byPair := map[[2]string]*Conduit{}
	var out []Conduit
	for _, c := range m.Conduits {
		out = append(out, c)
	}
	for i := range out {
		byPair[pairKey(out[i].Zones[0], out[i].Zones[1])] = &out[i]
	}
	type acc struct {
		protos     map[string]bool
		ports      map[int]bool
		inits      map[string]bool
		allEnc     bool
		allAuth    bool
		ops        map[string]uint64
		n          int
		pkts, byts uint64
		flows      []CommRef
	}
	accs := map[[2]string]*acc{}
	var newPairs [][2]string
	for ci := range inv.Communications {
		c := &inv.Communications[ci]
		za, zb := zoneOf[c.Client], zoneOf[c.Server]
		if za == "" || zb == "" || za == zb {
			continue
		}
		k := pairKey(za, zb)
		a := accs[k]
		if a == nil {
			a = &acc{protos: map[string]bool{}, ports: map[int]bool{}, inits: map[string]bool{}, allEnc: true, allAuth: true, ops: map[string]uint64{}}
			accs[k] = a
			if byPair[k] == nil {
				newPairs = append(newPairs, k)
			}
		}
		a.protos[c.Protocol] = true
		if c.Port > 0 {
			a.ports[c.Port] = true
		}
		a.inits[za] = true
		enc, auth := commSecurity(c)
		a.allEnc = a.allEnc && enc
		a.allAuth = a.allAuth && auth
		for _, op := range c.Operations {
			a.ops[op.Class] += op.Count
		}
		a.n++
		a.pkts += c.Packets
		a.byts += c.Bytes
		if len(a.flows) < opt.maxFlows() {
			a.flows = append(a.flows, commRef(idx, c, zoneOf))
		}
	}
	for _, k := range newPairs {
		out = append(out, Conduit{ID: k[0] + "--" + k[1], Zones: k, Declared: false})
	}
	for i := range out {
		cd := &out[i]
		k := pairKey(cd.Zones[0], cd.Zones[1])
		a := accs[k]
		cd.Protocols, cd.Initiators = []string{}, []string{}
		if cd.Why == nil {
			cd.Why = []string{}
		}
		if a == nil {
			continue
		}
		cd.Protocols = sortedSet(a.protos)
		cd.Ports = nil
		for p := range a.ports {
			cd.Ports = append(cd.Ports, p)
		}
		sort.Ints(cd.Ports)
		cd.Initiators = sortedSet(a.inits)
		cd.Communications, cd.Packets, cd.Bytes = a.n, a.pkts, a.byts
		cd.Encrypted, cd.Authenticated = a.allEnc, a.allAuth
		cd.Operations = a.ops
		cd.Flows = a.flows
		if !cd.Declared {
			switch {
			case a.inits[cd.Zones[0]] && a.inits[cd.Zones[1]]:
				cd.Direction = DirectionBoth
			case a.inits[cd.Zones[0]]:
				cd.Direction = DirectionAtoB
			default:
				cd.Direction = DirectionBtoA
			}
			cd.Why = append(cd.Why, fmt.Sprintf("%s between %s and %s over %s", plural(a.n, "communication"), cd.Zones[0], cd.Zones[1], strings.Join(cd.Protocols, ", ")))
			if !cd.Encrypted {
				cd.Why = append(cd.Why, "not every communication is encrypted")
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// lowZone / highZone: the kinds a Purdue shortcut joins.
func lowSide(level *int, k ZoneKind) bool {
	if level != nil {
		return *level <= 1
	}
	return k == KindControl || k == KindField || k == KindSafety
}

func highSide(level *int, k ZoneKind) bool {
	if k == KindExternal {
		return true
	}
	if level != nil {
		return *level >= 4
	}
	return k == KindEnterprise
}

// shortcuts reports communications between level 4/5 (or external) and
// level 0/1 assets, grouped per zone pair.
func shortcuts(inv *inventory.Inventory, m *Model, zoneOf map[string]string, opt Options) []Violation {
	idx := assetIndex(inv)
	kinds := map[string]ZoneKind{}
	for _, z := range m.Zones {
		kinds[z.ID] = z.Kind
	}
	byPair := map[[2]string]*Violation{}
	var keys [][2]string
	for ci := range inv.Communications {
		c := &inv.Communications[ci]
		ca, sa := idx[c.Client], idx[c.Server]
		if ca == nil || sa == nil || c.Client == c.Server {
			continue
		}
		zc, zs := zoneOf[c.Client], zoneOf[c.Server]
		if zc == zs {
			continue // a flat zone is a different finding (zone kinds mixed), not a shortcut
		}
		kc, ks := kinds[zc], kinds[zs]
		if !((highSide(ca.PurdueLevel, kc) && lowSide(sa.PurdueLevel, ks)) || (highSide(sa.PurdueLevel, ks) && lowSide(ca.PurdueLevel, kc))) {
			continue
		}
		k := [2]string{zc, zs}
		v := byPair[k]
		if v == nil {
			v = &Violation{Kind: ViolationPurdueShortcut, Zones: []string{zc, zs}, Communications: []CommRef{}}
			byPair[k] = v
			keys = append(keys, k)
		}
		for _, id := range []string{c.Client, c.Server} {
			if !contains(v.Assets, id) {
				v.Assets = append(v.Assets, id)
			}
		}
		if len(v.Communications) < opt.maxFlows() {
			v.Communications = append(v.Communications, commRef(idx, c, zoneOf))
		}
	}
	var out []Violation
	for _, k := range keys {
		v := byPair[k]
		v.Detail = fmt.Sprintf("%s in %s (Purdue level 4/5 or external) and %s (level 0/1) communicate directly: %s, without a DMZ or supervisory layer between them",
			"assets", k[0], k[1], plural(len(v.Communications), "communication"))
		sort.Strings(v.Assets)
		out = append(out, *v)
	}
	return out
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedKeysInt(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '.' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

func title(s string) string {
	if s == "" {
		return s
	}
	if s == "dmz" {
		return "DMZ"
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
