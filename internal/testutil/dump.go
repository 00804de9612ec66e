package testutil

import (
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// FactTables are the inventory's fact tables, as the store's migrations
// create them.
var FactTables = []string{"hosts", "attributes", "services", "communications", "operations", "comm_attributes"}

// DumpTables is every fact table's rows, each column typed and hex encoded
// (byte-exact: NUL, invalid UTF-8; reals to 20 digits), sorted: two
// databases with equal dumps hold the same facts. The caller opens db
// with a registered SQLite driver.
func DumpTables(t testing.TB, db *sql.DB) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, table := range FactTables {
		rows, err := db.Query(`SELECT name FROM pragma_table_info(?)`, table)
		if err != nil {
			t.Fatal(err)
		}
		var cols []string
		for rows.Next() {
			var c string
			rows.Scan(&c)
			cols = append(cols, fmt.Sprintf(`typeof(%[1]s) || ':' || CASE typeof(%[1]s) WHEN 'real' THEN printf('%%!.20e', %[1]s) ELSE hex(%[1]s) END`, c))
		}
		rows.Close()
		if len(cols) == 0 {
			t.Fatalf("table %s: no columns (not an otzone database?)", table)
		}
		rows, err = db.Query(`SELECT ` + strings.Join(cols, ` || '|' || `) + ` FROM ` + table)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out[table] = append(out[table], s)
		}
		rows.Close()
		slices.Sort(out[table])
	}
	return out
}
