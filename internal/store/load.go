package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/netip"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/inventory"
)

func scanSource(scan func(...any) error) (inventory.Source, SourceID, string, bool, error) {
	var (
		src                              inventory.Source
		id                               int64
		path, stats                      string
		packets, bytes, first, last, mal int64
		complete                         int
	)
	err := scan(&id, &src.Kind, &src.Name, &path, &src.SHA256, &src.Site, &packets, &bytes, &first, &last, &mal, &src.Error, &stats, &complete)
	if err != nil {
		return src, 0, "", false, err
	}
	src.Packets, src.Bytes, src.Malformed = uint64(packets), uint64(bytes), uint64(mal)
	src.FirstSeen, src.LastSeen = fromNanos(first), fromNanos(last)
	if stats != "" {
		var cs inventory.CaptureStats
		if err := json.Unmarshal([]byte(stats), &cs); err == nil {
			src.Drops = &cs
		}
	}
	return src, SourceID(id), path, complete == 1, nil
}

// Sources lists every recorded source in the order it was ingested.
func (s *Store) Sources(ctx context.Context) ([]Recorded, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, kind, name, path, sha256, site, packets, bytes, first_seen, last_seen,
		malformed, error, capture_stats, complete FROM sources ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: sources: %w", err)
	}
	defer rows.Close()
	var out []Recorded
	for rows.Next() {
		src, id, path, complete, err := scanSource(rows.Scan)
		if err != nil {
			return nil, fmt.Errorf("store: sources: %w", err)
		}
		out = append(out, Recorded{ID: id, Source: src, Path: path, Complete: complete})
	}
	return out, rows.Err()
}

// endpoint parses the stored text columns back; a value that does not
// parse (never written by this package) is left zero rather than trusted.
func endpoint(mac, ip, sub string) discovery.Endpoint {
	var e discovery.Endpoint
	if mac != "" {
		e.MAC, _ = discovery.ParseMAC(mac)
	}
	if ip != "" {
		e.IP, _ = netip.ParseAddr(ip)
	}
	e.Sub = sub
	return e
}

func seen(count, first, last int64, src string) inventory.Seen {
	return inventory.Seen{Count: uint64(count), FirstSeen: fromNanos(first), LastSeen: fromNanos(last), Source: src}
}

// Load reads every stored fact, for inventory.Build.
func (s *Store) Load(ctx context.Context) (*inventory.Rows, error) {
	out := &inventory.Rows{}
	recs, err := s.Sources(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		out.Sources = append(out.Sources, r.Source)
	}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("store: load: %w", err)
	}
	defer tx.Rollback()
	q := func(query string, scan func(*sql.Rows) error) error {
		rows, err := tx.QueryContext(ctx, query)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	}
	var (
		mac, ip, sub, cmac, cip, csub, smac, sip, ssub, site, src string
		count, first, last, port, pk, by                          int64
		conf                                                      float64
	)
	err = q(`SELECT mac, ip, protocol, site, packets, first_seen, last_seen, source FROM hosts`, func(r *sql.Rows) error {
		var proto string
		if err := r.Scan(&mac, &ip, &proto, &site, &count, &first, &last, &src); err != nil {
			return err
		}
		e := endpoint(mac, ip, "")
		out.Hosts = append(out.Hosts, inventory.HostRow{MAC: e.MAC, IP: e.IP, Protocol: proto, Site: site, Seen: seen(count, first, last, src)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: load hosts: %w", err)
	}
	err = q(`SELECT mac, ip, sub, key, value, site, count, confidence, first_seen, last_seen, source FROM attributes`, func(r *sql.Rows) error {
		var k, v string
		if err := r.Scan(&mac, &ip, &sub, &k, &v, &site, &count, &conf, &first, &last, &src); err != nil {
			return err
		}
		out.Attributes = append(out.Attributes, inventory.AttributeRow{Endpoint: endpoint(mac, ip, sub), Key: k, Value: v, Site: site,
			Confidence: conf, Seen: seen(count, first, last, src)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: load attributes: %w", err)
	}
	err = q(`SELECT mac, ip, sub, protocol, transport, port, role, site, count, first_seen, last_seen, source FROM services`, func(r *sql.Rows) error {
		var proto, tr, role string
		if err := r.Scan(&mac, &ip, &sub, &proto, &tr, &port, &role, &site, &count, &first, &last, &src); err != nil {
			return err
		}
		out.Services = append(out.Services, inventory.ServiceRow{Endpoint: endpoint(mac, ip, sub), Protocol: proto, Transport: tr,
			Port: uint16(port), Role: role, Site: site, Seen: seen(count, first, last, src)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: load services: %w", err)
	}
	var proto, tr string
	commDest := []any{&cmac, &cip, &csub, &smac, &sip, &ssub, &proto, &tr, &port, &site}
	commKey := func() inventory.CommKey {
		return inventory.CommKey{Client: endpoint(cmac, cip, csub), Server: endpoint(smac, sip, ssub), Protocol: proto,
			Transport: tr, Port: uint16(port), Site: site}
	}
	err = q(`SELECT `+commCols+`, packets, bytes, first_seen, last_seen, source FROM communications`, func(r *sql.Rows) error {
		if err := r.Scan(append(commDest[:len(commDest):len(commDest)], &pk, &by, &first, &last, &src)...); err != nil {
			return err
		}
		out.Communications = append(out.Communications, inventory.CommRow{CommKey: commKey(), Packets: uint64(pk), Bytes: uint64(by),
			Seen: seen(0, first, last, src)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: load communications: %w", err)
	}
	err = q(`SELECT `+commCols+`, code, name, class, count, first_seen, last_seen, source FROM operations`, func(r *sql.Rows) error {
		var code int64
		var name, class string
		if err := r.Scan(append(commDest[:len(commDest):len(commDest)], &code, &name, &class, &count, &first, &last, &src)...); err != nil {
			return err
		}
		out.Operations = append(out.Operations, inventory.OperationRow{CommKey: commKey(), Code: int(code), Name: name, Class: class,
			Seen: seen(count, first, last, src)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: load operations: %w", err)
	}
	err = q(`SELECT `+commCols+`, key, value, count, confidence, first_seen, last_seen, source FROM comm_attributes`, func(r *sql.Rows) error {
		var k, v string
		if err := r.Scan(append(commDest[:len(commDest):len(commDest)], &k, &v, &count, &conf, &first, &last, &src)...); err != nil {
			return err
		}
		out.CommAttributes = append(out.CommAttributes, inventory.CommAttributeRow{CommKey: commKey(), Key: k, Value: v,
			Confidence: conf, Seen: seen(count, first, last, src)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: load communication attributes: %w", err)
	}
	return out, nil
}

// Inventory loads everything and builds the merged inventory.
func (s *Store) Inventory(ctx context.Context, opt inventory.BuildOptions) (*inventory.Inventory, error) {
	rows, err := s.Load(ctx)
	if err != nil {
		return nil, err
	}
	return inventory.Build(rows, opt), nil
}
