package assess

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/rules"
	"github.com/otzone/otzone/zones"
)

// draft is what a check produces for one key (zone, conduit or site); the
// engine dedupes drafts by rule and key into findings.
type draft struct {
	key      string // zone id, conduit id or "site"
	zone     string
	conduit  string
	affected []string
	assets   []string
	evidence []Evidence
	because  []string
	severity string // "" = the rule's
}

// env is what the checks read.
type env struct {
	inv      *inventory.Inventory
	model    *zones.Model
	byID     map[string]*inventory.Asset
	zoneOf   map[string]string
	zone     map[string]*zones.Zone
	conduits map[[2]string]*zones.Conduit
	opt      Options
}

func newEnv(inv *inventory.Inventory, m *zones.Model, opt Options) *env {
	e := &env{inv: inv, model: m, byID: map[string]*inventory.Asset{}, zoneOf: m.ZoneOf(),
		zone: map[string]*zones.Zone{}, conduits: map[[2]string]*zones.Conduit{}, opt: opt}
	for i := range inv.Assets {
		e.byID[inv.Assets[i].ID] = &inv.Assets[i]
	}
	for i := range m.Zones {
		e.zone[m.Zones[i].ID] = &m.Zones[i]
	}
	for i := range m.Conduits {
		c := &m.Conduits[i]
		e.conduits[pair(c.Zones[0], c.Zones[1])] = c
	}
	return e
}

func pair(a, b string) [2]string {
	if b < a {
		a, b = b, a
	}
	return [2]string{a, b}
}

// conduitID names the conduit between two zones (the model's id, else a
// stable "a--b").
func (e *env) conduitID(a, b string) string {
	if c := e.conduits[pair(a, b)]; c != nil {
		return c.ID
	}
	p := pair(a, b)
	return p[0] + "--" + p[1]
}

func (e *env) kind(zoneID string) zones.ZoneKind {
	if z := e.zone[zoneID]; z != nil {
		return z.Kind
	}
	return zones.KindUnassigned
}

// Name is an asset's display name: hostname, else IP, else MAC, else id.
func Name(a *inventory.Asset) string {
	switch {
	case a == nil:
		return ""
	case len(a.Hostnames) > 0:
		return a.Hostnames[0]
	case len(a.IPs) > 0:
		return a.IPs[0]
	case len(a.MACs) > 0:
		return a.MACs[0]
	}
	return a.ID
}

func (e *env) name(id string) string {
	if a := e.byID[id]; a != nil {
		return Name(a)
	}
	return id
}

func (e *env) deviceType(id string) string {
	if a := e.byID[id]; a != nil && a.DeviceType != "" {
		return a.DeviceType
	}
	return "unknown"
}

func (e *env) level(id string) *int {
	if a := e.byID[id]; a != nil {
		return a.PurdueLevel
	}
	return nil
}

var controllerTypes = map[string]bool{"plc": true, "rtu": true, "ied": true, "io_device": true}

func (e *env) isController(id string) bool {
	if controllerTypes[e.deviceType(id)] {
		return true
	}
	switch e.kind(e.zoneOf[id]) {
	case zones.KindControl, zones.KindSafety, zones.KindField:
		return e.deviceType(id) == "unknown"
	}
	return false
}

// otKind: zones whose assets are the operational technology.
func otKind(k zones.ZoneKind) bool {
	switch k {
	case zones.KindOperations, zones.KindSupervisory, zones.KindControl, zones.KindSafety, zones.KindField:
		return true
	}
	return false
}

// groupAddress: broadcast, multicast or subnet-broadcast-looking addresses,
// which are destinations, not devices.
func groupAddress(a *inventory.Asset) bool {
	if a == nil || len(a.IPs) == 0 {
		return false
	}
	for _, s := range a.IPs {
		ip, err := netip.ParseAddr(s)
		if err != nil {
			return false
		}
		if !(ip.IsMulticast() || (ip.Is4() && ip.As4()[3] == 255)) {
			return false
		}
	}
	return true
}

