package store

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/internal/testutil"
)

// legacyCommit is Commit as it was before the raw connection (otzone up
// to 7756147): every row through database/sql, one argument per column.
// TestCommitMatchesLegacy holds the raw path to its result.
func legacyCommit(ctx context.Context, s *Store, r *inventory.Rows) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	up := func(q string, n int, args func(i int) []any) error {
		st, err := tx.PrepareContext(ctx, q)
		if err != nil {
			return err
		}
		defer st.Close()
		for i := 0; i < n; i++ {
			if _, err := st.ExecContext(ctx, args(i)...); err != nil {
				return err
			}
		}
		return nil
	}
	macStr := func(m discovery.MAC) string { return m.String() }
	ipStr := func(ip netip.Addr) string {
		if !ip.IsValid() {
			return ""
		}
		return ip.String()
	}
	commArgs := func(k inventory.CommKey) []any {
		return []any{macStr(k.Client.MAC), ipStr(k.Client.IP), k.Client.Sub, macStr(k.Server.MAC), ipStr(k.Server.IP), k.Server.Sub,
			k.Protocol, k.Transport, int64(k.Port), k.Site}
	}
	for _, err := range []error{
		up(hostSQL, len(r.Hosts), func(i int) []any {
			h := &r.Hosts[i]
			return []any{macStr(h.MAC), ipStr(h.IP), h.Protocol, h.Site, int64(h.Count), nanos(h.FirstSeen), nanos(h.LastSeen), h.Source}
		}),
		up(attrSQL, len(r.Attributes), func(i int) []any {
			a := &r.Attributes[i]
			e := a.Endpoint
			return []any{macStr(e.MAC), ipStr(e.IP), e.Sub, a.Key, a.Value, a.Site, int64(a.Count),
				a.Confidence, nanos(a.FirstSeen), nanos(a.LastSeen), a.Source}
		}),
		up(svcSQL, len(r.Services), func(i int) []any {
			v := &r.Services[i]
			e := v.Endpoint
			return []any{macStr(e.MAC), ipStr(e.IP), e.Sub, v.Protocol, v.Transport, int64(v.Port), v.Role,
				v.Site, int64(v.Count), nanos(v.FirstSeen), nanos(v.LastSeen), v.Source}
		}),
		up(commSQL, len(r.Communications), func(i int) []any {
			c := &r.Communications[i]
			return append(commArgs(c.CommKey), int64(c.Packets), int64(c.Bytes), nanos(c.FirstSeen), nanos(c.LastSeen), c.Source)
		}),
		up(opSQL, len(r.Operations), func(i int) []any {
			o := &r.Operations[i]
			return append(commArgs(o.CommKey), int64(o.Code), o.Name, o.Class, int64(o.Count), nanos(o.FirstSeen), nanos(o.LastSeen), o.Source)
		}),
		up(cattrSQL, len(r.CommAttributes), func(i int) []any {
			a := &r.CommAttributes[i]
			return append(commArgs(a.CommKey), a.Key, a.Value, int64(a.Count), a.Confidence, nanos(a.FirstSeen), nanos(a.LastSeen), a.Source)
		}),
	} {
		if err != nil {
			return err
		}
	}
	return tx.Commit()
}

// hostile are strings a capture can put in any text column.
var hostile = []string{"", "a", "it's \"quoted\"", "nul\x00inside", "\x00", "bad utf8 \xff\xfe\xc3", "\\u0000 \\\" {\"json\":[1,2]}",
	"tab\tnewline\n", "\u202eright-to-left", "日本語", "%_like_%", strings.Repeat("long ", 2000), "\x7f\x01control"}

