package inventory

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/gopacket/gopacket/macs"

	"github.com/otzone/otzone/discovery"
)

// RouterIPThreshold: a MAC that is the source of more distinct IPs than
// this is a router (or a NAT/proxy); the IPs it carries become their own
// IP-keyed assets instead of merging into it.
const RouterIPThreshold = 8

// OUIConfidence is the confidence of a vendor inferred from the MAC's OUI:
// the NIC maker is often not the device maker (a PLC with an Intel NIC, a VM).
const OUIConfidence = 0.3

// BuildOptions tune Build.
type BuildOptions struct {
	// Now stamps GeneratedAt (zero: time.Now).
	Now time.Time
	// NoOUI disables the OUI vendor lookup.
	NoOUI bool
}

// Build materialises assets and communications from stored rows. Assets
// are merged by MAC on the local segment and by IP behind routers; devices
// with a sub-address become their own asset with Via set to their gateway.
// Asset ids are derived from the merge key, so the same device gets the
// same id in every run and every database.
func Build(rows *Rows, opt BuildOptions) *Inventory {
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	m := newMerger(rows)
	inv := &Inventory{
		Schema:         Schema,
		GeneratedAt:    opt.Now.UTC(),
		Sources:        append([]Source{}, rows.Sources...),
		Assets:         []Asset{},
		Communications: []Communication{},
	}
	m.collect(rows)
	inv.Communications = m.communications(rows)
	m.servicesFromCommunications(inv.Communications)
	for _, a := range m.assets {
		m.finish(a, opt)
		inv.Assets = append(inv.Assets, *a.Asset)
	}
	sortAssets(inv.Assets)
	return inv
}

// Count returns how many assets and communications Build(rows, ...) would
// materialise, without materialising them: the merge is the same (newMerger,
// collect and resolve run as in Build), but each asset is only its key and
// id in a set, and each communication its resolved key. It is what
// `otzone ingest` prints in its summary.
//
// Count resolves each communication row's endpoints once, for both the
// assets they name and the communication's key (collect leaves them to
// it), and the client of consecutive rows (the store's key order) once.
func Count(rows *Rows) (assets, communications int) {
	m := newMerger(rows)
	m.ids = make(map[string]string, len(rows.Hosts))
	m.commsLater = true
	m.collect(rows)
	comms := make(map[commKey]struct{}, len(rows.Communications))
	add := func(ck CommKey) {
		if k, ok := m.commKey(ck); ok {
			comms[k] = struct{}{}
		}
	}
	// The last client resolved (and counted).
	var last struct {
		e            discovery.Endpoint
		site, key    string
		ok, resolved bool
	}
	for i := range rows.Communications {
		ck := &rows.Communications[i].CommKey
		if !last.resolved || last.e != ck.Client || last.site != ck.Site {
			key, gw, ok := m.resolve(ck.Client, ck.Site)
			if ok {
				m.countAsset(ck.Client, key, gw, ck.Site)
			}
			last.e, last.site, last.key, last.ok, last.resolved = ck.Client, ck.Site, key, ok, true
		}
		skey, sgw, ok2 := m.resolve(ck.Server, ck.Site)
		if ok2 {
			m.countAsset(ck.Server, skey, sgw, ck.Site)
		}
		// m.commKey with the keys just resolved.
		if !last.ok {
			continue
		}
		sid := ""
		if ok2 {
			sid = m.ids[skey]
		} else if sid = m.groupID(ck.Server, ck.Site); sid == "" {
			continue
		}
		comms[commKey{m.ids[last.key], sid, ck.Protocol, ck.Transport, ck.Port}] = struct{}{}
	}
	for i := range rows.Operations {
		add(rows.Operations[i].CommKey)
	}
	for i := range rows.CommAttributes {
		add(rows.CommAttributes[i].CommKey)
	}
	return len(m.ids), len(comms)
}

// servicesFromCommunications gives an identified protocol's server and
// client a service entry when no dissector stated one for that protocol,
// so that every asset's services reflect the traffic it was seen in.
func (m *merger) servicesFromCommunications(cs []Communication) {
	byID := make(map[string]*assetAcc, len(m.assets))
	has := map[string]bool{} // id + "\x00" + protocol
	for _, a := range m.assets {
		byID[a.ID] = a
		for s := range a.svc {
			has[a.ID+"\x00"+s.Protocol] = true
		}
	}
	for _, c := range cs {
		if c.Protocol == "" || c.Protocol == "unknown" {
			continue
		}
		seen := Seen{FirstSeen: c.FirstSeen, LastSeen: c.LastSeen, Source: c.Source}
		for _, side := range []struct{ id, role string }{{c.Server, "server"}, {c.Client, "client"}} {
			a := byID[side.id]
			if a == nil || has[side.id+"\x00"+c.Protocol] {
				continue
			}
			a.addService(Service{Protocol: c.Protocol, Transport: c.Transport, Port: c.Port, Role: side.role}, seen)
		}
	}
}

