package zones

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/rules"
)

// DiffSchema is the version tag of `otzone diff --format json`.
const DiffSchema = "otzone.diff/v1"

// Diff is what changed between two inventories of one site (an old and a
// new database): assets that appeared or vanished, identity facts that
// changed (firmware!), new and vanished communications, new write/program/
// control operations, and conduits that appeared or fell silent.
type Diff struct {
	Schema             string          `json:"schema"`
	Old                string          `json:"old,omitempty"`
	New                string          `json:"new,omitempty"`
	NewAssets          []AssetSummary  `json:"new_assets"`
	VanishedAssets     []AssetSummary  `json:"vanished_assets"`
	ChangedFacts       []FactChange    `json:"changed_facts"`
	NewCommunications  []CommRef       `json:"new_communications"`
	GoneCommunications []CommRef       `json:"vanished_communications"`
	NewOperations      []OperationDiff `json:"new_operations"`
	NewConduits        []ConduitDiff   `json:"new_conduits"`
	UnusedConduits     []ConduitDiff   `json:"unused_conduits"`
}

// AssetSummary names an asset in a diff.
type AssetSummary struct {
	ID         string   `json:"id"`
	IPs        []string `json:"ips"`
	MACs       []string `json:"macs"`
	Vendor     string   `json:"vendor,omitempty"`
	Model      string   `json:"model,omitempty"`
	DeviceType string   `json:"device_type,omitempty"`
	FirstSeen  string   `json:"first_seen,omitempty"`
}

// FactChange is one field of one asset that differs.
type FactChange struct {
	Asset string `json:"asset"`
	Field string `json:"field"` // firmware, model, vendor, serial, ips, macs, hostnames, device_type, purdue_level
	Old   string `json:"old"`
	New   string `json:"new"`
	// Source is the evidence of the new value when known.
	Source string `json:"source,omitempty"`
}

// OperationDiff is an operation of class write, program or control that the
// old inventory never saw on that client/server/protocol.
type OperationDiff struct {
	Client   string `json:"client"`
	Server   string `json:"server"`
	Protocol string `json:"protocol"`
	Port     int    `json:"port"`
	Name     string `json:"name"`
	Class    string `json:"class"`
	Count    uint64 `json:"count"`
	Evidence string `json:"evidence,omitempty"`
}

// ConduitDiff is a zone pair whose conduit appeared or fell silent.
type ConduitDiff struct {
	ID             string   `json:"id"`
	Zones          []string `json:"zones"`
	Protocols      []string `json:"protocols"`
	Communications int      `json:"communications"`
}

// Empty reports whether nothing changed.
func (d *Diff) Empty() bool {
	return len(d.NewAssets)+len(d.VanishedAssets)+len(d.ChangedFacts)+len(d.NewCommunications)+len(d.GoneCommunications)+
		len(d.NewOperations)+len(d.NewConduits)+len(d.UnusedConduits) == 0
}