// hostileDeltas are deltas with conflicts inside a batch (a key twice,
// different times), across batches and with existing rows, every text
// column drawn from hostile, and endpoints of every kind (no MAC, no IP,
// IPv6 with a zone, IPv4-mapped).
func hostileDeltas(seed uint64, batches, perBatch int) []*inventory.Rows {
	rng := rand.New(rand.NewPCG(seed, 2))
	str := func() string { return hostile[rng.IntN(len(hostile))] }
	ips := []netip.Addr{{}, netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.10"), netip.MustParseAddr("fe80::1%eth0"),
		netip.MustParseAddr("::ffff:10.0.0.1"), netip.MustParseAddr("2001:db8::2")}
	macs := []discovery.MAC{{}, {0, 0x0c, 0x29, 1, 2, 3}, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, {0x02, 0, 0, 0, 0, 1}}
	ep := func() discovery.Endpoint {
		return discovery.Endpoint{MAC: macs[rng.IntN(len(macs))], IP: ips[rng.IntN(len(ips))], Sub: hostile[rng.IntN(4)]}
	}
	seen := func() inventory.Seen {
		f := t0.Add(time.Duration(rng.IntN(1000)) * time.Second)
		if rng.IntN(10) == 0 {
			f = time.Time{} // a row without time (nanos 0)
		}
		return inventory.Seen{Count: uint64(rng.IntN(5) + 1), FirstSeen: f, LastSeen: f.Add(time.Duration(rng.IntN(1000)) * time.Second),
			Source: fmt.Sprintf("pcap:%s#frame=%d", str(), rng.IntN(1e6))}
	}
	ck := func() inventory.CommKey {
		return inventory.CommKey{Client: ep(), Server: ep(), Protocol: hostile[rng.IntN(4)], Transport: "udp", Port: uint16(rng.IntN(3) * 30000), Site: hostile[rng.IntN(3)]}
	}
	var ds []*inventory.Rows
	for b := 0; b < batches; b++ {
		r := &inventory.Rows{}
		for i := 0; i < perBatch; i++ {
			e := ep()
			r.Hosts = append(r.Hosts, inventory.HostRow{MAC: e.MAC, IP: e.IP, Protocol: hostile[rng.IntN(3)], Site: hostile[rng.IntN(3)], Seen: seen()})
			r.Attributes = append(r.Attributes, inventory.AttributeRow{Endpoint: ep(), Key: hostile[rng.IntN(5)], Value: str(), Site: hostile[rng.IntN(3)],
				Confidence: float64(rng.IntN(10)) / 10 * 0.7, Seen: seen()})
			r.Services = append(r.Services, inventory.ServiceRow{Endpoint: ep(), Protocol: hostile[rng.IntN(5)], Transport: "tcp", Port: uint16(rng.IntN(3) + 65533),
				Role: hostile[rng.IntN(3)], Site: hostile[rng.IntN(2)], Seen: seen()})
			r.Communications = append(r.Communications, inventory.CommRow{CommKey: ck(), Packets: uint64(rng.IntN(100)), Bytes: uint64(rng.IntN(1 << 40)), Seen: seen()})
			r.Operations = append(r.Operations, inventory.OperationRow{CommKey: ck(), Code: rng.IntN(3) - 1, Name: hostile[rng.IntN(5)], Class: hostile[rng.IntN(3)], Seen: seen()})
			r.CommAttributes = append(r.CommAttributes, inventory.CommAttributeRow{CommKey: ck(), Key: hostile[rng.IntN(4)], Value: str(),
				Confidence: float64(rng.IntN(10)) / 9, Seen: seen()})
		}
		ds = append(ds, r)
	}
	return ds
}