// AssetID derives the stable id of a merge key: the first 12 hex digits of
// its SHA-256.
func AssetID(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:6])
}

// siteIP is an IP address in the address space of one site: the same
// private address at two sites (ingest --site) is two hosts. Rows without a
// site share the "" space.
type siteIP struct {
	site string
	ip   netip.Addr
}

type macInfo struct {
	ips    map[siteIP]uint64 // source IPs -> packets
	arpIPs map[siteIP]bool   // ARP sender IPs (the router's own addresses)
	router bool
	vlans  int // distinct VLANs it sends IP traffic on, when that made it a router
	// remote is a source IP in a subnet no other MAC uses, when that
	// (with a local address beside it) made it a router.
	remote  netip.Addr
	packets uint64
}

type assetAcc struct {
	*Asset
	macs  map[string]bool
	ips   map[string]bool
	hosts map[string]bool
	sites map[string]bool
	svc   map[Service]*Service
	attrs []AttributeRow
}

type merger struct {
	macs     map[discovery.MAC]*macInfo
	ipOwner  map[siteIP]discovery.MAC // IP -> the non-router MAC that sends it most
	routerIP map[siteIP]discovery.MAC
	// bcast are subnet-directed broadcast addresses sent to with a unicast
	// MAC (through a router): they name no device.
	bcast  map[siteIP]bool
	assets map[string]*assetAcc // by key
	// ids, when set (Count), receives the id of every asset key instead
	// of an accumulator in assets: the same walk, without the records.
	ids map[string]string
	// commsLater (Count): collect leaves the communications' endpoints
	// to the caller.
	commsLater bool
}

