package store

import (
	"context"
	"database/sql"
	"fmt"

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
func (s *Store) LoadForCounts(ctx context.Context) (*inventory.Rows, error) {
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
