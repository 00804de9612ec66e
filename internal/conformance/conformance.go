// Package conformance measures otzone against the shared oracles: every
// capture under ../shared/pcaps with a <capture>.oracle.json (Wireshark's
// decode, format in pcaps/ORACLE.md) is run through the whole pipeline
// (internal/ingest: engine, Builder, store, Build) and the inventory is
// compared with the oracle, check by check.
//
// The test is TestConformance. Checks live one file per protocol
// (hosts_test.go, modbus_test.go, <proto>_test.go) and register themselves
// in init() with Register; a protocol the oracle decodes for a capture but
// no check covers is reported as "not checked". This file holds what the
// checks share: oracle loading, matching assets by IP/MAC, finding
// communications, and the precision/recall arithmetic.
package conformance

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"sync"

	"github.com/otzone/otzone/discovery/inventory"
)

// Thresholds: hosts and Modbus are held to the lead's bar; other protocols
// to issue 3's 0.95.
const (
	HostThreshold    = 0.99
	ModbusThreshold  = 0.98
	DefaultThreshold = 0.95
)

// Score counts matched facts for one check on one capture.
type Score struct {
	TP, FN, FP int
	// Missed and Extra give up to MaxExamples of the facts not matched.
	Missed, Extra []string
}

// MaxExamples bounds the examples a Score keeps.
const MaxExamples = 8

// Recall is TP/(TP+FN), 1 when nothing was wanted.
func (s Score) Recall() float64 {
	if s.TP+s.FN == 0 {
		return 1
	}
	return float64(s.TP) / float64(s.TP+s.FN)
}

// Precision is TP/(TP+FP), 1 when nothing was found.
func (s Score) Precision() float64 {
	if s.TP+s.FP == 0 {
		return 1
	}
	return float64(s.TP) / float64(s.TP+s.FP)
}

// Empty reports whether the check had nothing to compare on this capture.
func (s Score) Empty() bool { return s.TP+s.FN+s.FP == 0 }

// Add sums two scores (examples are concatenated and capped).
func (s Score) Add(o Score) Score {
	s.TP += o.TP
	s.FN += o.FN
	s.FP += o.FP
	s.Missed = capped(append(s.Missed, o.Missed...))
	s.Extra = capped(append(s.Extra, o.Extra...))
	return s
}

func capped(xs []string) []string {
	if len(xs) > MaxExamples {
		return xs[:MaxExamples]
	}
	return xs
}

// Compare scores got against want. Facts in ignore are neither wanted nor
// counted as false positives (things the oracle knows exist but does not
// require, e.g. IPs only ever seen as destinations).
func Compare(want, got, ignore map[string]bool) Score {
	var s Score
	for _, k := range sortedKeys(want) {
		if got[k] {
			s.TP++
		} else {
			s.FN++
			s.Missed = append(s.Missed, k)
		}
	}
	for _, k := range sortedKeys(got) {
		if !want[k] && !ignore[k] {
			s.FP++
			s.Extra = append(s.Extra, k)
		}
	}
	s.Missed, s.Extra = capped(s.Missed), capped(s.Extra)
	return s
}

func sortedKeys(m map[string]bool) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// CheckFunc compares one oracle (the whole <capture>.oracle.json) with the
// inventory the pipeline built from the capture.
type CheckFunc func(oracle json.RawMessage, inv *inventory.Inventory) Score

// Check is a registered comparison.
type Check struct {
	Name string
	// Covers are the oracle protocol keys (protocols.<key>, or
	// "other.<name>") this check accounts for.
	Covers    []string
	Threshold float64
	Fn        CheckFunc
}

var (
	mu     sync.Mutex
	checks []Check
)

// Register adds a check; call it from init() in <proto>_test.go. A
// threshold of 0 means DefaultThreshold.
func Register(name string, covers []string, threshold float64, fn CheckFunc) {
	mu.Lock()
	defer mu.Unlock()
	for _, c := range checks {
		if c.Name == name {
			panic("conformance: check registered twice: " + name)
		}
	}
	if threshold == 0 {
		threshold = DefaultThreshold
	}
	checks = append(checks, Check{Name: name, Covers: covers, Threshold: threshold, Fn: fn})
}

