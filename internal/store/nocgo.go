//go:build !cgo

package store

// otzone stores its inventory in SQLite through github.com/mattn/go-sqlite3,
// which needs cgo. A cgo-less build would compile and then fail at run time
// with "Binary was compiled with 'CGO_ENABLED=0'", so this file stops the
// build instead. Build with CGO_ENABLED=1 and a C compiler (gcc).
const otzoneNeedsCGO_ENABLED_1 = "otzone needs cgo: build with CGO_ENABLED=1 (SQLite via mattn/go-sqlite3)"

var _ = otzoneNeedsCGO_ENABLED_1 + BUILD_WITH_CGO_ENABLED_1_otzone_uses_cgo_sqlite
