// Package store is the only package that speaks SQL. It keeps one
// engagement's inventory in a SQLite file (WAL journal, numbered embedded
// migrations) and writes the inventory Builder's deltas in batched
// transactions, so an interrupted ingest leaves every committed batch and an
// openable file.
//
// Every row is a sum over observations: counts add, first_seen takes the
// minimum (and the evidence of that first sighting), last_seen the maximum.
// Upserting the same delta twice would double the counts, which is why a
// source whose sha256 is already recorded is never ingested again.
//
// The two bulk paths, Commit and LoadForCounts, go through a second
// connection opened with SQLite's C API (raw.go, raw.c: the library
// github.com/mattn/go-sqlite3 builds): a table's rows of a batch are
// encoded into one buffer, sorted by primary key, and bound and stepped in
// C, 32 rows per statement, in one cgo call; scans come back a chunk of
// rows per call. Through database/sql each column of each row was a cgo
// call and a boxed argument. Everything else (migrations, sources, Load,
// the readers of other commands) uses database/sql.
package store
