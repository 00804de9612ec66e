package bacnet

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/internal/testutil"
)

type oracleFile struct {
	Protocols struct {
		BACnet struct {
			Servers []struct {
				IP        string `json:"ip"`
				Port      int    `json:"port"`
				Transport string `json:"transport"`
			} `json:"servers"`
			Clients []string         `json:"clients"`
			Devices []map[string]any `json:"devices"`
		} `json:"bacnet"`
	} `json:"protocols"`
	Writes []struct {
		Protocol   string `json:"protocol"`
		Operation  string `json:"operation"`
		Code       int    `json:"code"`
		Client     string `json:"client"`
		Server     string `json:"server"`
		ServerPort int    `json:"server_port"`
		Count      int    `json:"count"`
	} `json:"write_operations"`
}

var oracleWrites = map[int]bool{7: true, 15: true, 16: true, 17: true, 20: true}

// facts sorts the comparable facts of a capture into groups, so that a
// figure per group can be reported.
type facts map[string]map[string]bool

func (f facts) add(group, fact string) {
	if f[group] == nil {
		f[group] = map[string]bool{}
	}
	f[group][fact] = true
}

func oracleFacts(t *testing.T, path string) facts {
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var or oracleFile
	if err := json.Unmarshal(raw, &or); err != nil {
		t.Fatal(err)
	}
	f := facts{}
	b := or.Protocols.BACnet
	for _, s := range b.Servers {
		f.add("servers", fmt.Sprintf("%s:%d", s.IP, s.Port))
	}
	for _, c := range b.Clients {
		f.add("clients", c)
	}
	for _, d := range b.Devices {
		inst := int(d["instance"].(float64))
		for k, v := range d {
			switch k {
			case "instance", "macs", "ips":
			case "snet":
				adr := d["sadr"].(string)
				if strings.Contains(adr, ":") {
					adr = strings.ReplaceAll(adr, ":", "")
				} else {
					n, _ := strconv.Atoi(adr)
					adr = fmt.Sprintf("%02x", n)
				}
				f.add("devices", fmt.Sprintf("%d sub=bacnet:net=%d,adr=%s", inst, int(v.(float64)), adr))
			case "sadr":
			case "vendor_id":
				f.add("devices", fmt.Sprintf("%d vendor_id=%d", inst, int(v.(float64))))
			default:
				f.add("devices", fmt.Sprintf("%d %s=%v", inst, k, v))
			}
		}
		f.add("devices", fmt.Sprintf("%d", inst))
	}
	for _, w := range or.Writes {
		if w.Protocol == "bacnet" {
			f.add("writes", fmt.Sprintf("%s>%s:%d %s x%d", w.Client, w.Server, w.ServerPort, w.Operation, w.Count))
		}
	}
	return f
}

func observedFacts(obs []discovery.Observation) facts {
	f := facts{}
	// An endpoint may carry several instances (a host that relays other
	// devices' I-Ams as its own, bacnet_services.pcap frame 300): then an
	// attribute belongs to the instance reported in the same frame.
	type attr struct {
		frame uint64
		kv    string
	}
	type epAttrs struct {
		inst  []attr
		attrs []attr
	}
	eps := map[discovery.Endpoint]*epAttrs{}
	counts := map[string]int{}
	for _, o := range obs {
		switch o.Kind {
		case discovery.KindService:
			if o.Transport != "udp" {
				continue
			}
			if o.Role == "server" {
				f.add("servers", fmt.Sprintf("%s:%d", o.Asset.IP, o.Port))
			} else {
				f.add("clients", o.Asset.IP.String())
			}
		case discovery.KindAttribute:
			e := eps[o.Asset]
			if e == nil {
				e = &epAttrs{}
				eps[o.Asset] = e
			}
			if o.Key == "bacnet.device_instance" {
				e.inst = append(e.inst, attr{o.Evidence.Frame, o.Value})
			} else if o.Key == "bacnet.vendor_name" && o.Confidence < 0.9 {
				// from the ASHRAE table, not from the device: the oracle has no such fact
			} else if strings.HasPrefix(o.Key, "bacnet.") && o.Key != "bacnet.bbmd" && o.Key != "bacnet.router" && o.Key != "bacnet.foreign_device" {
				e.attrs = append(e.attrs, attr{o.Evidence.Frame, strings.TrimPrefix(o.Key, "bacnet.") + "=" + o.Value})
			}
		case discovery.KindOperation:
			if oracleWrites[o.Op.Code] && o.Transport == "udp" {
				counts[fmt.Sprintf("%s>%s:%d %s", o.Asset.IP, o.Peer.IP, o.Port, o.Op.Name)]++
			}
		}
	}
	for ep, e := range eps {
		distinct := map[string]bool{}
		for _, i := range e.inst {
			distinct[i.kv] = true
		}
		for _, i := range e.inst {
			f.add("devices", i.kv)
			for _, a := range e.attrs {
				if len(distinct) == 1 || a.frame == i.frame {
					f.add("devices", i.kv+" "+a.kv)
				}
			}
			if ep.Sub != "" {
				f.add("devices", i.kv+" sub="+ep.Sub)
			}
		}
	}
	for k, c := range counts {
		f.add("writes", fmt.Sprintf("%s x%d", k, c))
	}
	return f
}

// TestConformance compares the dissector with Wireshark's decode (the
// oracle) on every shared BACnet capture, per group of facts.
func TestConformance(t *testing.T) {
	dir := testutil.SharedDir(t) + "/pcaps/bacnet"
	if d := os.Getenv("OTZONE_ORACLE_DIR"); d != "" {
		dir = d // captures with oracle.py output beside them, e.g. the demo plant
	}
	ents, _ := os.ReadDir(dir)
	n := 0
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".oracle.json") || !strings.Contains(e.Name(), "bac") {
			continue
		}
		n++
		capture := strings.TrimSuffix(e.Name(), ".oracle.json")
		t.Run(capture, func(t *testing.T) {
			want := oracleFacts(t, dir+"/"+e.Name())
			got := observedFacts(runCapture(t, dir+"/"+capture, func() discovery.Dissector { return New() }))
			all := map[string]bool{}
			for g := range want {
				all[g] = true
			}
			for g := range got {
				all[g] = true
			}
			groups := make([]string, 0, len(all))
			for g := range all {
				groups = append(groups, g)
			}
			sort.Strings(groups)
			for _, g := range groups {
				r, p, miss, extra := prf(want[g], got[g])
				sort.Strings(miss)
				sort.Strings(extra)
				t.Logf("%s %s: recall %.3f precision %.3f (%d facts)", capture, g, r, p, len(want[g]))
				if r < 0.95 || p < 0.95 {
					if len(miss) > 10 {
						miss = append(miss[:10], "...")
					}
					if len(extra) > 10 {
						extra = append(extra[:10], "...")
					}
					t.Errorf("%s below 0.95:\n missing %q\n extra %q", g, miss, extra)
				}
			}
		})
	}
	if n == 0 {
		t.Fatal("no bacnet oracle files")
	}
}