// TestCommitMatchesLegacy commits the same deltas through the raw path
// and through the old database/sql path into two databases: every table
// must be byte-for-byte the same, and equal to the upsert rule computed
// here from the deltas (counts add, first_seen the minimum with its
// source, last_seen the maximum, confidence the maximum).
func TestCommitMatchesLegacy(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name              string
		batches, perBatch int
	}{{"small", 4, 30}, {"large", 3, 1500}} {
		t.Run(tc.name, func(t *testing.T) {
			// The random deltas repeat keys inside a batch; with equal
			// first_seen the source of such a pair would depend on the order
			// the rows run in, which neither path promises: keep those
			// out.
			ds := hostileDeltas(7, tc.batches, tc.perBatch)
			for _, d := range ds {
				dedupTies(d)
			}
			s1, _ := openTemp(t)
			s2, _ := openTemp(t)
			for _, d := range ds {
				if err := s1.Commit(ctx, 0, d, nil); err != nil {
					t.Fatal(err)
				}
				if err := legacyCommit(ctx, s2, d); err != nil {
					t.Fatal(err)
				}
			}
			got, old := testutil.DumpTables(t, s1.db), testutil.DumpTables(t, s2.db)
			for table := range old {
				if len(got[table]) == 0 {
					t.Fatalf("%s: no rows", table)
				}
				if !slices.Equal(got[table], old[table]) {
					t.Errorf("%s: raw path differs from database/sql path (%d vs %d rows)", table, len(got[table]), len(old[table]))
				}
			}
			// And the rule, from the deltas alone, for attributes and
			// operations (the rule's two shapes: with and without
			// confidence), read back through Load.
			rows, err := s1.Load(ctx)
			if err != nil {
				t.Fatal(err)
			}
			type merged struct {
				inventory.Seen
				conf float64
			}
			wantAttr := map[string]merged{}
			wantOps := map[string]merged{}
			for _, d := range ds {
				for _, a := range d.Attributes {
					k := fmt.Sprintf("%q", []any{a.Endpoint.MAC.String(), a.Endpoint.IP.String(), a.Endpoint.Sub, a.Key, a.Value, a.Site})
					m, ok := wantAttr[k]
					m.Seen = mergeSeen(m.Seen, a.Seen, ok)
					m.conf = max(m.conf, a.Confidence)
					wantAttr[k] = m
				}
				for _, o := range d.Operations {
					k := fmt.Sprintf("%q", []any{o.CommKey, o.Code, o.Name, o.Class})
					m, ok := wantOps[k]
					m.Seen = mergeSeen(m.Seen, o.Seen, ok)
					wantOps[k] = m
				}
			}
			if len(rows.Attributes) != len(wantAttr) || len(rows.Operations) != len(wantOps) {
				t.Fatalf("%d attributes, %d operations; want %d, %d", len(rows.Attributes), len(rows.Operations), len(wantAttr), len(wantOps))
			}
			// The hostile texts came back byte for byte.
			var nul, badUTF8, long bool
			for _, a := range rows.Attributes {
				nul = nul || a.Value == "nul\x00inside"
				badUTF8 = badUTF8 || a.Value == "bad utf8 \xff\xfe\xc3"
				long = long || a.Value == hostile[11]
			}
			if !nul || !badUTF8 || !long {
				t.Fatalf("hostile values lost: NUL %v, invalid UTF-8 %v, 10 kB %v", nul, badUTF8, long)
			}
			for _, a := range rows.Attributes {
				k := fmt.Sprintf("%q", []any{a.Endpoint.MAC.String(), a.Endpoint.IP.String(), a.Endpoint.Sub, a.Key, a.Value, a.Site})
				w, ok := wantAttr[k]
				if !ok || !sameSeen(a.Seen, w.Seen) || a.Confidence != w.conf {
					t.Fatalf("attribute %s: %+v conf %v, want %+v conf %v (known %v)", k, a.Seen, a.Confidence, w.Seen, w.conf, ok)
				}
			}
			for _, o := range rows.Operations {
				k := fmt.Sprintf("%q", []any{o.CommKey, o.Code, o.Name, o.Class})
				if w, ok := wantOps[k]; !ok || !sameSeen(o.Seen, w.Seen) {
					t.Fatalf("operation %s: %+v, want %+v (known %v)", k, o.Seen, w.Seen, ok)
				}
			}
		})
	}
}

// mergeSeen is the stored rule: counts add, first_seen is the minimum
// (as nanoseconds, the zero time 0) with its source, an equal first_seen
// keeping the stored source; last_seen the maximum.
func mergeSeen(have, add inventory.Seen, ok bool) inventory.Seen {
	if !ok {
		return add
	}
	have.Count += add.Count
	if nanos(add.FirstSeen) < nanos(have.FirstSeen) {
		have.FirstSeen, have.Source = add.FirstSeen, add.Source
	}
	if nanos(add.LastSeen) > nanos(have.LastSeen) {
		have.LastSeen = add.LastSeen
	}
	return have
}

func sameSeen(a, b inventory.Seen) bool {
	return a.Count == b.Count && nanos(a.FirstSeen) == nanos(b.FirstSeen) && nanos(a.LastSeen) == nanos(b.LastSeen) && a.Source == b.Source
}

