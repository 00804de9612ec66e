package zones

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/otzone/otzone/discovery/inventory"
)

// matchScore says how specifically a declared membership names an asset:
// 0 no match; an asset id beats a MAC beats a CIDR (longer prefixes
// first) beats a VLAN beats a selector alone.
func matchScore(mm *MemberMatch, a *inventory.Asset) float64 {
	score := 0.0
	addrGiven := len(mm.Assets) > 0 || len(mm.MACs) > 0 || len(mm.CIDRs) > 0 || len(mm.VLANs) > 0
	if contains(mm.Assets, a.ID) {
		score = 5
	}
	if score == 0 {
		for _, m := range a.MACs {
			if contains(mm.MACs, strings.ToLower(m)) {
				score = 4
				break
			}
		}
	}
	if score == 0 {
		for _, s := range a.IPs {
			ip, err := netip.ParseAddr(s)
			if err != nil {
				continue
			}
			ip = ip.Unmap()
			for _, p := range mm.CIDRs {
				if p.Contains(ip) {
					if v := 3 + float64(p.Bits())/1000; v > score {
						score = v
					}
				}
			}
		}
	}
	if score == 0 && len(mm.VLANs) > 0 && strings.HasPrefix(a.Key, "mac:") {
		for _, at := range a.Attributes {
			if at.Key != "net.vlan" {
				continue
			}
			if v, err := strconv.Atoi(at.Value); err == nil && contains(mm.VLANs, v) {
				score = 2
				break
			}
		}
	}
	if addrGiven && score == 0 {
		return 0
	}
	if !selectorMatches(mm, a) {
		return 0
	}
	if !addrGiven {
		score = 1
	}
	return score
}

