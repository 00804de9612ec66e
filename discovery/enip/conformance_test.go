package enip

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/internal/ittest"
	"github.com/otzone/otzone/internal/testutil"
)

// oracle is the part of <capture>.oracle.json this package checks
// (format: /work/shared/pcaps/ORACLE.md).
type oracle struct {
	Protocols struct {
		ENIP struct {
			Servers []struct {
				IP        string `json:"ip"`
				Port      int    `json:"port"`
				Transport string `json:"transport"`
				Clients   []string
				Identity  []struct {
					VendorID      int    `json:"vendor_id"`
					DeviceType    int    `json:"device_type"`
					ProductCode   int    `json:"product_code"`
					RevisionMajor int    `json:"revision_major"`
					RevisionMinor int    `json:"revision_minor"`
					SerialNumber  int64  `json:"serial_number"`
					ProductName   string `json:"product_name"`
				} `json:"identity"`
			} `json:"servers"`
		} `json:"enip"`
		Other struct {
			ENIPIO struct {
				Peers []string `json:"peers"`
			} `json:"enip_io"`
		} `json:"other"`
	} `json:"protocols"`
	Writes []struct {
		Protocol   string `json:"protocol"`
		Operation  string `json:"operation"`
		Client     string `json:"client"`
		Server     string `json:"server"`
		ServerPort int    `json:"server_port"`
		Count      int    `json:"count"`
	} `json:"write_operations"`
}

// score is recall/precision over a multiset.
type score struct{ want, got, hit int }

func (s score) recall() float64 {
	if s.want == 0 {
		return 1
	}
	return float64(s.hit) / float64(s.want)
}

func (s score) precision() float64 {
	if s.got == 0 {
		return 1
	}
	return float64(s.hit) / float64(s.got)
}

func compare(want, got map[string]int) (score, []string) {
	var s score
	var diff []string
	for k, n := range want {
		s.want += n
		h := min(n, got[k])
		s.hit += h
		if h < n {
			diff = append(diff, fmt.Sprintf("missing %s (want %d, got %d)", k, n, got[k]))
		}
	}
	for k, n := range got {
		s.got += n
		if n > want[k] {
			diff = append(diff, fmt.Sprintf("extra %s (want %d, got %d)", k, want[k], n))
		}
	}
	sort.Strings(diff)
	return s, diff
}

func isWriteClass(c discovery.OpClass) bool {
	return c == discovery.OpWrite || c == discovery.OpProgram || c == discovery.OpControl
}

func TestConformance(t *testing.T) {
	for _, name := range []string{"enip_cip_example.pcap", "multiple_service_packet_cip.pcapng", "set_attribute_single_service_cip.pcapng"} {
		t.Run(name, func(t *testing.T) {
			path := testutil.SharedPcap(t, "enip/"+name)
			raw, err := os.ReadFile(path + ".oracle.json")
			if err != nil {
				t.Fatal(err)
			}
			var or oracle
			if err := json.Unmarshal(raw, &or); err != nil {
				t.Fatal(err)
			}
			for _, via := range []string{"ittest", "engine"} {
				t.Run(via, func(t *testing.T) {
					obs := observe(t, path, name, via, New(), NewUDP())
					check(t, name, &or, obs)
				})
			}
		})
	}
}

func check(t *testing.T, name string, or *oracle, obs []discovery.Observation) {
	{
		{

			// servers
			wantS, gotS := map[string]int{}, map[string]int{}
			wantI, gotI := map[string]int{}, map[string]int{}
			for _, s := range or.Protocols.ENIP.Servers {
				wantS[fmt.Sprintf("%s:%d/%s", s.IP, s.Port, s.Transport)] = 1
				for _, id := range s.Identity {
					for k, v := range map[string]string{
						"vendor_id": strconv.Itoa(id.VendorID), "device_type": strconv.Itoa(id.DeviceType),
						"product_code": strconv.Itoa(id.ProductCode), "product_name": id.ProductName,
						"revision":      fmt.Sprintf("%d.%03d", id.RevisionMajor, id.RevisionMinor),
						"serial_number": fmt.Sprintf("0x%08x", id.SerialNumber),
					} {
						wantI[s.IP+" enip."+k+"="+v] = 1
					}
				}
			}
			gotW := map[string]int{}
			wantIO, gotIO := map[string]int{}, map[string]int{}
			for _, p := range or.Protocols.Other.ENIPIO.Peers {
				wantIO[p] = 1
			}
			for _, o := range obs {
				switch {
				case o.Kind == discovery.KindService && o.Role == "publisher" && o.Port == PortIO:
					gotIO[o.Asset.IP.String()] = 1
				case o.Kind == discovery.KindService && o.Role == "server" && o.Protocol == ProtoENIP:
					gotS[fmt.Sprintf("%s:%d/%s", o.Asset.IP, o.Port, o.Transport)] = 1
				case o.Kind == discovery.KindAttribute && o.Protocol == ProtoENIP && o.Key != "enip.vendor_name" && o.Key != "enip.device_type_name" && o.Key != "enip.socket_address":
					gotI[o.Asset.IP.String()+" "+o.Key+"="+o.Value] = 1
				case o.Kind == discovery.KindOperation && isWriteClass(o.Op.Class):
					gotW[fmt.Sprintf("%s %s %s->%s:%d", o.Protocol, o.Op.Name, o.Asset.IP, o.Peer.IP, o.Port)]++
				}
			}
			wantW := map[string]int{}
			for _, w := range or.Writes {
				wantW[fmt.Sprintf("%s %s %s->%s:%d", w.Protocol, w.Operation, w.Client, w.Server, w.ServerPort)] += w.Count
			}
			for _, c := range []struct {
				what      string
				want, got map[string]int
			}{{"servers", wantS, gotS}, {"identity", wantI, gotI}, {"writes", wantW, gotW}, {"io peers", wantIO, gotIO}} {
				s, diff := compare(c.want, c.got)
				t.Logf("%s %-8s recall %.3f (%d/%d) precision %.3f (%d/%d)", name, c.what, s.recall(), s.hit, s.want, s.precision(), s.hit, s.got)
				if s.recall() < 0.95 || s.precision() < 0.95 {
					t.Errorf("%s below 0.95:\n  %s", c.what, strings.Join(diff, "\n  "))
				}
			}
		}
	}
}

// observe runs a capture through the test feeder (ittest) or the real
// engine (discovery.NewEngine) with only this package's dissectors.
func observe(t *testing.T, path, name, via string, ds ...discovery.Dissector) []discovery.Observation {
	t.Helper()
	frames := testutil.ReadFrames(t, path)
	if via == "ittest" {
		h := ittest.Run(t, frames, name, ds...)
		h.NoErrors()
		h.CheckObservations()
		return h.Obs
	}
	fs := make([]discovery.Factory, len(ds))
	for i, d := range ds {
		fs[i] = func() discovery.Dissector { return d }
	}
	set, err := discovery.NewSetOf(fs...)
	if err != nil {
		t.Fatal(err)
	}
	var obs []discovery.Observation
	e := discovery.NewEngine(set, func(o discovery.Observation) { obs = append(obs, o) }, discovery.EngineOptions{})
	for _, f := range frames {
		e.Packet(f.Data, f.CI, f.LinkType, discovery.Evidence{Kind: "pcap", Name: name, Frame: uint64(f.Number)})
	}
	e.Close()
	if st := e.Stats(); st.DissectorErrors > 0 {
		t.Errorf("engine: %d dissector errors", st.DissectorErrors)
	}
	return obs
}