// loopbackOnly: an "asset" that is only 127.0.0.0/8 or ::1 is the capture
// host talking to itself, not a device on the plant network.
func loopbackOnly(a *inventory.Asset) bool {
	if len(a.IPs) == 0 {
		return false
	}
	for _, s := range a.IPs {
		if ip, err := netip.ParseAddr(s); err != nil || !ip.IsLoopback() {
			return false
		}
	}
	return true
}

// publicAddr: globally routable (not private, loopback, link-local,
// multicast, CGNAT, documentation or benchmarking space), as rules'
// network.public.
func publicAddr(s string) bool {
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	if !ip.IsGlobalUnicast() || ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsMulticast() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

var nonPublic = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{"100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15", "198.51.100.0/24",
		"203.0.113.0/24", "240.0.0.0/4", "2001:db8::/32", "fc00::/7"} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

func (e *env) hasPublicIP(id string) (string, bool) {
	if a := e.byID[id]; a != nil {
		for _, ip := range a.IPs {
			if publicAddr(ip) {
				return ip, true
			}
		}
	}
	return "", false
}

func csvSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(strings.ToLower(f)); f != "" {
			m[f] = true
		}
	}
	return m
}

func commEncrypted(c *inventory.Communication) bool {
	switch strings.ToLower(c.Protocol) {
	case "tls", "ssh", "https", "ipsec":
		return true
	}
	for _, at := range c.Attributes {
		v := strings.ToLower(at.Value)
		if at.Key == "encrypted" && (v == "true" || v == "yes" || v == "1") {
			return true
		}
	}
	return false
}

func commAttr(c *inventory.Communication, key string) (inventory.Attribute, bool) {
	for _, at := range c.Attributes {
		if at.Key == key {
			return at, true
		}
	}
	return inventory.Attribute{}, false
}

func opCount(c *inventory.Communication, classes ...string) uint64 {
	var n uint64
	for _, o := range c.Operations {
		for _, cl := range classes {
			if o.Class == cl {
				n += o.Count
			}
		}
	}
	return n
}

// commLabel is "a → b proto/port".
func (e *env) commLabel(c *inventory.Communication) string {
	return fmt.Sprintf("%s → %s %s/%d", e.name(c.Client), e.name(c.Server), c.Protocol, c.Port)
}

func opsLabel(ops []inventory.Operation) string {
	var parts []string
	for _, o := range ops {
		parts = append(parts, fmt.Sprintf("%s ×%d", o.Name, o.Count))
	}
	return strings.Join(parts, ", ")
}

func src(s, fallback string) string {
	if s != "" {
		return s
	}
	return fallback
}

// check is one Go-implemented finding check, named by a rule's `check`.
type check func(e *env, r *rules.Rule) ([]draft, *NotEvaluated)

// checks maps rule `check` names to implementations.
var checks = map[string]check{
	"cleartext-industrial":         checkCleartext,
	"write-unexpected-source":      checkWriteSource,
	"controller-lifecycle":         checkLifecycle(false),
	"lifecycle-unexpected-source":  checkLifecycle(true),
	"opcua-security-none":          checkOPCUANone,
	"opcua-deprecated-policy":      checkOPCUADeprecated,
	"insecure-management":          checkInsecureMgmt,
	"it-to-controller":             checkITToController,
	"remote-access":                checkRemoteAccess,
	"flat-network":                 checkFlat,
	"undeclared-conduit":           checkViolations(zones.ViolationUndeclaredConduit),
	"conduit-protocol-not-allowed": checkViolations(zones.ViolationProtocolNotAllowed, zones.ViolationDirectionNotAllowed),
	"internet-peer":                checkInternet,
	"no-time-sync":                 checkTimeSync,
	"unknown-asset":                checkUnknown,
}

// Checks lists the check names finding rules may use.
func Checks() []string { return sortedKeys(checks) }

func (e *env) comms() []*inventory.Communication {
	out := make([]*inventory.Communication, len(e.inv.Communications))
	for i := range e.inv.Communications {
		out[i] = &e.inv.Communications[i]
	}
	return out
}

// crossing returns the client and server zones when c crosses two
// different assigned zones.
func (e *env) crossing(c *inventory.Communication) (string, string, bool) {
	cz, sz := e.zoneOf[c.Client], e.zoneOf[c.Server]
	return cz, sz, cz != "" && sz != "" && cz != sz
}