func newMerger(rows *Rows) *merger {
	m := &merger{
		macs:     map[discovery.MAC]*macInfo{},
		ipOwner:  map[siteIP]discovery.MAC{},
		routerIP: map[siteIP]discovery.MAC{},
		assets:   map[string]*assetAcc{},
	}
	info := func(mac discovery.MAC) *macInfo {
		mi := m.macs[mac]
		if mi == nil {
			mi = &macInfo{ips: map[siteIP]uint64{}} // arpIPs made by its first entry
			m.macs[mac] = mi
		}
		return mi
	}
	for _, h := range rows.Hosts {
		if !h.MAC.IsUnicast() {
			continue
		}
		mi := info(h.MAC)
		mi.packets += h.Count
		if ip := h.IP.Unmap(); ip.IsValid() && usableIP(ip) {
			k := siteIP{h.Site, ip}
			mi.ips[k] += h.Count
			if h.Protocol == "arp" {
				if mi.arpIPs == nil {
					mi.arpIPs = map[siteIP]bool{}
				}
				mi.arpIPs[k] = true
			}
		}
	}
	// Routers: many source IPs, or a device that says it routes.
	for _, a := range rows.Attributes {
		if a.Endpoint.MAC.IsUnicast() && a.Endpoint.Sub == "" && saysRouter(a.Key, a.Value) {
			info(a.Endpoint.MAC).router = true
		}
	}
	// Which MACs send each IP: a MAC that sends IPs other MACs also send,
	// for two or more other MACs, forwards their traffic (inter-VLAN
	// routing seen on a trunk SPAN).
	senders := map[siteIP][]discovery.MAC{}
	for mac, mi := range m.macs {
		for ip := range mi.ips {
			senders[ip] = append(senders[ip], mac)
		}
	}
	for mac, mi := range m.macs {
		if len(mi.ips) > RouterIPThreshold {
			mi.router = true
			continue
		}
		// Two distinct other senders are enough: the first one is
		// kept, the second ends the search.
		var first discovery.MAC
		one := false
	ips:
		for ip := range mi.ips {
			for _, o := range senders[ip] {
				switch {
				case o == mac || (one && o == first):
				case !one:
					first, one = o, true
				default:
					mi.router = true
					break ips
				}
			}
		}
	}
	// Next hops: a MAC that never sent from an IP but is the destination
	// of two or more IPs is a gateway seen from one side only.
	dst := map[discovery.MAC]map[netip.Addr]bool{}
	addDst := func(e discovery.Endpoint) {
		ip := e.IP.Unmap()
		if !e.MAC.IsUnicast() || !usableIP(ip) {
			return
		}
		if mi := m.macs[e.MAC]; mi != nil && len(mi.ips) > 0 {
			return
		}
		if dst[e.MAC] == nil {
			dst[e.MAC] = map[netip.Addr]bool{}
		}
		dst[e.MAC][ip] = true
	}
	for _, c := range rows.Communications {
		addDst(c.Client)
		addDst(c.Server)
	}
	for mac, ips := range dst {
		if len(ips) >= 2 {
			info(mac).router = true
		}
	}
	// A MAC that sends IP traffic on two or more VLANs routes between them
	// (router-on-a-stick or a layer-3 switch seen on a trunk SPAN); a host
	// with one NIC sends on one VLAN.
	vlans := map[discovery.MAC]map[string]bool{}
	for _, a := range rows.Attributes {
		if a.Key != "net.vlan" || !a.Endpoint.MAC.IsUnicast() || a.Endpoint.Sub != "" {
			continue
		}
		if vlans[a.Endpoint.MAC] == nil {
			vlans[a.Endpoint.MAC] = map[string]bool{}
		}
		vlans[a.Endpoint.MAC][a.Value] = true
	}
	for mac, vs := range vlans {
		if mi := m.macs[mac]; mi != nil && len(mi.ips) > 0 && len(vs) >= 2 {
			mi.router = true
			mi.vlans = len(vs)
		}
	}
	m.remoteSubnetRouters(rows, senders)
	best := map[siteIP]uint64{}
	for mac, mi := range m.macs {
		if mi.router {
			continue
		}
		for ip, n := range mi.ips {
			cur, ok := m.ipOwner[ip]
			if !ok || n > best[ip] || (n == best[ip] && macLess(mac, cur)) {
				m.ipOwner[ip] = mac
				best[ip] = n
			}
		}
	}
	// A router's own addresses: the IPs it answers ARP for; when the engine
	// does not say which bindings came from ARP, the IPs it sends that no
	// other MAC sends and that share a subnet (/24, /64) with a local
	// host's address. Routed addresses from elsewhere fail that test.
	local := map[siteNet]bool{}
	for ip := range m.ipOwner {
		local[siteNet{ip.site, subnet(ip.ip)}] = true
	}
	for mac, mi := range m.macs {
		if !mi.router {
			continue
		}
		own := mi.arpIPs
		if len(own) == 0 {
			own = map[siteIP]bool{}
			for ip := range mi.ips {
				if _, owned := m.ipOwner[ip]; !owned && local[siteNet{ip.site, subnet(ip.ip)}] {
					own[ip] = true
				}
			}
			mi.arpIPs = own
		}
		for ip := range own {
			// Two routers may claim one address (VRRP/HSRP, or a stale ARP
			// entry): the one that sent it more wins, then the lower MAC, so
			// the result does not depend on map order.
			if cur, ok := m.routerIP[ip]; ok {
				if n, c := mi.ips[ip], m.macs[cur].ips[ip]; n < c || (n == c && !macLess(mac, cur)) {
					continue
				}
			}
			m.routerIP[ip] = mac
		}
	}
	m.bcast = directedBroadcasts(rows)
	return m
}

