package cmdutil

import "testing"

func TestHumanBytes(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{
		{0, "0 B"},
		{1023, "1023 B"},
		{1024, "1.0 KiB"},
		{1536, "1.5 KiB"},          // 1536/1024
		{5 << 20, "5.0 MiB"},       // 5*2^20
		{3 << 30, "3.0 GiB"},       // 3*2^30
		{1<<62 + 1<<61, "6.0 EiB"}, // 6*2^60
	} {
		if got := HumanBytes(c.n); got != c.want {
			t.Errorf("HumanBytes(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}
