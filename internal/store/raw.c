// raw.c: batch binding and reading of SQLite rows in C, so a batch of
// rows costs one cgo call instead of one per column (see raw.go).

#include <string.h>
#include "raw.h"

// From sqlite3.h (SQLite 3).
#define SQLITE_OK 0
#define SQLITE_ROW 100
#define SQLITE_DONE 101
#define SQLITE_MISUSE 21
#define SQLITE_TOOBIG 18
#define SQLITE_OPEN_READONLY 0x00000001
#define SQLITE_OPEN_READWRITE 0x00000002
#define SQLITE_OPEN_URI 0x00000040
#define SQLITE_OPEN_NOMUTEX 0x00008000
#define SQLITE_STATIC ((void (*)(void *))0)

int sqlite3_open_v2(const char *filename, sqlite3 **db, int flags, const char *vfs);
int sqlite3_close_v2(sqlite3 *db);
int sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **), void *arg, char **errmsg);
const char *sqlite3_errmsg(sqlite3 *db);
int sqlite3_extended_result_codes(sqlite3 *db, int onoff);
int sqlite3_busy_timeout(sqlite3 *db, int ms);
int sqlite3_prepare_v2(sqlite3 *db, const char *sql, int n, sqlite3_stmt **st, const char **tail);
int sqlite3_finalize(sqlite3_stmt *st);
int sqlite3_reset(sqlite3_stmt *st);
int sqlite3_step(sqlite3_stmt *st);
int sqlite3_bind_int64(sqlite3_stmt *st, int i, long long v);
int sqlite3_bind_double(sqlite3_stmt *st, int i, double v);
int sqlite3_bind_text(sqlite3_stmt *st, int i, const char *v, int n, void (*destructor)(void *));
long long sqlite3_column_int64(sqlite3_stmt *st, int i);
const unsigned char *sqlite3_column_text(sqlite3_stmt *st, int i);
int sqlite3_column_bytes(sqlite3_stmt *st, int i);
int sqlite3_column_type(sqlite3_stmt *st, int i);
int sqlite3_column_count(sqlite3_stmt *st);
int sqlite3_bind_parameter_count(sqlite3_stmt *st);
#define SQLITE_NULL 5
int sqlite3_db_release_memory(sqlite3 *db);

int ozs_open(const char *uri, int readonly, sqlite3 **db) {
	int flags = SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX | (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE);
	int rc = sqlite3_open_v2(uri, db, flags, 0);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(*db, 10000);
	}
	return rc;
}

int ozs_close(sqlite3 *db) { return sqlite3_close_v2(db); }

int ozs_exec(sqlite3 *db, const char *sql) { return sqlite3_exec(db, sql, 0, 0, 0); }

const char *ozs_errmsg(sqlite3 *db) { return sqlite3_errmsg(db); }

int ozs_prepare(sqlite3 *db, const char *sql, int n, sqlite3_stmt **st) {
	return sqlite3_prepare_v2(db, sql, n, st, 0);
}

int ozs_finalize(sqlite3_stmt *st) { return sqlite3_finalize(st); }

int ozs_reset(sqlite3_stmt *st) { return sqlite3_reset(st); }

int ozs_column_count(sqlite3_stmt *st) { return sqlite3_column_count(st); }

int ozs_param_count(sqlite3_stmt *st) { return sqlite3_bind_parameter_count(st); }

int ozs_release_memory(sqlite3 *db) { return sqlite3_db_release_memory(db); }

int ozs_exec_rows(sqlite3_stmt *st, const char *types, int ncol, const unsigned char *buf, size_t len, const uint32_t *offs, int n, int *done) {
	const unsigned char *p, *end = buf + len;
	int r, c, rc;
	*done = 0;
	for (r = 0; r < n; r++) {
		if (offs[r] >= len) return SQLITE_MISUSE;
		p = buf + offs[r];
		for (c = 0; c < ncol; c++) {
			switch (types[c]) {
			case 'i': {
				long long v;
				if (end - p < 8) return SQLITE_MISUSE;
				memcpy(&v, p, 8);
				p += 8;
				rc = sqlite3_bind_int64(st, c + 1, v);
				break;
			}
			case 'd': {
				double v;
				if (end - p < 8) return SQLITE_MISUSE;
				memcpy(&v, p, 8);
				p += 8;
				rc = sqlite3_bind_double(st, c + 1, v);
				break;
			}
			case 't': {
				uint32_t l;
				if (end - p < 4) return SQLITE_MISUSE;
				memcpy(&l, p, 4);
				p += 4;
				if ((size_t)(end - p) < l || l > 0x7fffffff) return SQLITE_MISUSE;
				// SQLITE_STATIC: buf outlives the step that reads it; an
				// empty text still binds as '' (never NULL) through the
				// non-NULL pointer p.
				rc = sqlite3_bind_text(st, c + 1, (const char *)p, (int)l, SQLITE_STATIC);
				p += l;
				break;
			}
			default:
				return SQLITE_MISUSE;
			}
			if (rc != SQLITE_OK) return rc;
		}
		rc = sqlite3_step(st);
		if (rc != SQLITE_DONE) {
			sqlite3_reset(st);
			return rc == SQLITE_ROW ? SQLITE_MISUSE : rc;
		}
		rc = sqlite3_reset(st);
		if (rc != SQLITE_OK) return rc;
		(*done)++;
	}
	return SQLITE_OK;
}

// rowSize is the room row needs in ozs_query_rows's format.
static size_t row_size(sqlite3_stmt *st, const char *types, int ncol) {
	size_t n = 0;
	int c;
	for (c = 0; c < ncol; c++) {
		if (types[c] == 't' || types[c] == 'T') {
			sqlite3_column_text(st, c); // converts first, so the size is the text's
			n += 4 + (size_t)sqlite3_column_bytes(st, c);
		} else {
			n += 8;
		}
	}
	return n;
}

int ozs_query_rows(sqlite3_stmt *st, const char *types, int ncol, unsigned char *buf, size_t cap, size_t *used, int *nrows, int *pending) {
	unsigned char *p = buf;
	int c, rc;
	*nrows = 0;
	*used = 0;
	for (;;) {
		if (!*pending) {
			rc = sqlite3_step(st);
			if (rc == SQLITE_DONE) return SQLITE_DONE;
			if (rc != SQLITE_ROW) return rc;
		}
		*pending = 0;
		size_t need = row_size(st, types, ncol);
		if (need > cap - (size_t)(p - buf)) {
			*pending = 1;
			*used = (size_t)(p - buf);
			return *nrows == 0 ? SQLITE_TOOBIG : SQLITE_ROW;
		}
		for (c = 0; c < ncol; c++) {
			if (types[c] == 'T' && sqlite3_column_type(st, c) == SQLITE_NULL) {
				uint32_t l = 0xffffffff;
				memcpy(p, &l, 4);
				p += 4;
			} else if (types[c] == 't' || types[c] == 'T') {
				const unsigned char *t = sqlite3_column_text(st, c);
				uint32_t l = (uint32_t)sqlite3_column_bytes(st, c);
				memcpy(p, &l, 4);
				p += 4;
				if (l) memcpy(p, t, l);
				p += l;
			} else {
				long long v = sqlite3_column_int64(st, c);
				memcpy(p, &v, 8);
				p += 8;
			}
		}
		(*nrows)++;
		*used = (size_t)(p - buf);
	}
}