// remoteSubnetRouters finds routers that forward for few remote hosts (a
// small capture: one routed peer, no other MAC's traffic relayed). A MAC
// that sends from an IPv4 address in a local subnet (a /24 where another
// MAC sends too) and from one in a /24 where no other MAC sends, that
// address exchanging traffic with another MAC's host, is a router: the
// far address is a routed host (the demo plant's 192.168.1.10 behind
// 00:1b:54:10:00:01). A host with a second address for a device on its
// own segment fails the test, for that device's MAC sends from the second
// subnet too. Link-local addresses (169.254/16) count for neither side.
func (m *merger) remoteSubnetRouters(rows *Rows, senders map[siteIP][]discovery.MAC) {
	users := map[siteNet]map[discovery.MAC]bool{}
	for ip, macs := range senders {
		if !ip.ip.Is4() || ip.ip.IsLinkLocalUnicast() {
			continue
		}
		n := siteNet{ip.site, subnet(ip.ip)}
		if users[n] == nil {
			users[n] = map[discovery.MAC]bool{}
		}
		for _, mac := range macs {
			users[n][mac] = true
		}
	}
	// Peers of each (MAC, IP) source pair that are other MACs' hosts.
	talks := map[discovery.MAC]map[siteIP]bool{}
	note := func(a, b discovery.Endpoint, site string) {
		if !a.MAC.IsUnicast() || !b.MAC.IsUnicast() || a.MAC == b.MAC || !a.IP.IsValid() {
			return
		}
		if mi := m.macs[b.MAC]; mi == nil || mi.ips[siteIP{site, b.IP.Unmap()}] == 0 {
			return // the peer pair must be a host of its own MAC
		}
		if talks[a.MAC] == nil {
			talks[a.MAC] = map[siteIP]bool{}
		}
		talks[a.MAC][siteIP{site, a.IP.Unmap()}] = true
	}
	for _, c := range rows.Communications {
		note(c.Client, c.Server, c.Site)
		note(c.Server, c.Client, c.Site)
	}
	for mac, mi := range m.macs {
		if mi.router || len(mi.ips) < 2 || talks[mac] == nil {
			continue
		}
		local := false
		var remote netip.Addr
		for ip := range mi.ips {
			if !ip.ip.Is4() || ip.ip.IsLinkLocalUnicast() {
				continue
			}
			if len(users[siteNet{ip.site, subnet(ip.ip)}]) >= 2 {
				local = true
			} else if talks[mac][ip] && (!remote.IsValid() || ip.ip.Less(remote)) {
				remote = ip.ip
			}
		}
		if local && remote.IsValid() {
			mi.router = true
			mi.remote = remote
		}
	}
}

type siteNet struct {
	site string
	net  netip.Prefix
}

func subnet(ip netip.Addr) netip.Prefix {
	bits := 64
	if ip.Is4() {
		bits = 24
	}
	p, _ := ip.Prefix(bits)
	return p
}

func macLess(a, b discovery.MAC) bool { return string(a[:]) < string(b[:]) }

// usableIP is a unicast address that names a host (not 0.0.0.0, not
// broadcast or multicast).
func usableIP(ip netip.Addr) bool {
	if !ip.IsValid() || ip.IsUnspecified() || ip.IsMulticast() {
		return false
	}
	if ip.Is4() && ip.As4() == [4]byte{255, 255, 255, 255} {
		return false
	}
	return true
}

// saysRouter: LLDP/CDP capability attributes (or a device role) naming a router.
func saysRouter(key, value string) bool {
	k := strings.ToLower(key)
	if !(strings.HasSuffix(k, ".capabilities") || strings.HasSuffix(k, ".system_capabilities") ||
		strings.HasSuffix(k, ".enabled_capabilities") || k == "device.role") {
		return false
	}
	return strings.Contains(strings.ToLower(value), "router")
}

// ipKey is the merge key of an IP-keyed asset: "ip:10.0.0.5", or with a
// site "ip:10.0.0.5|site:north" (private addresses repeat across sites).
func ipKey(site string, ip netip.Addr) string {
	if site == "" {
		return "ip:" + ip.String()
	}
	return "ip:" + ip.String() + "|site:" + site
}

// resolve maps an endpoint, seen at site, to its merge key and, for a
// sub-addressed device, the key of its gateway. ok is false for endpoints
// that name no device (broadcast, multicast, nothing).
//
// A MAC/IP pair only binds the IP to the MAC when the pair was seen as a
// source (a host row). A destination pair names the next hop: the IP of
// a routed destination travels with the router's MAC, so it is resolved
// by IP (its owner's MAC, a router's own address, or an IP-keyed asset).
// Hence a fact about (router MAC, remote IP) never lands on the router.
func (m *merger) resolve(e discovery.Endpoint, site string) (key, gateway string, ok bool) {
	if e.Sub != "" {
		base := e
		base.Sub = ""
		gw, _, ok := m.resolve(base, site)
		if !ok {
			return "", "", false
		}
		return gw + "|" + e.Sub, gw, true
	}
	ip := e.IP.Unmap()
	if !usableIP(ip) {
		ip = netip.Addr{}
	}
	sip := siteIP{site, ip}
	if !e.MAC.IsZero() && !e.MAC.IsUnicast() {
		// Sent to a group MAC: a subnet-directed broadcast
		// (10.10.10.255 to ff:ff:ff:ff:ff:ff) names no device.
		return "", "", false
	}
	if ip.IsValid() && m.bcast[sip] {
		// A directed broadcast forwarded with a unicast MAC
		// (bacnet_example.pcap frame 72): no device either.
		return "", "", false
	}
	if e.MAC.IsUnicast() {
		mi := m.macs[e.MAC]
		switch {
		case !ip.IsValid():
			return macKey(e.MAC), "", true
		case mi != nil && mi.ips[sip] > 0:
			if !mi.router || mi.arpIPs[sip] {
				return macKey(e.MAC), "", true
			}
		default: // not a source binding
			if _, owned := m.ipOwner[sip]; !owned {
				if _, r := m.routerIP[sip]; !r && (mi == nil || (len(mi.ips) == 0 && !mi.router)) {
					// A MAC that never sent from any IP: the
					// destination is its own address.
					return macKey(e.MAC), "", true
				}
			}
		}
	}
	if !ip.IsValid() {
		return "", "", false
	}
	if mac, ok := m.ipOwner[sip]; ok {
		return macKey(mac), "", true
	}
	if mac, ok := m.routerIP[sip]; ok {
		return macKey(mac), "", true
	}
	return ipKey(site, ip), "", true
}