// significant: not a lone broadcast; some operation, or at least two packets.
func (e *env) significant(c *inventory.Communication) bool {
	if groupAddress(e.byID[c.Server]) {
		return false
	}
	return len(c.Operations) > 0 || c.Packets >= 2
}

func checkCleartext(e *env, r *rules.Rule) ([]draft, *NotEvaluated) {
	protos := csvSet(r.Params["protocols"])
	var out []draft
	for _, c := range e.comms() {
		if !protos[strings.ToLower(c.Protocol)] || commEncrypted(c) || !e.significant(c) {
			continue
		}
		cz, sz, ok := e.crossing(c)
		if !ok {
			continue
		}
		d := draft{key: e.conduitID(cz, sz), conduit: e.conduitID(cz, sz), affected: []string{cz, sz}, assets: []string{c.Client, c.Server}}
		detail := fmt.Sprintf("%s in cleartext, %d packets", e.commLabel(c), c.Packets)
		if w := opCount(c, "write", "program", "control"); w > 0 {
			detail += fmt.Sprintf(", %d write/program/control operations", w)
			d.severity = "high"
			for _, o := range c.Operations {
				if o.Class == "write" || o.Class == "program" || o.Class == "control" {
					d.evidence = append(d.evidence, Evidence{Source: src(o.Source, c.Source), Detail: fmt.Sprintf("%s: %s ×%d (%s)", e.commLabel(c), o.Name, o.Count, o.Class)})
				}
			}
		}
		d.evidence = append([]Evidence{{Source: c.Source, Detail: detail}}, d.evidence...)
		d.because = append(d.because, fmt.Sprintf("%s → %s %s", e.name(c.Client), e.name(c.Server), c.Protocol))
		out = append(out, d)
	}
	return out, nil
}

// processPair: a controller and its I/O (or two controllers of one cell)
// talking is the process itself, not a write from an unexpected host: a
// PROFINET IO controller writing records to its IO device, the device's
// ApplicationReady back, a PLC writing to a peer in its own zone.
func (e *env) processPair(c *inventory.Communication) bool {
	ct, st := e.deviceType(c.Client), e.deviceType(c.Server)
	if !controllerTypes[ct] || !controllerTypes[st] {
		return false
	}
	return ct == "io_device" || st == "io_device" || e.zoneOf[c.Client] == e.zoneOf[c.Server]
}

// authorized: the client is of an authorized device type and sits in an
// OT zone (an "HMI" in the enterprise network is not the plant's HMI).
func (e *env) authorized(client string, types map[string]bool) bool {
	return types[e.deviceType(client)] && otKind(e.kind(e.zoneOf[client]))
}

func checkWriteSource(e *env, r *rules.Rule) ([]draft, *NotEvaluated) {
	auth := csvSet(r.Params["authorized_device_types"])
	var out []draft
	for _, c := range e.comms() {
		if !e.isController(c.Server) || e.authorized(c.Client, auth) {
			continue
		}
		if e.processPair(c) {
			continue
		}
		var ops []inventory.Operation
		for _, o := range c.Operations {
			// Program transfers and state changes are the lifecycle rules' findings.
			if (o.Class == "write" || o.Class == "control" || o.Class == "program") && o.Count > 0 && !lifecycleOp(o) {
				ops = append(ops, o)
			}
		}
		if len(ops) == 0 {
			continue
		}
		sz := e.zoneOf[c.Server]
		d := draft{key: sz, zone: sz, affected: []string{sz}, assets: []string{c.Client, c.Server}}
		for _, o := range ops {
			d.evidence = append(d.evidence, Evidence{Source: src(o.Source, c.Source),
				Detail: fmt.Sprintf("%s: %s ×%d (%s) from a %s", e.commLabel(c), o.Name, o.Count, o.Class, e.deviceType(c.Client))})
		}
		d.because = append(d.because, fmt.Sprintf("%s (%s) writes to %s", e.name(c.Client), e.deviceType(c.Client), e.name(c.Server)))
		out = append(out, d)
	}
	return out, nil
}

