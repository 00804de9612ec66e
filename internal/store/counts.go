package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/inventory"
)

// LoadForCounts reads the subset of the stored facts that decides which
// assets and communications inventory.Build materialises, without the
// facts that only describe them, so that `otzone ingest` can print its
// summary without loading the whole database:
//
//   - hosts: every MAC/IP binding (the merge);
//   - attributes: the rows Build reads for the merge itself: router capabilities and roles
//     (*capabilities, which covers *.system_capabilities and
//     *.enabled_capabilities, and device.role, in any case), VLANs (net.vlan) and stated subnets
//     (*.netmask, *.subnet_mask, *.ip);
//   - services: one key-less row per endpoint and site of an attribute
//     (net.vlan excepted, loaded whole above) or a service: it makes an
//     asset, whichever table named it;
//   - communications: every key (packets, bytes, times left zero);
//   - operations: one row per server address and site, with class
//     "discovery" only when every operation to it is discovery (what the
//     directed-broadcast test reads); the client is left empty so these
//     rows create no communication (the Builder writes a communication row
//     for every operation and communication attribute anyway);
//   - comm_attributes: none, for the same reason.
//
// len(Build(LoadForCounts()).Assets) and .Communications equal those of
// Build(Load()); TestLoadForCountsMatchesLoad holds it to that on real
// captures. Times, counts and evidence in the result are not meaningful.
//
// The scans run on the raw connection in one read transaction, a chunk of
// rows per call into SQLite; the endpoint union and the operations'
// grouping are done here, in the order SQLite's UNION and GROUP BY gave
// them (sorted by their columns).
func (s *Store) LoadForCounts(ctx context.Context) (*inventory.Rows, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: load counts: %w", err)
	}
	s.rawMu.Lock()
	defer s.rawMu.Unlock()
	c, err := s.rawConn()
	if err != nil {
		return nil, fmt.Errorf("store: load counts: %w", err)
	}
	// The queries scan whole tables once: a page cache gains them nothing
	// and would hold up to _cache_size (32 MiB) at the summary's peak.
	if !s.readonly {
		if err := c.exec("PRAGMA cache_size = -2048"); err == nil {
			defer c.exec("PRAGMA cache_size = -32768")
		}
	}
	if err := c.exec("BEGIN"); err != nil {
		return nil, fmt.Errorf("store: load counts: %w", err)
	}
	defer c.exec("ROLLBACK")
	filter := func(key string) (bool, error) {
		var ok bool
		err := s.db.QueryRowContext(ctx, `SELECT `+strings.ReplaceAll(attrFilterSQL, "key", "?1"), key).Scan(&ok)
		return ok, err
	}
	l := countLoader{c: c, filter: filter, buf: make([]byte, 256<<10), out: &inventory.Rows{},
		ipEps: map[string]*epEntry{}, strs: map[string]string{}}
	if err := l.load(); err != nil {
		return nil, fmt.Errorf("store: load counts %w", err)
	}
	return l.out, nil
}

// epEntry is a stored endpoint, parsed once, with its text columns.
type epEntry struct {
	e            discovery.Endpoint
	mac, ip, sub string
	key          string // the columns' encoding, eps' key
}

// epSite is an (endpoint, site) of the endpoints' union.
type epSite struct {
	ep   *epEntry
	site string
}

func cmpEpSite(a, b epSite) int {
	if a.ep != b.ep {
		if c := strings.Compare(a.ep.mac, b.ep.mac); c != 0 {
			return c
		}
		if c := strings.Compare(a.ep.ip, b.ep.ip); c != 0 {
			return c
		}
		if c := strings.Compare(a.ep.sub, b.ep.sub); c != 0 {
			return c
		}
	}
	return strings.Compare(a.site, b.site)
}

type countLoader struct {
	c *rawConn
	// filter is SQLite's verdict of attrFilterSQL for a key.
	filter func(key string) (bool, error)
	buf    []byte
	out    *inventory.Rows
	// Endpoint strings repeat (an asset has many rows): each parsed once,
	// found by the encoding of its columns (mac, ip, sub; mac, ip for
	// hosts; ip for operations).
	eps, hostEps, ipEps map[string]*epEntry
	last                [2]*epEntry // ep's last result per slot
	// Sites, protocols and transports repeat on every row: one string each.
	strs map[string]string
}

func (l *countLoader) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if s, ok := l.strs[string(b)]; ok {
		return s
	}
	s := string(b)
	l.strs[s] = s
	return s
}

// ep reads the next three columns (mac, ip, sub) as an endpoint. Rows in
// key order repeat their endpoint: it is compared with the last one of
// the same slot (0, or 1 for a communication's server) before hashing.
func (l *countLoader) ep(r *rowReader, slot int) *epEntry {
	k := r.span(3)
	if last := l.last[slot]; last != nil && string(k) == last.key {
		return last
	}
	e, ok := l.eps[string(k)]
	if ok {
		l.last[slot] = e
		return e
	}
	e = &epEntry{key: string(k)}
	// The texts are substrings of the key (one allocation).
	rest := e.key
	e.mac, rest = nextText(rest)
	e.ip, rest = nextText(rest)
	e.sub, _ = nextText(rest)
	e.e = endpoint(e.mac, e.ip, e.sub)
	l.eps[e.key] = e
	l.last[slot] = e
	return e
}

