package store

/*
#include <stdlib.h>
#include "raw.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"math"
	"unsafe"
)

// rawConn is a second connection to the database, opened through SQLite's
// C API directly (the library github.com/mattn/go-sqlite3 compiles), for
// the two bulk paths: Commit's upserts and LoadForCounts' scans. Through
// database/sql every column of every row is a cgo call and a boxed
// argument; here a chunk of rows is one byte buffer and one cgo call that
// binds and steps (or steps and reads) every row in C.
//
// It is a connection like any other: WAL lets it write while others read,
// its transactions are SQLite's, and the busy timeout is the same as the
// database/sql connection's. The caller serialises its use (Store.rawMu).
type rawConn struct {
	db    *C.sqlite3
	stmts map[string]*C.sqlite3_stmt
}

// cstmt is a prepared statement of the raw connection.
type cstmt = C.sqlite3_stmt

// rawError is a SQLite error of the raw connection.
type rawError struct {
	code int
	msg  string
}

func (e *rawError) Error() string { return fmt.Sprintf("%s (sqlite %d)", e.msg, e.code) }

func openRaw(uri string, readonly bool) (*rawConn, error) {
	cu := C.CString(uri)
	defer C.free(unsafe.Pointer(cu))
	ro := C.int(0)
	if readonly {
		ro = 1
	}
	var db *C.sqlite3
	if rc := C.ozs_open(cu, ro, &db); rc != 0 {
		err := &rawError{int(rc), "open"}
		if db != nil {
			err.msg = C.GoString(C.ozs_errmsg(db))
			C.ozs_close(db)
		}
		return nil, err
	}
	return &rawConn{db: db, stmts: map[string]*C.sqlite3_stmt{}}, nil
}

func (c *rawConn) close() error {
	if c == nil || c.db == nil {
		return nil
	}
	for _, st := range c.stmts {
		C.ozs_finalize(st)
	}
	c.stmts = nil
	rc := C.ozs_close(c.db)
	c.db = nil
	if rc != 0 {
		return &rawError{int(rc), "close"}
	}
	return nil
}

func (c *rawConn) err(rc C.int) error {
	return &rawError{int(rc), C.GoString(C.ozs_errmsg(c.db))}
}

// exec runs SQL without arguments (one or more statements).
func (c *rawConn) exec(sql string) error {
	cs := C.CString(sql)
	defer C.free(unsafe.Pointer(cs))
	if rc := C.ozs_exec(c.db, cs); rc != 0 {
		return c.err(rc)
	}
	return nil
}

// stmt is the prepared statement for sql, prepared once per connection.
func (c *rawConn) stmt(sql string) (*C.sqlite3_stmt, error) {
	if st, ok := c.stmts[sql]; ok {
		return st, nil
	}
	cs := C.CString(sql)
	defer C.free(unsafe.Pointer(cs))
	var st *C.sqlite3_stmt
	if rc := C.ozs_prepare(c.db, cs, C.int(len(sql)), &st); rc != 0 {
		return nil, c.err(rc)
	}
	c.stmts[sql] = st
	return st, nil
}

// execRows runs the rows of b through st, per rows at a time through
// multi if it is not nil (st's statement with per rows of arguments). On
// an error, row is the first row of the statement that failed.
func (c *rawConn) execRows(st, multi *C.sqlite3_stmt, per int, types string, b *rowBuf) (row int, err error) {
	if len(b.offs) == 0 {
		return 0, nil
	}
	if n := int(C.ozs_param_count(st)); n != len(types) {
		return 0, fmt.Errorf("store: statement takes %d arguments, rows have %d columns", n, len(types))
	}
	if multi != nil {
		if n := int(C.ozs_param_count(multi)); n != per*len(types) {
			return 0, fmt.Errorf("store: statement takes %d arguments, %d rows have %d columns", n, per, per*len(types))
		}
	}
	if uint64(len(b.b)) > math.MaxUint32 {
		return 0, errors.New("store: more than 4 GiB of rows in one table of one batch")
	}
	var done C.int
	rc := C.ozs_exec_rows(st, multi, C.int(per), (*C.char)(unsafe.Pointer(unsafe.StringData(types))), C.int(len(types)),
		(*C.uchar)(unsafe.Pointer(&b.b[0])), C.size_t(len(b.b)),
		(*C.uint32_t)(unsafe.Pointer(&b.offs[0])), C.int(len(b.offs)), &done)
	if rc != 0 {
		return int(done), c.err(rc)
	}
	return int(done), nil
}

// query runs st and calls row for each result row, its columns (as types
// says: 'i' int64, 't' text) read with a rowReader. The reader's texts are
// views of a buffer reused by the next chunk: row copies what it keeps.
func (c *rawConn) query(st *C.sqlite3_stmt, types string, buf []byte, row func(r *rowReader)) ([]byte, error) {
	const sqliteRow, sqliteDone, sqliteTooBig = 100, 101, 18
	if n := int(C.ozs_column_count(st)); n != len(types) {
		return buf, fmt.Errorf("store: query has %d columns, %d expected", n, len(types))
	}
	defer C.ozs_reset(st)
	var pending C.int
	for {
		var used C.size_t
		var n C.int
		rc := C.ozs_query_rows(st, (*C.char)(unsafe.Pointer(unsafe.StringData(types))), C.int(len(types)),
			(*C.uchar)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)), &used, &n, &pending)
		switch rc {
		case sqliteRow, sqliteDone:
		case sqliteTooBig:
			buf = make([]byte, 2*len(buf))
			continue
		default:
			return buf, c.err(rc)
		}
		r := rowReader{b: buf[:used]}
		for i := 0; i < int(n); i++ {
			row(&r)
			if r.err != nil {
				return buf, r.err
			}
		}
		if rc == sqliteDone {
			return buf, nil
		}
	}
}

// releaseMemory frees what of the connection's page cache it can
// (PRAGMA shrink_memory).
func (c *rawConn) releaseMemory() { C.ozs_release_memory(c.db) }