// lifecycleNames are operations that change what a controller runs or how
// it is reachable, whatever class the dissector gave them.
var lifecycleNames = map[string]bool{
	"plc_stop": true, "plc_control": true, "umas_stop_plc": true, "umas_start_plc": true, "umas_download_block": true,
	"cold_restart": true, "warm_restart": true, "reinitialize_device": true, "device_communication_control": true,
	"pccc_change_mode": true, "stop": true, "run": true, "start": true, "reset": true, "kill": true,
	"set_name_of_station": true, "set_ip": true, "set_ip_parameter": true, "set": true, "stop_application": true, "start_application": true,
	"initialize_application": true, "reset_process": true, "activate_config": true, "save_configuration": true,
	"request_download": true, "download_block": true, "download_ended": true, "download": true,
	"request_domain_download": true, "initiate_download_sequence": true, "load_domain_content": true,
	"delete_domain": true, "program_area_write": true, "program_area_clear": true, "file_memory_format": true,
	"plc_password": true, "clear_password": true,
}

func lifecycleOp(o inventory.Operation) bool {
	n := strings.ToLower(o.Name)
	if strings.Contains(n, "upload") || o.Count == 0 {
		return false
	}
	return lifecycleNames[n] || strings.Contains(n, "firmware") || (o.Class == "program" && !strings.Contains(n, "read"))
}

func checkLifecycle(unexpectedOnly bool) check {
	return func(e *env, r *rules.Rule) ([]draft, *NotEvaluated) {
		auth := csvSet(r.Params["authorized_device_types"])
		var out []draft
		for _, c := range e.comms() {
			if unexpectedOnly && e.authorized(c.Client, auth) {
				continue
			}
			if e.processPair(c) {
				continue
			}
			var ops []inventory.Operation
			for _, o := range c.Operations {
				if lifecycleOp(o) {
					ops = append(ops, o)
				}
			}
			if len(ops) == 0 {
				continue
			}
			sz := e.zoneOf[c.Server]
			if sz == "" {
				continue
			}
			d := draft{key: sz, zone: sz, affected: []string{sz}, assets: []string{c.Client, c.Server}}
			for _, o := range ops {
				d.evidence = append(d.evidence, Evidence{Source: src(o.Source, c.Source),
					Detail: fmt.Sprintf("%s: %s ×%d from a %s", e.commLabel(c), o.Name, o.Count, e.deviceType(c.Client))})
			}
			d.because = append(d.because, fmt.Sprintf("%s sent %s to %s", e.name(c.Client), opsLabel(ops), e.name(c.Server)))
			out = append(out, d)
		}
		return out, nil
	}
}

func policyName(uri string) string {
	if i := strings.LastIndexByte(uri, '#'); i >= 0 {
		return uri[i+1:]
	}
	return uri
}

var opcuaChannelOps = map[string]bool{"open_secure_channel": true, "close_secure_channel": true, "get_endpoints": true,
	"find_servers": true, "find_servers_on_network": true, "hello": true, "acknowledge": true, "register_server": true, "register_server2": true}

func checkOPCUANone(e *env, r *rules.Rule) ([]draft, *NotEvaluated) {
	var out []draft
	for _, c := range e.comms() {
		if c.Protocol != "opcua" {
			continue
		}
		var why []string
		var ev []Evidence
		if at, ok := commAttr(c, "opcua.security_policy_uri"); ok && policyName(at.Value) == "None" {
			session := false
			for _, o := range c.Operations {
				if !opcuaChannelOps[o.Name] && o.Count > 0 {
					session = true
					ev = append(ev, Evidence{Source: src(o.Source, c.Source), Detail: fmt.Sprintf("%s: %s ×%d over SecurityPolicy None", e.commLabel(c), o.Name, o.Count)})
				}
			}
			if session {
				why = append(why, "SecurityPolicy None")
				ev = append([]Evidence{{Source: src(at.Source, c.Source), Detail: e.commLabel(c) + ": secure channel with SecurityPolicy#None"}}, ev...)
			}
		}
		if at, ok := commAttr(c, "opcua.user_token"); ok && strings.EqualFold(at.Value, "anonymous") {
			why = append(why, "anonymous user")
			ev = append(ev, Evidence{Source: src(at.Source, c.Source), Detail: e.commLabel(c) + ": ActivateSession with an anonymous user token"})
		}
		if len(why) == 0 {
			continue
		}
		sz := e.zoneOf[c.Server]
		if sz == "" {
			continue
		}
		out = append(out, draft{key: sz, zone: sz, affected: []string{sz}, assets: []string{c.Client, c.Server}, evidence: ev,
			because: []string{fmt.Sprintf("%s → %s: %s", e.name(c.Client), e.name(c.Server), strings.Join(why, ", "))}})
	}
	return out, nil
}