// macKey is the merge key of a MAC-keyed asset, "mac:" + m.String(), in
// one allocation.
func macKey(m discovery.MAC) string {
	if m.IsZero() {
		return "mac:"
	}
	const hexd = "0123456789abcdef"
	b := [21]byte{'m', 'a', 'c', ':'}
	for i, v := range m {
		if i > 0 {
			b[3+i*3] = ':'
		}
		b[4+i*3] = hexd[v>>4]
		b[5+i*3] = hexd[v&0xf]
	}
	return string(b[:])
}

// asset returns the accumulator of an endpoint, creating it (and its
// gateway) on first use, and records the endpoint's addresses on it.
func (m *merger) asset(e discovery.Endpoint, seen Seen, site string) *assetAcc {
	key, gw, ok := m.resolve(e, site)
	if !ok {
		return nil
	}
	if m.ids != nil {
		m.countAsset(e, key, gw, site)
		return nil
	}
	a := m.assets[key]
	if a == nil {
		a = &assetAcc{
			Asset: &Asset{ID: AssetID(key), Key: key, DeviceType: "unknown",
				MACs: []string{}, IPs: []string{}, Hostnames: []string{},
				Services: []Service{}, Attributes: []Attribute{}},
			macs: map[string]bool{}, ips: map[string]bool{}, hosts: map[string]bool{},
			sites: map[string]bool{}, svc: map[Service]*Service{},
		}
		m.assets[key] = a
		if gw != "" {
			base := e
			base.Sub = ""
			g := m.asset(base, seen, site)
			if g != nil {
				a.Via = g.ID
			}
		}
	}
	if e.Sub == "" {
		if strings.HasPrefix(key, "mac:") && e.MAC.IsUnicast() && key == "mac:"+e.MAC.String() {
			a.macs[e.MAC.String()] = true
		}
		if ip := e.IP.Unmap(); usableIP(ip) {
			k2, _, _ := m.resolve(discovery.Endpoint{MAC: e.MAC, IP: ip}, site)
			if k2 == key {
				a.ips[ip.String()] = true
			}
		}
	}
	if site != "" {
		a.sites[site] = true
	}
	a.touch(seen)
	return a
}

// countAsset is asset when counting, for an endpoint resolve mapped to
// key and gw: the key (and its gateway's, which Build creates with it) is
// all that is kept.
func (m *merger) countAsset(e discovery.Endpoint, key, gw, site string) {
	if _, ok := m.ids[key]; ok {
		return
	}
	m.ids[key] = AssetID(key)
	if gw != "" {
		base := e
		base.Sub = ""
		m.asset(base, Seen{}, site)
	}
}

func (a *assetAcc) touch(s Seen) {
	if !s.FirstSeen.IsZero() && (a.FirstSeen.IsZero() || s.FirstSeen.Before(a.FirstSeen)) {
		a.FirstSeen = s.FirstSeen.UTC()
	}
	if s.LastSeen.After(a.LastSeen) {
		a.LastSeen = s.LastSeen.UTC()
	}
}

