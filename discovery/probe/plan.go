package probe

import (
	"encoding/hex"
	"fmt"
	"io"
)

// Planned is one request a probe would send, for --dry-run.
type Planned struct {
	Protocol string
	Target   Target
	// Wire is the exact bytes of the request (for Modbus the whole ADU).
	Wire []byte
	What string
	// Condition is empty for a request that is always sent, else when it is
	// sent ("if unit 0 gave no identity").
	Condition string
}

// WritePlan prints a dry-run plan, one request per line:
//
//	modbus 10.0.0.5:502  000100000005002b0e0100  read_device_identification basic unit=0
func WritePlan(w io.Writer, plan []Planned) error {
	for _, p := range plan {
		cond := ""
		if p.Condition != "" {
			cond = "  [only " + p.Condition + "]"
		}
		if _, err := fmt.Fprintf(w, "%s %s  %s  %s%s\n", p.Protocol, p.Target, hex.EncodeToString(p.Wire), p.What, cond); err != nil {
			return err
		}
	}
	return nil
}