func deprecatedPolicy(p string) bool { return p == "Basic128Rsa15" || p == "Basic256" }

func checkOPCUADeprecated(e *env, r *rules.Rule) ([]draft, *NotEvaluated) {
	var out []draft
	for _, c := range e.comms() {
		if c.Protocol != "opcua" {
			continue
		}
		if at, ok := commAttr(c, "opcua.security_policy_uri"); ok && deprecatedPolicy(policyName(at.Value)) {
			sz := e.zoneOf[c.Server]
			if sz == "" {
				continue
			}
			out = append(out, draft{key: sz, zone: sz, affected: []string{sz}, assets: []string{c.Client, c.Server},
				evidence: []Evidence{{Source: src(at.Source, c.Source), Detail: fmt.Sprintf("%s uses deprecated %s", e.commLabel(c), policyName(at.Value))}},
				because:  []string{fmt.Sprintf("%s uses %s", e.name(c.Server), policyName(at.Value))}})
		}
	}
	for i := range e.inv.Assets {
		a := &e.inv.Assets[i]
		z := e.zoneOf[a.ID]
		if z == "" {
			continue
		}
		var ev []Evidence
		var why []string
		for _, at := range a.Attributes {
			if at.Key != "opcua.security_policy_uri" {
				continue
			}
			if p := policyName(at.Value); p == "None" || deprecatedPolicy(p) {
				ev = append(ev, Evidence{Source: at.Source, Detail: fmt.Sprintf("%s offers an endpoint with SecurityPolicy %s", Name(a), p)})
				why = append(why, p)
			}
		}
		if len(ev) > 0 {
			out = append(out, draft{key: z, zone: z, affected: []string{z}, assets: []string{a.ID}, evidence: ev,
				because: []string{fmt.Sprintf("%s offers %s", Name(a), strings.Join(why, ", "))}})
		}
	}
	return out, nil
}

func checkInsecureMgmt(e *env, r *rules.Rule) ([]draft, *NotEvaluated) {
	protos, types := csvSet(r.Params["protocols"]), csvSet(r.Params["device_types"])
	var out []draft
	for _, c := range e.comms() {
		p := strings.ToLower(c.Protocol)
		if !protos[p] || !types[e.deviceType(c.Server)] || !e.significant(c) {
			continue
		}
		detail := e.commLabel(c)
		if p == "snmp" {
			at, ok := commAttr(c, "snmp.version")
			if !ok || !(at.Value == "v1" || at.Value == "v2c") {
				continue
			}
			detail += " (SNMP" + at.Value + ", community in cleartext)"
		} else {
			detail += " (cleartext)"
		}
		sz := e.zoneOf[c.Server]
		if sz == "" {
			continue
		}
		out = append(out, draft{key: sz, zone: sz, affected: []string{sz}, assets: []string{c.Client, c.Server},
			evidence: []Evidence{{Source: c.Source, Detail: detail}},
			because:  []string{fmt.Sprintf("%s to %s %s", c.Protocol, e.deviceType(c.Server), e.name(c.Server))}})
	}
	return out, nil
}

func (e *env) enterpriseSide(id string) bool {
	if l := e.level(id); l != nil && *l >= 4 {
		return true
	}
	k := e.kind(e.zoneOf[id])
	return k == zones.KindEnterprise || k == zones.KindExternal
}

func (e *env) controlSide(id string) bool {
	if l := e.level(id); l != nil {
		return *l <= 1
	}
	k := e.kind(e.zoneOf[id])
	return k == zones.KindControl || k == zones.KindSafety || k == zones.KindField
}

