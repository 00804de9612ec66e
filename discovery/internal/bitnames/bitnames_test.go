package bitnames

import "testing"

func TestJoin(t *testing.T) {
	names := []string{"a", "b", "c"}
	for _, c := range []struct {
		v     uint64
		width int
		want  string
	}{
		{0, 16, ""},
		{0b101, 16, "a,c"},
		{0b1010, 16, "b,bit3"},
		{1<<15 | 1, 16, "a,bit15"},
		{1 << 16, 16, ""}, // past width
		{1 << 31, 32, "bit31"},
	} {
		if got := Join(c.v, c.width, names); got != c.want {
			t.Errorf("Join(%#b, %d) = %q, want %q", c.v, c.width, got, c.want)
		}
	}
}
