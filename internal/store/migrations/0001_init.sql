-- 0001: the initial schema. Endpoints are (mac, ip, sub) text columns, ''
-- when unknown; times are Unix nanoseconds; counts are sums of deltas.

CREATE TABLE sources (
	id            INTEGER PRIMARY KEY,
	kind          TEXT    NOT NULL,             -- pcap|live|probe
	name          TEXT    NOT NULL,             -- file base name, interface, probe target
	path          TEXT    NOT NULL DEFAULT '',
	sha256        TEXT    NOT NULL DEFAULT '',
	site          TEXT    NOT NULL DEFAULT '',
	packets       INTEGER NOT NULL DEFAULT 0,
	bytes         INTEGER NOT NULL DEFAULT 0,
	first_seen    INTEGER NOT NULL DEFAULT 0,
	last_seen     INTEGER NOT NULL DEFAULT 0,
	malformed     INTEGER NOT NULL DEFAULT 0,
	error         TEXT    NOT NULL DEFAULT '',
	capture_stats TEXT    NOT NULL DEFAULT '',  -- JSON of inventory.CaptureStats
	started_at    INTEGER NOT NULL DEFAULT 0,
	finished_at   INTEGER NOT NULL DEFAULT 0,   -- 0 while running or after an interruption
	complete      INTEGER NOT NULL DEFAULT 0    -- 1 once every frame was read
);
CREATE INDEX sources_sha256 ON sources(sha256) WHERE sha256 <> '';

CREATE TABLE hosts (
	mac        TEXT    NOT NULL,
	ip         TEXT    NOT NULL,
	protocol   TEXT    NOT NULL DEFAULT '',     -- what bound them: arp, ip, dhcp...
	site       TEXT    NOT NULL DEFAULT '',
	packets    INTEGER NOT NULL DEFAULT 0,
	first_seen INTEGER NOT NULL,
	last_seen  INTEGER NOT NULL,
	source     TEXT    NOT NULL DEFAULT '',     -- evidence of the first sighting
	PRIMARY KEY (mac, ip, protocol, site)
) WITHOUT ROWID;

CREATE TABLE attributes (
	mac        TEXT    NOT NULL,
	ip         TEXT    NOT NULL,
	sub        TEXT    NOT NULL,
	key        TEXT    NOT NULL,
	value      TEXT    NOT NULL,
	site       TEXT    NOT NULL DEFAULT '',
	count      INTEGER NOT NULL DEFAULT 0,
	confidence REAL    NOT NULL DEFAULT 0,
	first_seen INTEGER NOT NULL,
	last_seen  INTEGER NOT NULL,
	source     TEXT    NOT NULL DEFAULT '',
	PRIMARY KEY (mac, ip, sub, key, value, site)
) WITHOUT ROWID;

CREATE TABLE services (
	mac        TEXT    NOT NULL,
	ip         TEXT    NOT NULL,
	sub        TEXT    NOT NULL,
	protocol   TEXT    NOT NULL,
	transport  TEXT    NOT NULL,
	port       INTEGER NOT NULL,
	role       TEXT    NOT NULL,
	site       TEXT    NOT NULL DEFAULT '',
	count      INTEGER NOT NULL DEFAULT 0,
	first_seen INTEGER NOT NULL,
	last_seen  INTEGER NOT NULL,
	source     TEXT    NOT NULL DEFAULT '',
	PRIMARY KEY (mac, ip, sub, protocol, transport, port, role, site)
) WITHOUT ROWID;

CREATE TABLE communications (
	c_mac      TEXT    NOT NULL,
	c_ip       TEXT    NOT NULL,
	c_sub      TEXT    NOT NULL,
	s_mac      TEXT    NOT NULL,
	s_ip       TEXT    NOT NULL,
	s_sub      TEXT    NOT NULL,
	protocol   TEXT    NOT NULL,
	transport  TEXT    NOT NULL,
	port       INTEGER NOT NULL,
	site       TEXT    NOT NULL DEFAULT '',
	packets    INTEGER NOT NULL DEFAULT 0,
	bytes      INTEGER NOT NULL DEFAULT 0,
	first_seen INTEGER NOT NULL,
	last_seen  INTEGER NOT NULL,
	source     TEXT    NOT NULL DEFAULT '',
	PRIMARY KEY (c_mac, c_ip, c_sub, s_mac, s_ip, s_sub, protocol, transport, port, site)
) WITHOUT ROWID;

CREATE TABLE operations (
	c_mac      TEXT    NOT NULL,
	c_ip       TEXT    NOT NULL,
	c_sub      TEXT    NOT NULL,
	s_mac      TEXT    NOT NULL,
	s_ip       TEXT    NOT NULL,
	s_sub      TEXT    NOT NULL,
	protocol   TEXT    NOT NULL,
	transport  TEXT    NOT NULL,
	port       INTEGER NOT NULL,
	site       TEXT    NOT NULL DEFAULT '',
	code       INTEGER NOT NULL,
	name       TEXT    NOT NULL,
	class      TEXT    NOT NULL,
	count      INTEGER NOT NULL DEFAULT 0,
	first_seen INTEGER NOT NULL,
	last_seen  INTEGER NOT NULL,
	source     TEXT    NOT NULL DEFAULT '',
	PRIMARY KEY (c_mac, c_ip, c_sub, s_mac, s_ip, s_sub, protocol, transport, port, site, code, name, class)
) WITHOUT ROWID;

CREATE TABLE comm_attributes (
	c_mac      TEXT    NOT NULL,
	c_ip       TEXT    NOT NULL,
	c_sub      TEXT    NOT NULL,
	s_mac      TEXT    NOT NULL,
	s_ip       TEXT    NOT NULL,
	s_sub      TEXT    NOT NULL,
	protocol   TEXT    NOT NULL,
	transport  TEXT    NOT NULL,
	port       INTEGER NOT NULL,
	site       TEXT    NOT NULL DEFAULT '',
	key        TEXT    NOT NULL,
	value      TEXT    NOT NULL,
	count      INTEGER NOT NULL DEFAULT 0,
	confidence REAL    NOT NULL DEFAULT 0,
	first_seen INTEGER NOT NULL,
	last_seen  INTEGER NOT NULL,
	source     TEXT    NOT NULL DEFAULT '',
	PRIMARY KEY (c_mac, c_ip, c_sub, s_mac, s_ip, s_sub, protocol, transport, port, site, key, value)
) WITHOUT ROWID;