func (l *countLoader) query(what, sql, types string, row func(r *rowReader)) error {
	st, err := l.c.stmt(sql)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	l.buf, err = l.c.query(st, types, l.buf, row)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// nextText splits the first text column off an encoding of text columns
// (rowReader's format, well formed: read from SQLite by query).
func nextText(enc string) (text, rest string) {
	n := int(binary.NativeEndian.Uint32([]byte{enc[0], enc[1], enc[2], enc[3]}))
	return enc[4 : 4+n], enc[4+n:]
}

// unionEps calls f for each pair of the union of a and b, two lists in
// cmpEpSite order without repeats, in that order.
func unionEps(a, b []epSite, f func(epSite)) {
	for len(a) > 0 || len(b) > 0 {
		var next epSite
		switch {
		case len(b) == 0:
			next, a = a[0], a[1:]
		case len(a) == 0:
			next, b = b[0], b[1:]
		default:
			switch c := cmpEpSite(a[0], b[0]); {
			case c < 0:
				next, a = a[0], a[1:]
			case c > 0:
				next, b = b[0], b[1:]
			default:
				next, a, b = a[0], a[1:], b[1:]
			}
		}
		f(next)
	}
}

// groupSites appends to list the (endpoint, site) pairs of rows that come
// grouped by endpoint, each group's distinct sites sorted: the rows'
// distinct pairs in (mac, ip, sub, site) order.
func groupSites(list []epSite, e *epEntry, site string) []epSite {
	n := len(list)
	i := n
	for i > 0 && list[i-1].ep == e {
		if list[i-1].site == site {
			return list
		}
		i--
	}
	list = append(list, epSite{e, site})
	// Insertion into the group's sorted sites (a group has one or two).
	for j := n; j > i && list[j-1].site > site; j-- {
		list[j], list[j-1] = list[j-1], list[j]
	}
	return list
}

func (l *countLoader) load() error {
	out := l.out
	// Sized up front: a growing slice holds its old and new arrays at
	// once, the summary's peak.
	var nHosts, nComms int64
	if err := l.query("", `SELECT (SELECT count(*) FROM hosts), (SELECT count(*) FROM communications)`, "ii", func(r *rowReader) {
		nHosts, nComms = r.int(), r.int()
	}); err != nil {
		return err
	}
	out.Hosts = make([]inventory.HostRow, 0, nHosts)
	// A host row per binding: about as many endpoints.
	l.eps, l.hostEps = make(map[string]*epEntry, nHosts), make(map[string]*epEntry, nHosts)
	out.Communications = make([]inventory.CommRow, 0, nComms)
	err := l.query("hosts", `SELECT mac, ip, protocol, site, packets FROM hosts`, "tttti", func(r *rowReader) {
		k := r.span(2)
		e, ok := l.hostEps[string(k)]
		if !ok {
			kr := rowReader{b: k}
			e = &epEntry{mac: string(kr.text()), ip: string(kr.text())}
			e.e = endpoint(e.mac, e.ip, "")
			l.hostEps[string(k)] = e
		}
		proto, site := l.str(r.text()), l.str(r.text())
		out.Hosts = append(out.Hosts, inventory.HostRow{MAC: e.e.MAC, IP: e.e.IP, Protocol: proto, Site: site,
			Seen: inventory.Seen{Count: uint64(r.int())}})
	})
	if err != nil {
		return err
	}
	// One scan of attributes gives both the rows Build reads for the
	// merge and the endpoints of the others. The filter is attrFilterSQL,
	// evaluated here for ASCII keys (countsKey) and by SQLite for the rare
	// others, after the scan (their rows stay in place meanwhile).
	//
	// Every endpoint of an attribute or a service only names an asset: one
	// key-less service row per (endpoint, site), the two tables' endpoints
	// deduplicated. net.vlan rows are all loaded whole, and Build may move
	// them off their IP (a router's VLAN): no endpoint row of their own.
	var attrEps, svcEps []epSite
	var undecided []int // indexes in out.Attributes
	err = l.query("attributes", `SELECT mac, ip, sub, site, key, value FROM attributes`, "tttttt", func(r *rowReader) {
		e := l.ep(r, 0)
		site := l.str(r.text())
		key := r.text()
		value := r.text()
		wanted, known := countsKey(key)
		if wanted || !known {
			if !known {
				undecided = append(undecided, len(out.Attributes))
			}
			out.Attributes = append(out.Attributes, inventory.AttributeRow{Endpoint: e.e, Key: string(key), Value: string(value), Site: site})
		}
		if string(key) != "net.vlan" {
			attrEps = groupSites(attrEps, e, site)
		}
	})
	if err != nil {
		return err
	}
	if len(undecided) > 0 {
		drop := map[int]bool{}
		for _, i := range undecided {
			ok, err := l.filter(out.Attributes[i].Key)
			if err != nil {
				return fmt.Errorf("attributes: %w", err)
			}
			drop[i] = !ok
		}
		n := 0
		for i, a := range out.Attributes {
			if !drop[i] {
				out.Attributes[n] = a
				n++
			}
		}
		out.Attributes = out.Attributes[:n]
	}
	err = l.query("services", `SELECT mac, ip, sub, site FROM services`, "tttt", func(r *rowReader) {
		e := l.ep(r, 0)
		svcEps = groupSites(svcEps, e, l.str(r.text()))
	})
	if err != nil {
		return err
	}
	// The union of the two sorted lists, counted first: sized exactly,
	// the slice never grows (a grown copy held both arrays at once).
	n := 0
	unionEps(attrEps, svcEps, func(epSite) { n++ })
	out.Services = make([]inventory.ServiceRow, 0, n)
	unionEps(attrEps, svcEps, func(next epSite) {
		out.Services = append(out.Services, inventory.ServiceRow{Endpoint: next.ep.e, Site: next.site})
	})
	err = l.query("communications", `SELECT `+commCols+` FROM communications`, "ttttttttit", func(r *rowReader) {
		cl, sv := l.ep(r, 0), l.ep(r, 1)
		proto, tr := l.str(r.text()), l.str(r.text())
		port := r.int()
		out.Communications = append(out.Communications, inventory.CommRow{CommKey: inventory.CommKey{
			Client: cl.e, Server: sv.e, Protocol: proto, Transport: tr, Port: uint16(port), Site: l.str(r.text())}})
	})
	if err != nil {
		return err
	}
	// One row per (server address, site): "discovery" when every
	// operation to it is discovery, in (s_ip, site) order.
	type opKey struct {
		ip   *epEntry
		site string
	}
	ops := map[opKey]bool{}
	err = l.query("operations", `SELECT s_ip, site, class = 'discovery' FROM operations WHERE s_ip <> ''`, "tti", func(r *rowReader) {
		k := r.span(1)
		e, ok := l.ipEps[string(k)]
		if !ok {
			kr := rowReader{b: k}
			e = &epEntry{ip: string(kr.text())}
			e.e = endpoint("", e.ip, "")
			l.ipEps[string(k)] = e
		}
		ok2 := opKey{e, l.str(r.text())}
		disc := r.int() == 1
		if all, seen := ops[ok2]; seen {
			ops[ok2] = all && disc
		} else {
			ops[ok2] = disc
		}
	})
	if err != nil {
		return err
	}
	keys := make([]opKey, 0, len(ops))
	for k := range ops {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b opKey) int {
		if c := strings.Compare(a.ip.ip, b.ip.ip); c != 0 {
			return c
		}
		return strings.Compare(a.site, b.site)
	})
	out.Operations = make([]inventory.OperationRow, 0, len(keys))
	for _, k := range keys {
		class := "other"
		if ops[k] {
			class = "discovery"
		}
		out.Operations = append(out.Operations, inventory.OperationRow{CommKey: inventory.CommKey{
			Server: k.ip.e, Site: k.site}, Class: class})
	}
	return nil
}

