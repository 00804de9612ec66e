package probe

import (
	"fmt"

	"github.com/otzone/otzone/discovery/modbus"
	"github.com/otzone/otzone/discovery/probe"
)

// Plan lists every request a run with these options may send, as whole
// Modbus/TCP ADUs, for --dry-run. Requests that depend on a reply carry
// their condition. Transaction ids are numbered as if every listed request
// of a target were sent on one connection. Replies with "more follows" repeat
// a stream request from the object id the device names (at most 16 times):
// those follow-ups cannot be known in advance and are noted, not listed.
func Plan(targets []probe.Target, opt Options) ([]probe.Planned, error) {
	opt.defaults()
	units, dflt := opt.UnitIDs, false
	if len(units) == 0 {
		units, dflt = DefaultUnitIDs, true
	}
	var out []probe.Planned
	for _, t := range targets {
		var txid uint16
		add := func(unit uint8, r Request, err error, cond string) error {
			if err != nil {
				return err
			}
			txid++
			out = append(out, probe.Planned{Protocol: "modbus", Target: t,
				Wire: modbus.AppendADU(nil, txid, unit, r.pdu), What: fmt.Sprintf("unit=%d %s", unit, r), Condition: cond})
			return nil
		}
		for i, u := range units {
			base := ""
			if dflt && i > 0 {
				base = "if no earlier unit id gave an identity"
			}
			and := func(c string) string {
				if base == "" {
					return c
				}
				return base + ", " + c
			}
			r, err := DeviceID(modbus.DevIDBasic, 0)
			if err := add(u, r, err, base); err != nil {
				return nil, err
			}
			r, err = DeviceID(modbus.DevIDRegular, modbus.ObjVendorURL)
			if err := add(u, r, err, and("if the device declares conformity level regular or extended")); err != nil {
				return nil, err
			}
			r, err = DeviceID(modbus.DevIDExtended, 0x80)
			if err := add(u, r, err, and("if the device declares conformity level extended")); err != nil {
				return nil, err
			}
			for obj := modbus.ObjectID(0); obj < maxIndividual; obj++ {
				r, err = DeviceID(modbus.DevIDIndividual, obj)
				if err := add(u, r, err, and("if stream access is refused with an exception")); err != nil {
					return nil, err
				}
			}
			cond := and("if the unit did not answer with a gateway exception")
			if opt.ReportServerID {
				r, err = ReportServerID()
				if err := add(u, r, err, cond); err != nil {
					return nil, err
				}
			}
			for _, s := range opt.Reads {
				r, err = Read(s.Function, s.Start, uint16(s.Count))
				if err := add(u, r, err, cond); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}
