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
package store