func checkITToController(e *env, r *rules.Rule) ([]draft, *NotEvaluated) {
	var out []draft
	for _, c := range e.comms() {
		var hi, lo string
		switch {
		case e.enterpriseSide(c.Client) && e.controlSide(c.Server):
			hi, lo = c.Client, c.Server
		case e.enterpriseSide(c.Server) && e.controlSide(c.Client):
			hi, lo = c.Server, c.Client
		default:
			continue
		}
		if !e.significant(c) {
			continue
		}
		hz, lz := e.zoneOf[hi], e.zoneOf[lo]
		if hz == "" || lz == "" {
			continue
		}
		id := e.conduitID(hz, lz)
		if hz == lz {
			id = hz
		}
		out = append(out, draft{key: id, conduit: id, affected: uniq([]string{hz, lz}), assets: []string{c.Client, c.Server},
			evidence: []Evidence{{Source: c.Source, Detail: fmt.Sprintf("%s: level %s ↔ level %s, %d packets", e.commLabel(c), lvl(e.level(hi)), lvl(e.level(lo)), c.Packets)}},
			because:  []string{fmt.Sprintf("%s (%s) ↔ %s (%s)", e.name(hi), e.deviceType(hi), e.name(lo), e.deviceType(lo))}})
	}
	return out, nil
}

func lvl(p *int) string {
	if p == nil {
		return "?"
	}
	return strconv.Itoa(*p)
}

func checkRemoteAccess(e *env, r *rules.Rule) ([]draft, *NotEvaluated) {
	protos, kinds := csvSet(r.Params["protocols"]), csvSet(r.Params["to_kinds"])
	ports := map[int]bool{}
	for p := range csvSet(r.Params["ports"]) {
		if n, err := strconv.Atoi(p); err == nil {
			ports[n] = true
		}
	}
	var out []draft
	for _, c := range e.comms() {
		p := strings.ToLower(c.Protocol)
		if !protos[p] && !(ports[c.Port] && (p == "" || p == "unknown" || p == "tcp" || p == "tls")) {
			continue
		}
		sz := e.zoneOf[c.Server]
		if sz == "" || !kinds[e.kind(sz).String()] {
			continue
		}
		cz := e.zoneOf[c.Client]
		pub, isPub := e.hasPublicIP(c.Client)
		if cz == sz && !isPub {
			continue
		}
		// SSH is how OT engineers manage OT devices; it is remote access
		// only from outside the OT zones.
		if p == "ssh" && otKind(e.kind(cz)) && !isPub {
			continue
		}
		label := c.Protocol
		if p == "" || p == "unknown" || p == "tcp" {
			label = fmt.Sprintf("tcp/%d", c.Port)
		}
		id := sz
		if cz != "" && cz != sz {
			id = e.conduitID(cz, sz)
		}
		detail := fmt.Sprintf("%s, %d packets", e.commLabel(c), c.Packets)
		if isPub {
			detail += ", from public address " + pub
		}
		out = append(out, draft{key: id, conduit: id, affected: uniq([]string{cz, sz}), assets: []string{c.Client, c.Server},
			evidence: []Evidence{{Source: c.Source, Detail: detail}},
			because:  []string{fmt.Sprintf("%s from %s into %s zone %s", label, e.name(c.Client), e.kind(sz), sz)}})
	}
	return out, nil
}

// networksOf are the broadcast domains an asset sits on for the
// flat-network check: its IPv4 /24s, and its VLANs when it is on the local
// segment itself (it has a MAC of its own: a host behind a router is seen
// on the router's VLAN but does not sit on it).
func networksOf(a *inventory.Asset) []string {
	var out []string
	if len(a.MACs) > 0 {
		for _, at := range a.Attributes {
			if at.Key == "net.vlan" {
				out = append(out, "vlan:"+at.Value)
			}
		}
	}
	for _, s := range a.IPs {
		if ip, err := netip.ParseAddr(s); err == nil && ip.Is4() {
			p, _ := ip.Prefix(24)
			out = append(out, p.String())
		}
	}
	return uniq(out)
}