func selectorMatches(mm *MemberMatch, a *inventory.Asset) bool {
	if len(mm.DeviceTypes) > 0 {
		dt := a.DeviceType
		if dt == "" {
			dt = "unknown"
		}
		if !contains(mm.DeviceTypes, dt) {
			return false
		}
	}
	if len(mm.Levels) > 0 && (a.PurdueLevel == nil || !contains(mm.Levels, *a.PurdueLevel)) {
		return false
	}
	for k, re := range mm.Attributes {
		ok := false
		for _, at := range a.Attributes {
			if at.Key == k && re.MatchString(at.Value) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// Assign places the inventory's assets in the declared zones of a designed
// model: zone id per asset id, the assets that match no zone, and those that
// match two zones equally well (each placed in the first of them).
func Assign(designed *Model, inv *inventory.Inventory) (zoneOf map[string]string, outside []string, ambiguous map[string][]string) {
	zoneOf = map[string]string{}
	ambiguous = map[string][]string{}
	var pending []*inventory.Asset
	for i := range inv.Assets {
		a := &inv.Assets[i]
		best, bestZones := 0.0, []string(nil)
		for zi := range designed.Zones {
			z := &designed.Zones[zi]
			s := 0.0
			for mi := range z.Members {
				if v := matchScore(&z.Members[mi], a); v > s {
					s = v
				}
			}
			switch {
			case s == 0:
			case s > best:
				best, bestZones = s, []string{z.ID}
			case s == best:
				bestZones = append(bestZones, z.ID)
			}
		}
		if len(bestZones) == 0 {
			pending = append(pending, a)
			continue
		}
		zoneOf[a.ID] = bestZones[0]
		if len(bestZones) > 1 {
			ambiguous[a.ID] = bestZones
		}
	}
	// A device reachable only through a gateway (a BACnet device behind a
	// BACnet router, a Modbus unit behind a gateway) has no address a
	// membership can name: it sits in its gateway's zone.
	for _, a := range pending {
		if z, ok := zoneOf[a.Via]; ok && len(a.IPs) == 0 && len(a.MACs) == 0 {
			zoneOf[a.ID] = z
			continue
		}
		outside = append(outside, a.ID)
	}
	return zoneOf, outside, ambiguous
}

// Compare checks observed traffic against a designed model. The result
// holds the declared zones with their observed assets, the declared
// conduits with their traffic, the observed zone pairs no conduit declares
// (Declared false), and the violations:
//
//   - asset_outside_model: an asset matches no zone;
//   - asset_in_two_zones: an asset matches two zones equally well;
//   - undeclared_conduit: communications cross two zones no conduit joins;
//   - protocol_not_allowed: a conduit carries a protocol or port it does not allow;
//   - direction_not_allowed: the wrong side of a one-way conduit initiated;
//   - unused_conduit: a declared conduit carried nothing;
//   - purdue_shortcut: level 4/5 (or external) talks straight to level 0/1.
//
// designed is not modified.
func Compare(designed *Model, inv *inventory.Inventory, opt Options) (*Model, error) {
	if designed == nil || inv == nil {
		return nil, fmt.Errorf("zones: compare: nil model or inventory")
	}
	idx := assetIndex(inv)
	zoneOf, outside, ambiguous := Assign(designed, inv)
	m := &Model{Schema: Schema, Source: designed.Source, Zones: make([]Zone, len(designed.Zones)), Violations: []Violation{}}
	for i, z := range designed.Zones {
		z.Assets = []string{}
		z.Why = append([]string{}, z.Why...)
		if z.SLSource == "" {
			z.SLTarget, z.SLSource = opt.slTarget(z.Kind)
		}
		m.Zones[i] = z
	}
	for _, a := range inv.Assets {
		if zid, ok := zoneOf[a.ID]; ok {
			m.Zone(zid).Assets = append(m.Zone(zid).Assets, a.ID)
		}
	}
	m.Conduits = append([]Conduit{}, designed.Conduits...)
	m.Conduits = aggregate(inv, m, zoneOf, opt)

	// asset_outside_model, with the asset's communications.
	sort.Strings(outside)
	for _, id := range outside {
		a := idx[id]
		v := Violation{Kind: ViolationAssetOutsideModel, Assets: []string{id}, Communications: []CommRef{},
			Detail: fmt.Sprintf("asset %s (%s) matches no zone of the model", describeAsset(a), a.DeviceType)}
		for ci := range inv.Communications {
			c := &inv.Communications[ci]
			if (c.Client == id || c.Server == id) && len(v.Communications) < opt.maxFlows() {
				v.Communications = append(v.Communications, commRef(idx, c, zoneOf))
			}
		}
		m.Violations = append(m.Violations, v)
	}
	for _, id := range sortedMapKeys(ambiguous) {
		m.Violations = append(m.Violations, Violation{Kind: ViolationAssetInTwoZones, Assets: []string{id}, Zones: ambiguous[id], Communications: []CommRef{},
			Detail: fmt.Sprintf("asset %s matches zones %s equally well; placed in %q (make one membership more specific)", describeAsset(idx[id]), strings.Join(ambiguous[id], ", "), ambiguous[id][0])})
	}

	// Conduit checks, flow by flow.
	byPair := map[[2]string]*Conduit{}
	for i := range m.Conduits {
		if m.Conduits[i].Declared {
			byPair[pairKey(m.Conduits[i].Zones[0], m.Conduits[i].Zones[1])] = &m.Conduits[i]
		}
	}
	viol := map[string]*Violation{}
	var vkeys []string
	addFlow := func(key string, mk func() Violation, c *inventory.Communication) {
		v := viol[key]
		if v == nil {
			nv := mk()
			v = &nv
			viol[key] = v
			vkeys = append(vkeys, key)
		}
		if len(v.Communications) < opt.maxFlows() {
			v.Communications = append(v.Communications, commRef(idx, c, zoneOf))
		}
	}
	for ci := range inv.Communications {
		c := &inv.Communications[ci]
		za, zb := zoneOf[c.Client], zoneOf[c.Server]
		if za == "" || zb == "" || za == zb {
			continue
		}
		k := pairKey(za, zb)
		cd := byPair[k]
		if cd == nil {
			addFlow("undeclared|"+k[0]+"|"+k[1], func() Violation {
				return Violation{Kind: ViolationUndeclaredConduit, Zones: []string{k[0], k[1]}, Conduit: k[0] + "--" + k[1], Communications: []CommRef{},
					Detail: fmt.Sprintf("zones %q and %q communicate but no conduit joins them", k[0], k[1])}
			}, c)
			continue
		}
		protoOK := len(cd.AllowedProtocols) == 0 || containsFoldZ(cd.AllowedProtocols, c.Protocol)
		// Ports restrict the transport (TCP/UDP) port of a communication. A
		// layer-2 protocol (PROFINET DCP and RT, LLDP, GOOSE) has no port:
		// it is allowed by the protocol list alone, and a conduit that
		// restricts ports but names no protocol allows no layer-2 traffic.
		portOK := len(cd.AllowedPorts) == 0 || contains(cd.AllowedPorts, c.Port) ||
			(c.Port == 0 && len(cd.AllowedProtocols) > 0 && protoOK)
		if !protoOK || !portOK {
			what := fmt.Sprintf("%s/%d", c.Protocol, c.Port)
			addFlow("proto|"+cd.ID+"|"+what, func() Violation {
				allowed := strings.Join(cd.AllowedProtocols, ", ")
				if len(cd.AllowedPorts) > 0 {
					allowed += " ports " + joinInts(cd.AllowedPorts)
				}
				return Violation{Kind: ViolationProtocolNotAllowed, Conduit: cd.ID, Zones: []string{cd.Zones[0], cd.Zones[1]}, Communications: []CommRef{},
					Detail: fmt.Sprintf("conduit %q carries %s, which it does not allow (allowed: %s)", cd.ID, what, strings.TrimSpace(allowed))}
			}, c)
		}
		wrongWay := (cd.Direction == DirectionAtoB && za != cd.Zones[0]) || (cd.Direction == DirectionBtoA && za != cd.Zones[1])
		if wrongWay {
			addFlow("dir|"+cd.ID, func() Violation {
				return Violation{Kind: ViolationDirectionNotAllowed, Conduit: cd.ID, Zones: []string{cd.Zones[0], cd.Zones[1]}, Communications: []CommRef{},
					Detail: fmt.Sprintf("conduit %q is %s but %q initiated communications", cd.ID, cd.Direction, za)}
			}, c)
		}
	}
	for _, k := range vkeys {
		v := viol[k]
		v.Detail += fmt.Sprintf(" (%s)", plural(len(v.Communications), "communication"))
		m.Violations = append(m.Violations, *v)
	}
	for _, cd := range m.Conduits {
		if cd.Declared && cd.Communications == 0 {
			m.Violations = append(m.Violations, Violation{Kind: ViolationUnusedConduit, Conduit: cd.ID, Zones: []string{cd.Zones[0], cd.Zones[1]}, Communications: []CommRef{},
				Detail: fmt.Sprintf("conduit %q between %q and %q carried no traffic in the captures", cd.ID, cd.Zones[0], cd.Zones[1])})
		}
	}
	m.Violations = append(m.Violations, shortcuts(inv, m, zoneOf, opt)...)
	m.Sort()
	return m, nil
}

func describeAsset(a *inventory.Asset) string {
	if a == nil {
		return "?"
	}
	parts := []string{a.ID}
	if len(a.IPs) == 0 && len(a.MACs) == 0 && a.Key != "" {
		parts = append(parts, a.Key)
	}
	if len(a.IPs) > 0 {
		parts = append(parts, a.IPs[0])
	}
	if len(a.MACs) > 0 {
		parts = append(parts, a.MACs[0])
	}
	if len(a.Hostnames) > 0 {
		parts = append(parts, a.Hostnames[0])
	}
	return strings.Join(parts, " ")
}

func containsFoldZ(list []string, v string) bool {
	for _, x := range list {
		if strings.EqualFold(x, v) {
			return true
		}
	}
	return false
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}

func sortedMapKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
