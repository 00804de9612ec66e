package inventory

import (
	"strings"

	"github.com/otzone/otzone/discovery"
)

// Find returns the assets a person may mean by q: an exact id or merge key,
// a MAC (any common notation), an IP, a hostname, or a unique id prefix (at
// least 4 characters). Several results mean q is ambiguous.
func (inv *Inventory) Find(q string) []*Asset {
	q = strings.TrimSpace(q)
	if q == "" {
		return nil
	}
	var exact, loose []*Asset
	mac, macErr := discovery.ParseMAC(q)
	for i := range inv.Assets {
		a := &inv.Assets[i]
		if a.ID == q || a.Key == q {
			return []*Asset{a}
		}
		match := false
		if macErr == nil {
			for _, m := range a.MACs {
				if m == mac.String() {
					match = true
				}
			}
		}
		for _, ip := range a.IPs {
			if ip == q {
				match = true
			}
		}
		for _, h := range a.Hostnames {
			if strings.EqualFold(h, q) {
				match = true
			}
		}
		if match {
			exact = append(exact, a)
		} else if len(q) >= 4 && strings.HasPrefix(a.ID, strings.ToLower(q)) {
			loose = append(loose, a)
		}
	}
	if len(exact) > 0 {
		return exact
	}
	return loose
}

// AssetByID returns the asset with this id, or nil.
func (inv *Inventory) AssetByID(id string) *Asset {
	for i := range inv.Assets {
		if inv.Assets[i].ID == id {
			return &inv.Assets[i]
		}
	}
	return nil
}