func checkFlat(e *env, r *rules.Rule) ([]draft, *NotEvaluated) {
	type group struct{ lo, hi []string }
	nets := map[string]*group{}
	for i := range e.inv.Assets {
		a := &e.inv.Assets[i]
		if a.PurdueLevel == nil || groupAddress(a) || a.DeviceType == "network_device" || a.DeviceType == "firewall" {
			continue
		}
		l := *a.PurdueLevel
		if l > 1 && l < 4 {
			continue
		}
		for _, n := range networksOf(a) {
			g := nets[n]
			if g == nil {
				g = &group{}
				nets[n] = g
			}
			if l <= 1 {
				g.lo = append(g.lo, a.ID)
			} else {
				g.hi = append(g.hi, a.ID)
			}
		}
	}
	var out []draft
	for _, n := range sortedKeys(nets) {
		g := nets[n]
		if len(g.lo) == 0 || len(g.hi) == 0 {
			continue
		}
		z := e.zoneOf[g.lo[0]]
		if z == "" {
			continue
		}
		d := draft{key: z, zone: z, affected: uniq(append([]string{z}, e.zoneOf[g.hi[0]])), assets: append(append([]string{}, g.lo...), g.hi...)}
		for _, id := range append(append([]string{}, g.hi...), g.lo...) {
			a := e.byID[id]
			d.evidence = append(d.evidence, Evidence{Source: netEvidence(a, n), Detail: fmt.Sprintf("%s (%s, level %s) on %s", Name(a), a.DeviceType, lvl(a.PurdueLevel), n)})
		}
		d.because = append(d.because, fmt.Sprintf("%s holds %d controller(s) and %d level 4/5 host(s)", n, len(g.lo), len(g.hi)))
		out = append(out, d)
	}
	return out, nil
}

func netEvidence(a *inventory.Asset, n string) string {
	for _, at := range a.Attributes {
		if at.Key == "net.vlan" && "vlan:"+at.Value == n && at.Source != "" {
			return at.Source
		}
	}
	for _, at := range a.Attributes {
		if at.Source != "" {
			return at.Source
		}
	}
	for _, s := range a.Services {
		if s.Source != "" {
			return s.Source
		}
	}
	return "asset:" + a.ID
}

func checkViolations(kinds ...zones.ViolationKind) check {
	return func(e *env, r *rules.Rule) ([]draft, *NotEvaluated) {
		if e.model.Source == "" || e.model.Source == "derived" {
			return nil, &NotEvaluated{Rule: r.ID, Reason: "needs a designed model (--model FILE)"}
		}
		var out []draft
		for _, v := range e.model.Violations {
			ok := false
			for _, k := range kinds {
				ok = ok || v.Kind == k
			}
			if !ok {
				continue
			}
			id := v.Conduit
			if id == "" && len(v.Zones) == 2 {
				id = e.conduitID(v.Zones[0], v.Zones[1])
			}
			if id == "" {
				id = "model"
			}
			d := draft{key: id, conduit: id, affected: uniq(append([]string{}, v.Zones...)), assets: append([]string{}, v.Assets...), because: []string{v.Detail}}
			for _, cr := range v.Communications {
				d.assets = append(d.assets, cr.Client, cr.Server)
				d.evidence = append(d.evidence, Evidence{Source: cr.Evidence, Detail: fmt.Sprintf("%s → %s %s/%d (%s → %s)", e.name(cr.Client), e.name(cr.Server), cr.Protocol, cr.Port, cr.ClientZone, cr.ServerZone)})
			}
			out = append(out, d)
		}
		return out, nil
	}
}

func checkInternet(e *env, r *rules.Rule) ([]draft, *NotEvaluated) {
	var out []draft
	for _, c := range e.comms() {
		for _, side := range [][2]string{{c.Client, c.Server}, {c.Server, c.Client}} {
			pubID, otID := side[0], side[1]
			ip, ok := e.hasPublicIP(pubID)
			if !ok {
				continue
			}
			if _, both := e.hasPublicIP(otID); both {
				continue
			}
			z := e.zoneOf[otID]
			l := e.level(otID)
			if z == "" || !(otKind(e.kind(z)) || (l != nil && *l <= 3)) {
				continue
			}
			out = append(out, draft{key: z, zone: z, affected: []string{z}, assets: []string{otID, pubID},
				evidence: []Evidence{{Source: c.Source, Detail: fmt.Sprintf("%s, %d packets (public %s)", e.commLabel(c), c.Packets, ip)}},
				because:  []string{fmt.Sprintf("%s ↔ %s", e.name(otID), ip)}})
		}
	}
	return out, nil
}