func summarize(a *inventory.Asset) AssetSummary {
	s := AssetSummary{ID: a.ID, IPs: nonNil(a.IPs), MACs: nonNil(a.MACs), Vendor: a.Vendor, Model: a.Model, DeviceType: a.DeviceType}
	if !a.FirstSeen.IsZero() {
		s.FirstSeen = a.FirstSeen.UTC().Format("2006-01-02T15:04:05Z07:00")
	}
	return s
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func commKey(c *inventory.Communication) string {
	return c.Client + "|" + c.Server + "|" + c.Protocol + "|" + c.Transport + "|" + strconv.Itoa(c.Port)
}

// DiffInventories compares old and new. Both are classified and zoned with
// rs (rules.Classify and Derive run on them; pass inventories you no longer
// need unchanged, or copies). Assets are matched by id, which the inventory
// derives from the merge key, so the same device has the same id in both.
func DiffInventories(old, cur *inventory.Inventory, rs *rules.RuleSet) (*Diff, error) {
	if old == nil || cur == nil {
		return nil, fmt.Errorf("zones: diff: nil inventory")
	}
	for _, inv := range []*inventory.Inventory{old, cur} {
		if err := rules.Classify(inv, rs); err != nil {
			return nil, err
		}
	}
	d := &Diff{Schema: DiffSchema, NewAssets: []AssetSummary{}, VanishedAssets: []AssetSummary{}, ChangedFacts: []FactChange{},
		NewCommunications: []CommRef{}, GoneCommunications: []CommRef{}, NewOperations: []OperationDiff{},
		NewConduits: []ConduitDiff{}, UnusedConduits: []ConduitDiff{}}
	oi, ni := assetIndex(old), assetIndex(cur)
	for i := range cur.Assets {
		a := &cur.Assets[i]
		o := oi[a.ID]
		if o == nil {
			d.NewAssets = append(d.NewAssets, summarize(a))
			continue
		}
		d.ChangedFacts = append(d.ChangedFacts, factChanges(o, a)...)
	}
	for i := range old.Assets {
		if ni[old.Assets[i].ID] == nil {
			d.VanishedAssets = append(d.VanishedAssets, summarize(&old.Assets[i]))
		}
	}

	oldZones, err := Derive(old, rs, Options{})
	if err != nil {
		return nil, err
	}
	newZones, err := Derive(cur, rs, Options{})
	if err != nil {
		return nil, err
	}
	newZoneOf := newZones.ZoneOf()
	oc := map[string]*inventory.Communication{}
	for i := range old.Communications {
		oc[commKey(&old.Communications[i])] = &old.Communications[i]
	}
	nc := map[string]bool{}
	for i := range cur.Communications {
		c := &cur.Communications[i]
		k := commKey(c)
		nc[k] = true
		prev := oc[k]
		if prev == nil {
			d.NewCommunications = append(d.NewCommunications, commRef(ni, c, newZoneOf))
		}
		for _, op := range c.Operations {
			if op.Class != "write" && op.Class != "program" && op.Class != "control" {
				continue
			}
			if prev != nil && hasOp(prev, op) {
				continue
			}
			ev := op.Source
			if ev == "" {
				ev = c.Source
			}
			d.NewOperations = append(d.NewOperations, OperationDiff{Client: c.Client, Server: c.Server, Protocol: c.Protocol, Port: c.Port,
				Name: op.Name, Class: op.Class, Count: op.Count, Evidence: ev})
		}
	}
	oldZoneOf := oldZones.ZoneOf()
	for i := range old.Communications {
		c := &old.Communications[i]
		if !nc[commKey(c)] {
			d.GoneCommunications = append(d.GoneCommunications, commRef(oi, c, oldZoneOf))
		}
	}
	oldC := map[string]*Conduit{}
	for i := range oldZones.Conduits {
		oldC[oldZones.Conduits[i].ID] = &oldZones.Conduits[i]
	}
	newC := map[string]bool{}
	for _, c := range newZones.Conduits {
		newC[c.ID] = true
		if oldC[c.ID] == nil {
			d.NewConduits = append(d.NewConduits, ConduitDiff{ID: c.ID, Zones: []string{c.Zones[0], c.Zones[1]}, Protocols: c.Protocols, Communications: c.Communications})
		}
	}
	for _, c := range oldZones.Conduits {
		if !newC[c.ID] {
			d.UnusedConduits = append(d.UnusedConduits, ConduitDiff{ID: c.ID, Zones: []string{c.Zones[0], c.Zones[1]}, Protocols: c.Protocols, Communications: c.Communications})
		}
	}
	sort.SliceStable(d.ChangedFacts, func(i, j int) bool {
		if d.ChangedFacts[i].Asset != d.ChangedFacts[j].Asset {
			return d.ChangedFacts[i].Asset < d.ChangedFacts[j].Asset
		}
		return d.ChangedFacts[i].Field < d.ChangedFacts[j].Field
	})
	return d, nil
}

func hasOp(c *inventory.Communication, op inventory.Operation) bool {
	for _, o := range c.Operations {
		if o.Name == op.Name && o.Class == op.Class && o.Code == op.Code {
			return true
		}
	}
	return false
}

func factChanges(o, n *inventory.Asset) []FactChange {
	var out []FactChange
	src := func(field string) string {
		for _, fv := range n.Fields[field] {
			if fv.Chosen {
				return fv.Source
			}
		}
		return ""
	}
	for _, f := range []struct {
		name     string
		old, new string
	}{
		{"vendor", o.Vendor, n.Vendor}, {"model", o.Model, n.Model}, {"firmware", o.Firmware, n.Firmware}, {"serial", o.Serial, n.Serial},
		{"device_type", o.DeviceType, n.DeviceType}, {"purdue_level", levelString(o.PurdueLevel), levelString(n.PurdueLevel)},
	} {
		if f.old != f.new {
			out = append(out, FactChange{Asset: n.ID, Field: f.name, Old: f.old, New: f.new, Source: src(f.name)})
		}
	}
	for _, f := range []struct {
		name     string
		old, new []string
	}{{"ips", o.IPs, n.IPs}, {"macs", o.MACs, n.MACs}, {"hostnames", o.Hostnames, n.Hostnames}} {
		a, b := sortedCopy(f.old), sortedCopy(f.new)
		if strings.Join(a, ",") != strings.Join(b, ",") {
			out = append(out, FactChange{Asset: n.ID, Field: f.name, Old: strings.Join(a, ", "), New: strings.Join(b, ", ")})
		}
	}
	return out
}

func levelString(p *int) string {
	if p == nil {
		return ""
	}
	return strconv.Itoa(*p)
}

func sortedCopy(s []string) []string {
	out := append([]string{}, s...)
	sort.Strings(out)
	return out
}