func (m *merger) collect(rows *Rows) {
	for _, h := range rows.Hosts {
		m.asset(discovery.Endpoint{MAC: h.MAC, IP: h.IP}, h.Seen, h.Site)
		if h.MAC.IsUnicast() && h.IP.IsValid() {
			// A router whose every source IP is routed is still a device.
			m.asset(discovery.Endpoint{MAC: h.MAC}, h.Seen, h.Site)
		}
	}
	// Routers get a net.router attribute saying why, so rules and people
	// can see the merge decision (appended to a copy: rows stays as loaded).
	attrRows := rows.Attributes[:len(rows.Attributes):len(rows.Attributes)]
	for mac, mi := range m.macs {
		if !mi.router || mi.packets == 0 { // a silent next hop is no asset
			continue
		}
		why := fmt.Sprintf("inventory: forwards traffic for %d source IPs", len(mi.ips))
		if mi.remote.IsValid() {
			why = fmt.Sprintf("inventory: sends from a local subnet's address and from %s, in a subnet no other local MAC uses", mi.remote)
		}
		if mi.vlans >= 2 {
			why = fmt.Sprintf("inventory: sends IP traffic on %d VLANs", mi.vlans)
		}
		attrRows = append(attrRows, AttributeRow{Endpoint: discovery.Endpoint{MAC: mac},
			Key: "net.router", Value: "true", Confidence: 0.7, Seen: Seen{Source: why}})
	}
	// Attributes of the same endpoint/key/value from several sites or
	// ingests fold into one.
	type ak struct{ key, k, v string }
	attrs := map[ak]*AttributeRow{}
	var order []ak
	for _, r := range attrRows {
		if r.Key == "net.vlan" && r.Endpoint.Sub == "" && r.Endpoint.IP.IsValid() {
			// The VLAN a frame was seen on belongs to the MAC that
			// sent it: a routed host's frames carry the router's MAC
			// on the router's VLANs, which are not the host's.
			if mi := m.macs[r.Endpoint.MAC]; mi != nil && mi.router {
				r.Endpoint.IP = netip.Addr{}
			}
		}
		a := m.asset(r.Endpoint, r.Seen, r.Site)
		if a == nil {
			continue
		}
		k := ak{a.Key, r.Key, r.Value}
		if cur := attrs[k]; cur != nil {
			cur.Seen.Merge(r.Seen)
			if r.Confidence > cur.Confidence {
				cur.Confidence = r.Confidence
			}
			continue
		}
		cp := r
		attrs[k] = &cp
		order = append(order, k)
	}
	for _, k := range order {
		a := m.assets[k.key]
		a.attrs = append(a.attrs, *attrs[k])
	}
	for _, r := range rows.Services {
		a := m.asset(r.Endpoint, r.Seen, r.Site)
		if a == nil {
			continue
		}
		a.addService(Service{Protocol: r.Protocol, Transport: r.Transport, Port: int(r.Port), Role: r.Role}, r.Seen)
	}
	if m.commsLater {
		return
	}
	for _, c := range rows.Communications {
		m.asset(c.Client, c.Seen, c.Site)
		m.asset(c.Server, c.Seen, c.Site)
	}
}

func (a *assetAcc) addService(k Service, s Seen) {
	cur := a.svc[k]
	if cur == nil {
		v := k
		v.Source = s.Source
		v.FirstSeen = s.FirstSeen.UTC()
		v.LastSeen = s.LastSeen.UTC()
		a.svc[k] = &v
		return
	}
	if !s.FirstSeen.IsZero() && s.FirstSeen.Before(cur.FirstSeen) {
		cur.FirstSeen = s.FirstSeen.UTC()
		cur.Source = s.Source
	}
	if s.LastSeen.After(cur.LastSeen) {
		cur.LastSeen = s.LastSeen.UTC()
	}
}

// communications resolves every communication row to asset ids and sums
// rows that land on the same (client, server, protocol, transport, port).
// A server that names no device (broadcast, multicast) is kept with the
// address as its id prefixed by "broadcast:"/"multicast:" so discovery
// traffic is not lost; such ids are not assets.
// commKey is a communication as Build keys it: asset ids and protocol.
type commKey struct {
	client, server, proto, transport string
	port                             uint16
}

// idOf is the id of an asset key collect has seen.
func (m *merger) idOf(key string) string {
	if m.ids != nil {
		return m.ids[key]
	}
	return m.assets[key].ID
}

// commKey resolves a stored communication key to asset ids (ok false when
// the client names no device, or the server neither a device nor a group).
func (m *merger) commKey(ck CommKey) (commKey, bool) {
	ckey, _, ok1 := m.resolve(ck.Client, ck.Site)
	if !ok1 {
		return commKey{}, false
	}
	skey, _, ok2 := m.resolve(ck.Server, ck.Site)
	sid := ""
	if ok2 {
		sid = m.idOf(skey)
	} else {
		sid = m.groupID(ck.Server, ck.Site)
		if sid == "" {
			return commKey{}, false
		}
	}
	return commKey{m.idOf(ckey), sid, ck.Protocol, ck.Transport, ck.Port}, true
}