// dedupTies drops, inside one delta, a later row with the same key and
// the same first_seen as an earlier one (see TestCommitMatchesLegacy).
func dedupTies(d *inventory.Rows) {
	type k = string
	seen := map[k]bool{}
	keep := func(table string, key any, first time.Time) bool {
		s := fmt.Sprintf("%s %q %d", table, key, nanos(first))
		if seen[s] {
			return false
		}
		seen[s] = true
		return true
	}
	d.Hosts = slices.DeleteFunc(d.Hosts, func(h inventory.HostRow) bool {
		return !keep("h", []any{h.MAC.String(), h.IP.String(), h.Protocol, h.Site}, h.FirstSeen)
	})
	d.Attributes = slices.DeleteFunc(d.Attributes, func(a inventory.AttributeRow) bool {
		return !keep("a", []any{a.Endpoint.MAC.String(), a.Endpoint.IP.String(), a.Endpoint.Sub, a.Key, a.Value, a.Site}, a.FirstSeen)
	})
	d.Services = slices.DeleteFunc(d.Services, func(v inventory.ServiceRow) bool {
		return !keep("s", []any{v.Endpoint.MAC.String(), v.Endpoint.IP.String(), v.Endpoint.Sub, v.Protocol, v.Transport, v.Port, v.Role, v.Site}, v.FirstSeen)
	})
	d.Communications = slices.DeleteFunc(d.Communications, func(c inventory.CommRow) bool { return !keep("c", c.CommKey, c.FirstSeen) })
	d.Operations = slices.DeleteFunc(d.Operations, func(o inventory.OperationRow) bool {
		return !keep("o", []any{o.CommKey, o.Code, o.Name, o.Class}, o.FirstSeen)
	})
	d.CommAttributes = slices.DeleteFunc(d.CommAttributes, func(a inventory.CommAttributeRow) bool {
		return !keep("x", []any{a.CommKey, a.Key, a.Value}, a.FirstSeen)
	})
}

