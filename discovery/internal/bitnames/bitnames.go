// Package bitnames renders capability bit maps (LLDP, CDP) as
// comma-separated names.
package bitnames

import "strconv"

// Join names the set bits of the low width bits of v, low bit first,
// comma-separated: names[i] for bit i, "bitN" for bits past the names.
func Join(v uint64, width int, names []string) string {
	s := ""
	for i := 0; i < width; i++ {
		if v&(1<<i) == 0 {
			continue
		}
		if s != "" {
			s += ","
		}
		if i < len(names) {
			s += names[i]
		} else {
			s += "bit" + strconv.Itoa(i)
		}
	}
	return s
}
