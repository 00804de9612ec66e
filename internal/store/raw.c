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

// bind_row binds the row at p to st's parameters from first on; it
// returns the end of the row, or 0 on an error (*rc says which).
static const unsigned char *bind_row(sqlite3_stmt *st, int first, const char *types, int ncol, const unsigned char *p,
		const unsigned char *end, int *rc) {
	int c;
	for (c = 0; c < ncol; c++) {
		switch (types[c]) {
		case 'i': {
			long long v;
			if (end - p < 8) goto misuse;
			memcpy(&v, p, 8);
			p += 8;
			*rc = sqlite3_bind_int64(st, first + c, v);
			break;
		}
		case 'd': {
			double v;
			if (end - p < 8) goto misuse;
			memcpy(&v, p, 8);
			p += 8;
			*rc = sqlite3_bind_double(st, first + c, v);
			break;
		}
		case 't': {
			uint32_t l;
			if (end - p < 4) goto misuse;
			memcpy(&l, p, 4);
			p += 4;
			if ((size_t)(end - p) < l || l > 0x7fffffff) goto misuse;
			// SQLITE_STATIC: buf outlives the step that reads it; an
			// empty text still binds as '' (never NULL) through the
			// non-NULL pointer p.
			*rc = sqlite3_bind_text(st, first + c, (const char *)p, (int)l, SQLITE_STATIC);
			p += l;
			break;
		}
		default:
			goto misuse;
		}
		if (*rc != SQLITE_OK) return 0;
	}
	return p;
misuse:
	*rc = SQLITE_MISUSE;
	return 0;
}

// run steps st (a statement without result rows) once and resets it.
static int run(sqlite3_stmt *st) {
	int rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		sqlite3_reset(st);
		return rc == SQLITE_ROW ? SQLITE_MISUSE : rc;
	}
	return sqlite3_reset(st);
}

int ozs_exec_rows(sqlite3_stmt *st, sqlite3_stmt *multi, int per, const char *types, int ncol, const unsigned char *buf,
		size_t len, const uint32_t *offs, int n, int *done) {
	const unsigned char *end = buf + len;
	int r = 0, k, rc = SQLITE_OK;
	*done = 0;
	// Whole groups of per rows through the multi-row statement, one step
	// each, the rest one by one.
	if (multi && per > 1) {
		for (; n - r >= per; r += per) {
			for (k = 0; k < per; k++) {
				if (offs[r + k] >= len) return SQLITE_MISUSE;
				if (!bind_row(multi, k * ncol + 1, types, ncol, buf + offs[r + k], end, &rc)) return rc;
			}
			if ((rc = run(multi)) != SQLITE_OK) return rc;
			*done = r + per;
		}
	}
	for (; r < n; r++) {
		if (offs[r] >= len) return SQLITE_MISUSE;
		if (!bind_row(st, 1, types, ncol, buf + offs[r], end, &rc)) return rc;
		if ((rc = run(st)) != SQLITE_OK) return rc;
		*done = r + 1;
	}
	return SQLITE_OK;
}

#define MAXCOL 32

int ozs_query_rows(sqlite3_stmt *st, const char *types, int ncol, unsigned char *buf, size_t cap, size_t *used, int *nrows, int *pending) {
	unsigned char *p = buf;
	const unsigned char *txt[MAXCOL];
	uint32_t len[MAXCOL];
	long long num[MAXCOL];
	int c, rc;
	*nrows = 0;
	*used = 0;
	if (ncol > MAXCOL) return SQLITE_MISUSE;
	for (;;) {
		if (!*pending) {
			rc = sqlite3_step(st);
			if (rc == SQLITE_DONE) return SQLITE_DONE;
			if (rc != SQLITE_ROW) return rc;
		}
		*pending = 0;
		// Each column read once; the room the row needs.
		size_t need = 0;
		for (c = 0; c < ncol; c++) {
			if (types[c] == 'i') {
				num[c] = sqlite3_column_int64(st, c);
				need += 8;
			} else if (types[c] == 'T' && sqlite3_column_type(st, c) == SQLITE_NULL) {
				txt[c] = 0;
				len[c] = 0xffffffff;
				need += 4;
			} else {
				txt[c] = sqlite3_column_text(st, c); // converts first, so the size is the text's
				len[c] = (uint32_t)sqlite3_column_bytes(st, c);
				need += 4 + (size_t)len[c];
			}
		}
		if (need > cap - (size_t)(p - buf)) {
			*pending = 1;
			*used = (size_t)(p - buf);
			return *nrows == 0 ? SQLITE_TOOBIG : SQLITE_ROW;
		}
		for (c = 0; c < ncol; c++) {
			if (types[c] == 'i') {
				memcpy(p, &num[c], 8);
				p += 8;
				continue;
			}
			memcpy(p, &len[c], 4);
			p += 4;
			if (txt[c] && len[c] != 0xffffffff) {
				memcpy(p, txt[c], len[c]);
				p += len[c];
			}
		}
		(*nrows)++;
		*used = (size_t)(p - buf);
	}
}
