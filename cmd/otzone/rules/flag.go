// Package rules is `otzone rules list` and `otzone rules check FILE`, and
// the --rules DIR flag every command that uses rules shares (zones, diff,
// assets, assess, export).
package rules

import (
	"context"
	"os"
	"sync"

	"github.com/spf13/cobra"

	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/rules"
)

// EnvRules names the environment variable that gives a user rule directory
// when --rules is absent.
const EnvRules = "OTZONE_RULES"

// The --rules value of this process. It is set only while cobra parses
// flags (one command per process), and read by Load; it is the CLI's
// configuration, not library state: the libraries take a *rules.RuleSet.
var (
	mu      sync.Mutex
	userDir string
	userSet bool
)

type dirValue struct{}

func (dirValue) String() string {
	mu.Lock()
	defer mu.Unlock()
	return userDir
}

func (dirValue) Set(s string) error {
	mu.Lock()
	defer mu.Unlock()
	userDir, userSet = s, true
	return nil
}

func (dirValue) Type() string { return "DIR" }

// AddRulesFlag adds --rules DIR to cmd and its verbs (call it on a noun:
// zones, diff, assets, assess, export).
func AddRulesFlag(cmd *cobra.Command) {
	cmd.PersistentFlags().Var(dirValue{}, "rules", "also load the user rules in `DIR` (*.yaml; default $"+EnvRules+")")
}

// Dir is the user rule directory: --rules, else $OTZONE_RULES, else "".
func Dir() string {
	mu.Lock()
	defer mu.Unlock()
	if userSet {
		return userDir
	}
	return os.Getenv(EnvRules)
}

// Load returns the built-in rules plus the user rules of Dir().
func Load() (*rules.RuleSet, error) { return rules.Load(Dir()) }

// Classify is the cmdutil.Factory.Classify hook (root.go installs it):
// device types, Purdue levels and decisions from the loaded rules.
func Classify(_ context.Context, inv *inventory.Inventory) error {
	rs, err := Load()
	if err != nil {
		return err
	}
	return rules.Classify(inv, rs)
}
