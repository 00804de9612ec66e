//go:build !cgo

package store

// otzone stores its inventory in SQLite through github.com/mattn/go-sqlite3,
// which needs cgo. A cgo-less build would compile and then fail at run time
// with "Binary was compiled with 'CGO_ENABLED=0'", so this file stops the
// build instead. Build with CGO_ENABLED=1 and a C compiler (gcc).
const otzoneNeedsCGO_ENABLED_1 = "otzone needs cgo: build with CGO_ENABLED=1 (SQLite via mattn/go-sqlite3)"

var _ = otzoneNeedsCGO_ENABLED_1 + BUILD_WITH_CGO_ENABLED_1_otzone_uses_cgo_sqlite

// The raw connection's declarations (raw.go is cgo), so that the line
// above is the build's only error.
type (
	cstmt   struct{}
	rawConn struct{}
)

func openRaw(string, bool) (*rawConn, error)                                    { return nil, nil }
func (*rawConn) close() error                                                   { return nil }
func (*rawConn) exec(string) error                                              { return nil }
func (*rawConn) stmt(string) (*cstmt, error)                                    { return nil, nil }
func (*rawConn) releaseMemory()                                                 {}
func (*rawConn) execRows(_, _ *cstmt, _ int, _ string, _ *rowBuf) (int, error)  { return 0, nil }
func (*rawConn) query(*cstmt, string, []byte, func(*rowReader)) ([]byte, error) { return nil, nil }