var timeOps = map[string]bool{"clock_synchronization": true, "set_clock": true, "clock_write": true, "time_synchronization": true,
	"delay_measurement": true, "record_current_time": true, "write_time": true}

func checkTimeSync(e *env, r *rules.Rule) ([]draft, *NotEvaluated) {
	min := 1800
	if s := r.Params["min_capture_seconds"]; s != "" {
		if n, err := strconv.Atoi(s); err == nil {
			min = n
		}
	}
	rate := 0.5
	if s := r.Params["min_packet_rate"]; s != "" {
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			rate = f
		}
	}
	start, end, ok := captureSpan(e.inv)
	span := 0.0
	if ok {
		span = end.Sub(start).Seconds()
	}
	if span < float64(min) {
		return nil, &NotEvaluated{Rule: r.ID, Reason: fmt.Sprintf("capture spans %.0f s, less than the %d s needed to expect NTP polls", span, min)}
	}
	var packets uint64
	for _, s := range e.inv.Sources {
		packets += s.Packets
	}
	// Sample collections glue short captures taken years apart: their span
	// says nothing about what a continuous capture would have seen.
	if float64(packets)/span < rate {
		return nil, &NotEvaluated{Rule: r.ID, Reason: fmt.Sprintf("capture looks sparse (%d packets over %.0f s, under %.2g per second): not a continuous capture", packets, span, rate)}
	}
	for _, c := range e.comms() {
		switch strings.ToLower(c.Protocol) {
		case "ntp", "sntp", "ptp", "gptp":
			return nil, nil
		}
		for _, o := range c.Operations {
			if timeOps[o.Name] {
				return nil, nil
			}
		}
	}
	for i := range e.inv.Assets {
		for _, at := range e.inv.Assets[i].Attributes {
			if strings.HasPrefix(at.Key, "ptp.") || strings.HasPrefix(at.Key, "ntp.") {
				return nil, nil
			}
		}
	}
	var affected []string
	for _, z := range e.model.Zones {
		if otKind(z.Kind) {
			affected = append(affected, z.ID)
		}
	}
	if len(affected) == 0 {
		return nil, nil
	}
	return []draft{{key: "site", affected: affected, evidence: []Evidence{{Source: "capture", Detail: fmt.Sprintf("%s to %s: no NTP, PTP or protocol clock synchronisation", start.UTC().Format("2006-01-02T15:04:05Z"), end.UTC().Format("2006-01-02T15:04:05Z"))}},
		because: []string{fmt.Sprintf("%.0f s of traffic without time synchronisation", end.Sub(start).Seconds())}}}, nil
}

func checkUnknown(e *env, r *rules.Rule) ([]draft, *NotEvaluated) {
	min := uint64(2)
	if s := r.Params["min_packets"]; s != "" {
		if n, err := strconv.ParseUint(s, 10, 64); err == nil {
			min = n
		}
	}
	packets := map[string]uint64{}
	first := map[string]*inventory.Communication{}
	for _, c := range e.comms() {
		for _, id := range []string{c.Client, c.Server} {
			packets[id] += c.Packets
			if first[id] == nil {
				first[id] = c
			}
		}
	}
	var out []draft
	for i := range e.inv.Assets {
		a := &e.inv.Assets[i]
		if (a.DeviceType != "" && a.DeviceType != "unknown") || groupAddress(a) || loopbackOnly(a) || packets[a.ID] < min {
			continue
		}
		z := e.zoneOf[a.ID]
		if z == "" || e.kind(z) == zones.KindExternal {
			continue
		}
		c := first[a.ID]
		out = append(out, draft{key: z, zone: z, affected: []string{z}, assets: []string{a.ID},
			evidence: []Evidence{{Source: c.Source, Detail: fmt.Sprintf("%s: %d packets, first %s", Name(a), packets[a.ID], e.commLabel(c))}},
			because:  []string{Name(a)}})
	}
	return out, nil
}

func uniq(l []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range l {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}