// Checks returns the registered checks sorted by name.
func Checks() []Check {
	mu.Lock()
	defer mu.Unlock()
	out := append([]Check(nil), checks...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Oracle is the part of an oracle file every check may use; protocol
// sections stay raw for the protocol's check to decode.
type Oracle struct {
	Capture string `json:"capture"`
	Packets int    `json:"packets"`
	Hosts   []struct {
		MAC        string   `json:"mac"`
		IPs        []string `json:"ips"`
		RouterLike bool     `json:"router_like"`
	} `json:"hosts"`
	IPAddresses []struct {
		IP           string   `json:"ip"`
		SeenAsSource bool     `json:"seen_as_source"`
		MACs         []string `json:"macs"`
	} `json:"ip_addresses"`
	IPsWithoutMAC   []string                   `json:"ips_without_mac"`
	Protocols       map[string]json.RawMessage `json:"protocols"`
	WriteOperations []WriteOp                  `json:"write_operations"`
}

// WriteOp is one oracle write_operations entry.
type WriteOp struct {
	Protocol   string `json:"protocol"`
	Operation  string `json:"operation"`
	Code       int    `json:"code"`
	Client     string `json:"client"`
	Server     string `json:"server"`
	ServerPort int    `json:"server_port"`
	Count      int    `json:"count"`
}

// ParseOracle decodes an oracle file.
func ParseOracle(raw json.RawMessage) (*Oracle, error) {
	var o Oracle
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, fmt.Errorf("oracle: %w", err)
	}
	return &o, nil
}

// Section decodes protocols.<name> into v.
func (o *Oracle) Section(name string, v any) error {
	raw, ok := o.Protocols[name]
	if !ok {
		return fmt.Errorf("oracle: no protocols.%s", name)
	}
	return json.Unmarshal(raw, v)
}

// Decoded lists the oracle protocol keys with content for this capture:
// "modbus", "bacnet", …, and "other.<name>" for the other section.
func (o *Oracle) Decoded() []string {
	var out []string
	for name, raw := range o.Protocols {
		if name == "other" {
			var other map[string]json.RawMessage
			if json.Unmarshal(raw, &other) == nil {
				for k := range other {
					out = append(out, "other."+k)
				}
			}
			continue
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil {
			continue
		}
		for _, v := range m {
			s := strings.TrimSpace(string(v))
			if s != "[]" && s != "{}" && s != "null" && s != "" {
				out = append(out, name)
				break
			}
		}
	}
	sort.Strings(out)
	return out
}

// NormIP returns the canonical text of an IP ("" when it is not one).
func NormIP(s string) string {
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return ""
	}
	return ip.Unmap().String()
}

// Index makes an inventory searchable by asset id, IP and MAC.
type Index struct {
	Inv   *inventory.Inventory
	ByID  map[string]*inventory.Asset
	ByIP  map[string][]*inventory.Asset
	ByMAC map[string][]*inventory.Asset
}

// NewIndex indexes inv.
func NewIndex(inv *inventory.Inventory) *Index {
	x := &Index{Inv: inv, ByID: map[string]*inventory.Asset{}, ByIP: map[string][]*inventory.Asset{}, ByMAC: map[string][]*inventory.Asset{}}
	for i := range inv.Assets {
		a := &inv.Assets[i]
		x.ByID[a.ID] = a
		for _, ip := range a.IPs {
			n := NormIP(ip)
			x.ByIP[n] = append(x.ByIP[n], a)
		}
		for _, m := range a.MACs {
			m = strings.ToLower(m)
			x.ByMAC[m] = append(x.ByMAC[m], a)
		}
	}
	return x
}

// IPs returns the normalised IPs of the asset with the given id.
func (x *Index) IPs(id string) []string {
	a := x.ByID[id]
	if a == nil {
		return nil
	}
	out := make([]string, 0, len(a.IPs))
	for _, ip := range a.IPs {
		out = append(out, NormIP(ip))
	}
	return out
}

// Comms returns the communications of a protocol (and server port when
// port > 0).
func (x *Index) Comms(protocol string, port int) []*inventory.Communication {
	var out []*inventory.Communication
	for i := range x.Inv.Communications {
		c := &x.Inv.Communications[i]
		if c.Protocol == protocol && (port <= 0 || c.Port == port) {
			out = append(out, c)
		}
	}
	return out
}

// Attr returns the values of key on asset a.
func Attr(a *inventory.Asset, key string) []string {
	var out []string
	for _, at := range a.Attributes {
		if at.Key == key {
			out = append(out, at.Value)
		}
	}
	return out
}

// AssetService is one service of one asset.
type AssetService struct {
	Asset   *inventory.Asset
	Service *inventory.Service
}

// ServerServices returns every server-role service of a protocol (roles
// other than client, master and subscriber).
func (x *Index) ServerServices(protocol string) []AssetService {
	var out []AssetService
	for i := range x.Inv.Assets {
		a := &x.Inv.Assets[i]
		for j := range a.Services {
			s := &a.Services[j]
			if s.Protocol == protocol && s.Role != "client" && s.Role != "master" && s.Role != "subscriber" {
				out = append(out, AssetService{a, s})
			}
		}
	}
	return out
}
