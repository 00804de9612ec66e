package inventory

import "testing"

func TestCSVCell(t *testing.T) {
	for in, want := range map[string]string{
		"plc-1":                   "plc-1",
		"=cmd|' /C calc'!A0":      "'=cmd|' /C calc'!A0",
		"+1":                      "'+1",
		"-1":                      "'-1",
		"@SUM(A1)":                "'@SUM(A1)",
		"\t=1":                    "'\t=1",
		"\r=1":                    "'\r=1",
		"a\x1bb\x00c\u009bd":      "a b c d",
		"evil\u202etxt.exe":       "eviltxt.exe",
		"\u202e=cmd":              "'=cmd", // a dropped format character cannot hide a formula
		"zero\u200bwidth\ufeff":   "zerowidth",
		"line\u2028sep\u2029para": "line sep para",
		"\u200b":                  "",
		"Grüße 温度":                "Grüße 温度",
	} {
		if got := CSVCell(in); got != want {
			t.Errorf("CSVCell(%q) = %q, want %q", in, got, want)
		}
	}
}
