// raw.h: the few SQLite C API calls otzone's store makes directly, declared
// here because the SQLite library is compiled (or linked) by the
// github.com/mattn/go-sqlite3 package, not by this one. These declarations
// match sqlite3.h of every SQLite 3 release.

#ifndef OTZONE_STORE_RAW_H
#define OTZONE_STORE_RAW_H

#include <stddef.h>
#include <stdint.h>

typedef struct sqlite3 sqlite3;
typedef struct sqlite3_stmt sqlite3_stmt;

int ozs_open(const char *uri, int readonly, sqlite3 **db);
int ozs_close(sqlite3 *db);
int ozs_exec(sqlite3 *db, const char *sql);
const char *ozs_errmsg(sqlite3 *db);
int ozs_prepare(sqlite3 *db, const char *sql, int n, sqlite3_stmt **st);
int ozs_finalize(sqlite3_stmt *st);
int ozs_reset(sqlite3_stmt *st);
int ozs_column_count(sqlite3_stmt *st);
int ozs_param_count(sqlite3_stmt *st);
int ozs_release_memory(sqlite3 *db);

// ozs_exec_rows runs the n rows of buf that start at offs[0], offs[1]...
// in that order (columns as types says: 'i' int64, 'd' double, 't' text):
// per rows at a time through multi (if not NULL: st's statement with per
// rows of arguments), the rest through st. It stops at the first error;
// *done is the number of rows run before it.
int ozs_exec_rows(sqlite3_stmt *st, sqlite3_stmt *multi, int per, const char *types, int ncol, const unsigned char *buf,
		size_t len, const uint32_t *offs, int n, int *done);

// ozs_query_rows steps st and appends rows to buf (columns as types says:
// 'i' int64, 't' text, 'T' text or NULL: length 0xffffffff) until the statement is done or the next row does not
// fit; *pending says a row was stepped but not yet written (set by the call
// that stopped for room, read by the next one).
int ozs_query_rows(sqlite3_stmt *st, const char *types, int ncol, unsigned char *buf, size_t cap, size_t *used, int *nrows, int *pending);

#endif
