package rules

import (
	"embed"
)

// builtinFS holds the built-in rules, one YAML file per rule, named after
// the rule id.
//
//go:embed builtin/*.yaml
var builtinFS embed.FS

// Builtin parses the embedded built-in rules. They are validated by the
// tests, so an error here means a broken build.
func Builtin() ([]*Rule, error) {
	return LoadFS(builtinFS, "builtin", OriginBuiltin)
}

// BuiltinFS exposes the embedded rule files (for `rules list --show` and
// documentation generation).
func BuiltinFS() embed.FS { return builtinFS }