func (m *merger) communications(rows *Rows) []Communication {
	type key = commKey
	out := map[key]*Communication{}
	seen := map[key]*Seen{}
	resolve := m.commKey
	get := func(k key) *Communication {
		c := out[k]
		if c == nil {
			c = &Communication{Client: k.client, Server: k.server, Protocol: k.proto, Transport: k.transport,
				Port: int(k.port), Operations: []Operation{}}
			out[k] = c
			seen[k] = &Seen{}
		}
		return c
	}
	for _, r := range rows.Communications {
		k, ok := resolve(r.CommKey)
		if !ok {
			continue
		}
		c := get(k)
		c.Packets += r.Packets
		c.Bytes += r.Bytes
		seen[k].Merge(r.Seen)
	}
	type opk struct {
		k           key
		code        int
		name, class string
	}
	ops := map[opk]*Seen{}
	for _, r := range rows.Operations {
		k, ok := resolve(r.CommKey)
		if !ok {
			continue
		}
		get(k)
		seen[k].Merge(Seen{FirstSeen: r.FirstSeen, LastSeen: r.LastSeen, Source: r.Source})
		ok2 := opk{k, r.Code, r.Name, r.Class}
		if ops[ok2] == nil {
			ops[ok2] = &Seen{}
		}
		ops[ok2].Merge(r.Seen)
	}
	for ok2, s := range ops {
		c := out[ok2.k]
		c.Operations = append(c.Operations, Operation{Code: ok2.code, Name: ok2.name, Class: ok2.class,
			Count: s.Count, Source: s.Source})
	}
	type ck2 struct {
		k    key
		a, v string
	}
	cattrs := map[ck2]*AttributeRow{}
	for _, r := range rows.CommAttributes {
		k, ok := resolve(r.CommKey)
		if !ok {
			continue
		}
		get(k)
		kk := ck2{k, r.Key, r.Value}
		cur := cattrs[kk]
		if cur == nil {
			cattrs[kk] = &AttributeRow{Key: r.Key, Value: r.Value, Confidence: r.Confidence, Seen: r.Seen}
			continue
		}
		cur.Seen.Merge(r.Seen)
		if r.Confidence > cur.Confidence {
			cur.Confidence = r.Confidence
		}
	}
	for kk, r := range cattrs {
		c := out[kk.k]
		c.Attributes = append(c.Attributes, attributeOf(*r))
	}
	res := make([]Communication, 0, len(out))
	for k, c := range out {
		s := seen[k]
		c.FirstSeen, c.LastSeen, c.Source = s.FirstSeen.UTC(), s.LastSeen.UTC(), s.Source
		sort.Slice(c.Operations, func(i, j int) bool {
			a, b := c.Operations[i], c.Operations[j]
			if a.Code != b.Code {
				return a.Code < b.Code
			}
			if a.Name != b.Name {
				return a.Name < b.Name
			}
			return a.Class < b.Class
		})
		sortAttributes(c.Attributes)
		res = append(res, *c)
	}
	sort.Slice(res, func(i, j int) bool {
		a, b := res[i], res[j]
		switch {
		case a.Client != b.Client:
			return a.Client < b.Client
		case a.Server != b.Server:
			return a.Server < b.Server
		case a.Protocol != b.Protocol:
			return a.Protocol < b.Protocol
		case a.Transport != b.Transport:
			return a.Transport < b.Transport
		}
		return a.Port < b.Port
	})
	return res
}

// groupID names a non-device destination (broadcast or multicast) so that
// discovery traffic to it stays visible as a communication.
func (m *merger) groupID(e discovery.Endpoint, site string) string {
	ip := e.IP.Unmap()
	kind := ""
	switch {
	case ip.IsValid() && m.bcast[siteIP{site, ip}]:
		kind = "broadcast:"
	case ip.IsValid() && ip.IsMulticast():
		kind = "multicast:"
	case ip.Is4() && ip.As4() == [4]byte{255, 255, 255, 255}:
		kind = "broadcast:"
	case e.MAC == discovery.MAC{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}:
		kind = "broadcast:"
	case !e.MAC.IsZero() && !e.MAC.IsUnicast():
		kind = "multicast:"
	default:
		return ""
	}
	if ip.IsValid() {
		return kind + ip.String()
	}
	return kind + e.MAC.String()
}

func attributeOf(r AttributeRow) Attribute {
	return Attribute{Key: r.Key, Value: r.Value, Source: r.Source, FirstSeen: r.FirstSeen.UTC(),
		LastSeen: r.LastSeen.UTC(), Confidence: r.Confidence, Count: r.Count}
}

