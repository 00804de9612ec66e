package cmdutil

import "testing"

func TestTablePrinter(t *testing.T) {
	for _, tc := range []struct {
		name string
		tty  bool
		want string
	}{
		{"piped", false, "a1\tplc-1\nbb2\tevil\\x1b[31m\\tx\\ny\n"},
		{"tty", true, "ID   NAME\na1   plc-1\nbb2  evil\\x1b[31m\\tx\\ny\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ios, _, out, _ := Test()
			ios.SetStdoutTTY(tc.tty)
			tp := NewTablePrinter(ios)
			tp.Header("ID", "NAME")
			tp.AddField("a1")
			tp.AddField("plc-1")
			tp.EndRow()
			tp.AddField("bb2")
			tp.AddField("evil\x1b[31m\tx\ny")
			tp.EndRow()
			if err := tp.Render(); err != nil {
				t.Fatal(err)
			}
			if out.String() != tc.want {
				t.Errorf("got\n%q\nwant\n%q", out.String(), tc.want)
			}
		})
	}
}

func TestEscapeTerminal(t *testing.T) {
	for in, want := range map[string]string{
		"plain name":                "plain name",
		"Grüße":                     "Grüße",
		"\x1b[2J\x1b]0;pwned\x07":   `\x1b[2J\x1b]0;pwned\x07`,
		"line1\r\nline2":            `line1\r\nline2`,
		"bidi\u202etxt.exe":         `bidi\u202etxt.exe`,
		"\xff\xfe":                  `\xff\xfe`,
		"c1\u009b31m":               `c1\x9b31m`,
		"row\u2028| fake | row |":   `row\u2028| fake | row |`,
		"para\u2029x":               `para\u2029x`,
		"<script>alert(1)</script>": "<script>alert(1)</script>", // harmless on a terminal
	} {
		if got := EscapeTerminal(in); got != want {
			t.Errorf("EscapeTerminal(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEscapeCSVCell(t *testing.T) {
	for in, want := range map[string]string{
		"=cmd|' /C calc'!A0": "'=cmd|' /C calc'!A0",
		"+1+1":               "'+1+1",
		"-2+3":               "'-2+3",
		"@SUM(A1)":           "'@SUM(A1)",
		"\tx":                "'\tx",
		"\rx":                "'\rx",
		"plc-1":              "plc-1",
		"":                   "",
	} {
		if got := EscapeCSVCell(in); got != want {
			t.Errorf("EscapeCSVCell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestExitCode(t *testing.T) {
	var printed []string
	p := func(s string) { printed = append(printed, s) }
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, 0},
		{FlagErrorf("bad flag"), 2},
		{ErrSilent, 1},
		{errUnknownCmd{}, 2},
		{errPlain{}, 1},
	} {
		if got := ExitCode(tc.err, p); got != tc.want {
			t.Errorf("ExitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
	if len(printed) != 3 {
		t.Errorf("printed %q: the silent error and nil print nothing", printed)
	}
}

type errUnknownCmd struct{}

func (errUnknownCmd) Error() string { return `unknown command "x" for "otzone"` }

type errPlain struct{}

func (errPlain) Error() string { return "disk full" }