// attrFilterSQL is the attributes inventory.Build reads for the merge
// itself (see LoadForCounts). LIKE is case-insensitive for ASCII, as
// lower() folds only ASCII: "key LIKE 'device.role'" is "lower(key) =
// 'device.role'" without a lower() per row (and no wildcard in the
// pattern); the _ of subnet_mask is LIKE's any-one-character.
const attrFilterSQL = `(key LIKE '%capabilities' OR key LIKE 'device.role' OR key = 'net.vlan'
	OR key LIKE '%.netmask' OR key LIKE '%.subnet_mask' OR key LIKE '%.ip')`

// countsKey evaluates attrFilterSQL as SQLite does for a key of ASCII
// characters without NUL, where LIKE compares byte by byte, folds A-Z
// only, and _ is one byte; known is false for any other key (a NUL ends
// a text for LIKE, and _ is one UTF-8 character), which SQLite decides.
func countsKey(key []byte) (wanted, known bool) {
	for _, c := range key {
		if c == 0 || c >= 0x80 {
			return false, false
		}
	}
	if string(key) == "net.vlan" {
		return true, true
	}
	// fold compares key's bytes from at with pat, folding A-Z; '_' in pat
	// is any byte.
	fold := func(at int, pat string) bool {
		if at < 0 || len(key)-at != len(pat) {
			return false
		}
		for i := 0; i < len(pat); i++ {
			c := key[at+i]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if pat[i] != '_' && c != pat[i] {
				return false
			}
		}
		return true
	}
	n := len(key)
	return fold(n-len("capabilities"), "capabilities") || fold(0, "device.role") || fold(n-len(".netmask"), ".netmask") ||
		fold(n-len(".subnet_mask"), ".subnet_mask") || fold(n-len(".ip"), ".ip"), true
}
