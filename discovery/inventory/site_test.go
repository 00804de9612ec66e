package inventory

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/otzone/otzone/discovery"
)

// buildSites ingests each site's observations with its own Builder (as
// `otzone ingest --site` does) and builds one inventory from all rows.
func buildSites(sites map[string][]discovery.Observation) *Inventory {
	all := &Rows{}
	for site, obs := range sites {
		b := NewBuilder(site)
		for _, o := range obs {
			b.Add(o)
		}
		r := b.Drain()
		all.Hosts = append(all.Hosts, r.Hosts...)
		all.Attributes = append(all.Attributes, r.Attributes...)
		all.Services = append(all.Services, r.Services...)
		all.Communications = append(all.Communications, r.Communications...)
		all.Operations = append(all.Operations, r.Operations...)
		all.CommAttributes = append(all.CommAttributes, r.CommAttributes...)
	}
	return Build(all, BuildOptions{Now: t0, NoOUI: true})
}

func TestBuildSitesKeepPrivateIPsApart(t *testing.T) {
	laptop := "00:0c:29:aa:bb:cc" // a MAC is global: the same laptop at both sites
	site := func(plcMAC string) []discovery.Observation {
		return []discovery.Observation{
			// Raw-IP traffic (no MACs): IP-keyed assets.
			flow(ep("", "10.0.0.5", ""), ep("", "10.0.0.6", ""), "modbus", 502, 2, 120, 1),
			attr(ep("", "10.0.0.6", ""), "modbus.vendor_name", "Vendor "+plcMAC, 2),
			host(ep(laptop, "10.0.0.9", ""), "", 3),
			// 10.0.0.7 sends from its own MAC at one site only.
			host(ep(plcMAC, "10.0.0.7", ""), "", 4),
			flow(ep("", "10.0.0.5", ""), ep("", "10.0.0.7", ""), "modbus", 502, 2, 120, 5),
		}
	}
	north := site("00:80:f4:00:00:01")
	south := site("00:80:f4:00:00:02")[:4] // the south PLC's frames carry no MAC
	south = append(south, flow(ep("", "10.0.0.5", ""), ep("", "10.0.0.7", ""), "modbus", 502, 2, 120, 5))
	south[3] = host(ep("", "10.0.0.7", ""), "", 4)
	inv := buildSites(map[string][]discovery.Observation{"north": north, "south": south})

	for _, c := range []struct{ key, site string }{
		{"ip:10.0.0.5|site:north", "north"}, {"ip:10.0.0.5|site:south", "south"},
		{"ip:10.0.0.6|site:north", "north"}, {"ip:10.0.0.6|site:south", "south"},
		{"mac:00:80:f4:00:00:01", "north"}, {"ip:10.0.0.7|site:south", "south"},
	} {
		a := byKey(t, inv, c.key)
		if diff := cmp.Diff([]string{c.site}, a.Sites); diff != "" {
			t.Errorf("%s sites (-want +got):\n%s", c.key, diff)
		}
	}
	if v := byKey(t, inv, "ip:10.0.0.6|site:south").Vendor; v != "Vendor 00:80:f4:00:00:02" {
		t.Errorf("south PLC vendor %q: facts of one site leaked into the other", v)
	}
	l := byKey(t, inv, "mac:"+laptop)
	if l.ID != AssetID("mac:"+laptop) {
		t.Errorf("MAC-keyed id %s changed by the site", l.ID)
	}
	if diff := cmp.Diff([]string{"north", "south"}, l.Sites); diff != "" {
		t.Errorf("MAC-keyed assets are global (-want +got):\n%s", diff)
	}
	if len(inv.Assets) != 7 {
		t.Errorf("want 7 assets, got %v", keys(inv))
	}
	// Every communication stays within its site.
	site2 := map[string]string{}
	for _, a := range inv.Assets {
		if len(a.Sites) == 1 {
			site2[a.ID] = a.Sites[0]
		}
	}
	for _, c := range inv.Communications {
		if site2[c.Client] != site2[c.Server] {
			t.Errorf("communication across sites: %+v", c)
		}
	}
}
