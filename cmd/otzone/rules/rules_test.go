package rules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otzone/otzone/cmd/otzone/cmdutil"
	"github.com/otzone/otzone/rules"
)

func TestNewCmdList(t *testing.T) {
	for _, tc := range []struct {
		argv    []string
		wantErr string
		format  string
		kind    string
	}{
		{nil, "", "table", ""},
		{[]string{"--format", "json", "--kind", "zone"}, "", "json", "zone"},
		{[]string{"--format", "xml"}, `--format "xml"`, "", ""},
		{[]string{"--kind", "magic"}, `--kind "magic"`, "", ""},
		{[]string{"extra"}, "unexpected argument", "", ""},
	} {
		ios, _, _, _ := cmdutil.Test()
		var got *ListOptions
		cmd := NewCmdList(&cmdutil.Factory{IOStreams: ios}, func(o *ListOptions) error { got = o; return nil })
		cmd.SetArgs(append([]string{}, tc.argv...)) // never nil: cobra would read os.Args (go test -update)
		cmd.SetOut(ios.Out)
		cmd.SetErr(ios.ErrOut)
		err := cmd.Execute()
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%v: err %v, want %q", tc.argv, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got.Format != tc.format || got.Kind != tc.kind {
			t.Errorf("%v: %v %+v", tc.argv, err, got)
		}
	}
}

func TestListRun(t *testing.T) {
	ios, _, out, _ := cmdutil.Test()
	err := runList(&ListOptions{IO: ios, Load: func() (*rules.RuleSet, error) { return rules.Load("") }, Format: "table", Kind: "zone"})
	if err != nil {
		t.Fatal(err)
	}
	// Piped: tab-separated rows, no header; only zone rules.
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) < 5 {
		t.Fatalf("zone rules: %q", out.String())
	}
	for _, l := range lines {
		f := strings.Split(l, "\t")
		if len(f) != 5 || f[1] != "zone" || f[3] != "builtin" {
			t.Errorf("row %q", l)
		}
	}
	if !strings.Contains(out.String(), "zone-level-control\tzone\t10\tbuiltin\t") {
		t.Errorf("zone-level-control missing:\n%s", out.String())
	}
	ios, _, out, _ = cmdutil.Test()
	if err := runList(&ListOptions{IO: ios, Load: func() (*rules.RuleSet, error) { return rules.Load("") }, Format: "json"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"id": "plc-s7-identity"`) || !strings.Contains(out.String(), `"source": "builtin"`) {
		t.Errorf("json: %s", out.String())
	}
}

func TestCheckRun(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.yaml", "id: site-plc\nkind: classify\ntitle: t\npriority: 100\nwhen: {network: {cidr: 10.1.0.0/16}}\nset: {device_type: plc, purdue_level: 1}\nbecause: the PLC subnet\n")
	badRule := write("bad.yaml", "id: site-plc\nkind: classify\ntitle: t\nwhen: {offerz: {protocol: modbus}}\nset: {device_type: plc}\nbecause: b\n")
	clash := write("clash.yaml", "id: plc-modbus-server\nkind: classify\ntitle: t\nwhen: {offers: {protocol: modbus}}\nset: {device_type: plc}\nbecause: b\n")
	model := write("model.yaml", "zones:\n  - id: a\n    kind: control\n    members: {vlans: [10]}\n")
	badModel := write("badmodel.yaml", "zones:\n  - id: cell-3\n    kind: control\n    sl_target: 5\n    members: {vlans: [10]}\n")

	ios, _, out, errOut := cmdutil.Test()
	if err := runCheck(&CheckOptions{IO: ios, Files: []string{good, model}}); err != nil {
		t.Fatalf("%v %s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "good.yaml: ok (1 rule)") || !strings.Contains(out.String(), "model.yaml: ok (designed model: 1 zones, 0 conduits)") {
		t.Errorf("out: %s", out.String())
	}
	ios, _, out, errOut = cmdutil.Test()
	err := runCheck(&CheckOptions{IO: ios, Files: []string{badRule, clash, badModel, filepath.Join(dir, "missing.yaml"), good}})
	if err != cmdutil.ErrSilent {
		t.Fatalf("err = %v, want ErrSilent (exit 1)", err)
	}
	for _, want := range []string{
		badRule + `:4:8: unknown field "offerz" in when`,
		clash + `:1:1: rule "plc-modbus-server": a built-in rule has this id; set override: true`,
		badModel + `:4:16: zone "cell-3": unknown sl_target "5"`,
		"missing.yaml: no such file",
	} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut.String())
		}
	}
	if !strings.Contains(out.String(), "good.yaml: ok") {
		t.Errorf("good file after bad ones not checked: %s", out.String())
	}
}

func TestDirFlag(t *testing.T) {
	t.Setenv(EnvRules, "/from/env")
	mu.Lock()
	userDir, userSet = "", false
	mu.Unlock()
	if Dir() != "/from/env" {
		t.Errorf("Dir() = %q, want the environment", Dir())
	}
	if err := (dirValue{}).Set("/from/flag"); err != nil {
		t.Fatal(err)
	}
	if Dir() != "/from/flag" {
		t.Errorf("Dir() = %q, want the flag", Dir())
	}
	mu.Lock()
	userDir, userSet = "", false
	mu.Unlock()
}