// legacyLoadForCounts is LoadForCounts as it was before the raw connection
// (otzone up to 7756147): TestLoadForCountsMatchesLegacy holds the new one to
// its result, row for row and in order.
func legacyLoadForCounts(ctx context.Context, s *Store) (*inventory.Rows, error) {
	out := &inventory.Rows{}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("store: load counts: %w", err)
	}
	defer tx.Rollback()
	// The queries scan whole tables once: a page cache gains them nothing
	// and would hold up to _cache_size (32 MiB) at the summary's peak.
	if _, err := tx.ExecContext(ctx, "PRAGMA cache_size = -2048"); err == nil {
		defer tx.ExecContext(context.WithoutCancel(ctx), "PRAGMA cache_size = -32768")
	}
	q := func(what, query string, dest []any, row func()) error {
		rows, err := tx.QueryContext(ctx, query)
		if err != nil {
			return fmt.Errorf("store: load counts %s: %w", what, err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := rows.Scan(dest...); err != nil {
				return fmt.Errorf("store: load counts %s: %w", what, err)
			}
			row()
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: load counts %s: %w", what, err)
		}
		return nil
	}
	var (
		mac, ip, sub, site, key, value, proto, tr string
		cmac, cip, csub, smac, sip, ssub, class   string
		count, port                               int64
	)
	// Endpoint strings repeat (an asset has many rows): parse each once.
	eps := map[[3]string]discovery.Endpoint{}
	ep := func(mac, ip, sub string) discovery.Endpoint {
		k := [3]string{mac, ip, sub}
		e, ok := eps[k]
		if !ok {
			e = endpoint(mac, ip, sub)
			eps[k] = e
		}
		return e
	}
	// Sized up front: a growing slice holds its old and new arrays at
	// once, the summary's peak.
	var nHosts, nComms int64
	if err := tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM hosts), (SELECT count(*) FROM communications)`).Scan(&nHosts, &nComms); err != nil {
		return nil, fmt.Errorf("store: load counts: %w", err)
	}
	out.Hosts = make([]inventory.HostRow, 0, nHosts)
	out.Communications = make([]inventory.CommRow, 0, nComms)
	// Sites, protocols and transports repeat on every row: one string each.
	strs := map[string]string{}
	str := func(v string) string {
		if s, ok := strs[v]; ok {
			return s
		}
		strs[v] = v
		return v
	}
	err = q("hosts", `SELECT mac, ip, protocol, site, packets FROM hosts`, []any{&mac, &ip, &proto, &site, &count}, func() {
		e := ep(mac, ip, "")
		out.Hosts = append(out.Hosts, inventory.HostRow{MAC: e.MAC, IP: e.IP, Protocol: str(proto), Site: str(site),
			Seen: inventory.Seen{Count: uint64(count)}})
	})
	if err != nil {
		return nil, err
	}
	// LIKE is case-insensitive for ASCII, as lower() folds only ASCII:
	// "key LIKE 'device.role'" is "lower(key) = 'device.role'" without
	// a lower() per row (and no wildcard in the pattern).
	attr := func() {
		out.Attributes = append(out.Attributes, inventory.AttributeRow{Endpoint: ep(mac, ip, sub), Key: key, Value: value, Site: str(site)})
	}
	err = q("attributes", `SELECT mac, ip, sub, site, key, value FROM attributes
		WHERE key LIKE '%capabilities' OR key LIKE 'device.role' OR key = 'net.vlan'
			OR key LIKE '%.netmask' OR key LIKE '%.subnet_mask' OR key LIKE '%.ip'`,
		[]any{&mac, &ip, &sub, &site, &key, &value}, attr)
	if err != nil {
		return nil, err
	}
	// Every other endpoint of an attribute or a service only names an
	// asset: one key-less service row per (endpoint, site), the two
	// tables' endpoints deduplicated in SQLite (142k rows of the two
	// DISTINCTs on the 1 GiB benchmark are 80k of the UNION).
	// net.vlan rows are all loaded above, and Build may move them off
	// their IP (a router's VLAN): no endpoint row of their own.
	err = q("endpoints", `SELECT mac, ip, sub, site FROM attributes WHERE key <> 'net.vlan'
		UNION SELECT mac, ip, sub, site FROM services`, []any{&mac, &ip, &sub, &site}, func() {
		out.Services = append(out.Services, inventory.ServiceRow{Endpoint: ep(mac, ip, sub), Site: str(site)})
	})
	if err != nil {
		return nil, err
	}
	err = q("communications", `SELECT `+commCols+` FROM communications`,
		[]any{&cmac, &cip, &csub, &smac, &sip, &ssub, &proto, &tr, &port, &site}, func() {
			out.Communications = append(out.Communications, inventory.CommRow{CommKey: inventory.CommKey{
				Client: ep(cmac, cip, csub), Server: ep(smac, sip, ssub), Protocol: str(proto), Transport: str(tr),
				Port: uint16(port), Site: str(site)}})
		})
	if err != nil {
		return nil, err
	}
	// One pass over operations (the union of two GROUP BYs scanned and
	// sorted the table twice).
	err = q("operations", `SELECT s_ip, site,
			CASE WHEN MIN(class) = 'discovery' AND MAX(class) = 'discovery' THEN 'discovery' ELSE 'other' END
		FROM operations WHERE s_ip <> '' GROUP BY s_ip, site`,
		[]any{&sip, &site, &class}, func() {
			out.Operations = append(out.Operations, inventory.OperationRow{CommKey: inventory.CommKey{
				Server: ep("", sip, ""), Site: str(site)}, Class: str(class)})
		})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// TestLoadForCountsMatchesLegacy: the raw LoadForCounts returns what the
// old one did, the same rows in the same order, on hostile deltas (keys
// with NUL and non-ASCII characters that LIKE reads its own way among
// them) and on the demo capture's facts.
func TestLoadForCountsMatchesLegacy(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	ds := hostileDeltas(11, 3, 400)
	// Keys the filter's patterns match or nearly match, in every form.
	keys := []string{"lldp.system_capabilities", "x.CAPABILITIES", "device.role", "Device.Role", "net.vlan", "NET.VLAN", "dhcp.subnet_mask",
		"dhcp.subnetémask", "dhcp.subnet\x00mask", "a.netmask", "café.ip", "a\x00.ip", "\xff.ip", "x.ip\x00", "x.ipé", "cdp.capabilitiés"}
	for i, d := range ds {
		for j := range d.Attributes {
			if j%3 == 0 {
				d.Attributes[j].Key = keys[(i+j)%len(keys)]
			}
		}
	}
	for _, d := range ds {
		if err := s.Commit(ctx, 0, d, nil); err != nil {
			t.Fatal(err)
		}
	}
	check := func(name string, s *Store) {
		got, err := s.LoadForCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want, err := legacyLoadForCounts(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		if len(want.Attributes) == 0 || len(want.Services) == 0 || len(want.Operations) == 0 {
			t.Fatalf("%s: the legacy load is empty: %d attributes %d services %d operations", name, len(want.Attributes), len(want.Services), len(want.Operations))
		}
		if d := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); d != "" {
			t.Fatalf("%s: LoadForCounts differs from the legacy one (-legacy +new):\n%s", name, d)
		}
	}
	check("hostile", s)
	// An ingested database, if there is one (see BenchmarkCommitCorpus).
	if path := os.Getenv("OTZONE_BENCH_DB"); path != "" {
		db, err := OpenReadOnly(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		check(path, db)
	}
}