func sortAttributes(as []Attribute) {
	sort.Slice(as, func(i, j int) bool {
		a, b := as[i], as[j]
		if a.Key != b.Key {
			return a.Key < b.Key
		}
		if a.Value != b.Value {
			return a.Value < b.Value
		}
		return a.Source < b.Source
	})
}

// finish fills the merged fields of an asset from its accumulated facts.
func (m *merger) finish(a *assetAcc, opt BuildOptions) {
	for _, r := range a.attrs {
		a.Attributes = append(a.Attributes, attributeOf(r))
	}
	if !opt.NoOUI {
		for mac := range a.macs {
			if v := ouiVendor(mac); v != "" {
				a.Attributes = append(a.Attributes, Attribute{Key: "oui.vendor", Value: v,
					Source: "oui:" + mac[:8], FirstSeen: a.FirstSeen, LastSeen: a.LastSeen, Confidence: OUIConfidence})
			}
		}
	}
	sortAttributes(a.Attributes)
	for _, at := range a.Attributes {
		if hostnameKeys[at.Key] || strings.HasSuffix(at.Key, ".hostname") {
			if _, err := netip.ParseAddr(at.Value); err == nil {
				continue // "10.10.10.15" as a Fox host name is an address
			}
			a.hosts[at.Value] = true
		}
	}
	a.MACs = sortedKeys(a.macs)
	a.IPs = sortedIPs(a.ips)
	a.Hostnames = sortedKeys(a.hosts)
	a.Sites = sortedKeys(a.sites)
	if len(a.Sites) == 0 {
		a.Sites = nil
	}
	for _, s := range a.svc {
		a.Services = append(a.Services, *s)
	}
	sort.Slice(a.Services, func(i, j int) bool {
		x, y := a.Services[i], a.Services[j]
		if x.Protocol != y.Protocol {
			return x.Protocol < y.Protocol
		}
		if x.Port != y.Port {
			return x.Port < y.Port
		}
		if x.Transport != y.Transport {
			return x.Transport < y.Transport
		}
		return x.Role < y.Role
	})
	chooseFields(a.Asset)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedIPs(m map[string]bool) []string {
	ips := make([]netip.Addr, 0, len(m))
	for k := range m {
		if ip, err := netip.ParseAddr(k); err == nil {
			ips = append(ips, ip)
		}
	}
	sort.Slice(ips, func(i, j int) bool { return ips[i].Less(ips[j]) })
	out := make([]string, len(ips))
	for i, ip := range ips {
		out[i] = ip.String()
	}
	return out
}

// sortAssets orders assets as a person scans a list: by first IP, then
// assets without IPs by key.
func sortAssets(as []Asset) {
	first := func(a Asset) (netip.Addr, bool) {
		if len(a.IPs) == 0 {
			return netip.Addr{}, false
		}
		ip, err := netip.ParseAddr(a.IPs[0])
		return ip, err == nil
	}
	sort.Slice(as, func(i, j int) bool {
		x, xok := first(as[i])
		y, yok := first(as[j])
		if xok != yok {
			return xok
		}
		if xok && x != y {
			return x.Less(y)
		}
		return as[i].Key < as[j].Key
	})
}

func ouiVendor(mac string) string {
	m, err := discovery.ParseMAC(mac)
	if err != nil || m[0]&0x02 != 0 { // locally administered: no OUI
		return ""
	}
	v := CleanOUIName(macs.ValidMACPrefixMap[[3]byte{m[0], m[1], m[2]}])
	if strings.EqualFold(v, "IEEE Registration Authority") {
		// An MA-M/MA-S block (00:50:c2, 70:b3:d5, ...): the maker is
		// named by 28 or 36 bits, which the table does not carry.
		return ""
	}
	return v
}

// CleanOUIName tidies an IEEE registry organisation name as gopacket's
// table carries it: runs of spaces collapse, and trailing separators and
// a dangling " ." go ("Siemens AG," gives "Siemens AG", "DU PONT PIXEL
// SYSTEMS     ." gives "DU PONT PIXEL SYSTEMS"); the period of an
// abbreviation ("Inc.", "Co.,Ltd.") stays.
func CleanOUIName(s string) string {
	s = strings.Join(strings.Fields(CleanValue(s)), " ")
	for {
		n := len(s)
		s = strings.TrimRight(s, ",;:/ ")
		s = strings.TrimSuffix(s, " .")
		if len(s) == n {
			return s
		}
	}
}
