package modbus

import (
	"encoding/hex"
	"hash/fnv"
	"strconv"

	"github.com/otzone/otzone/discovery"
)

// Confidences of identity facts, shared by the dissector and the probe.
const (
	// ConfIdentity: a Read Device Identification reply from the device itself.
	ConfIdentity = 0.95
	ConfUnitID   = 0.9
	// ConfServerID: FC 17 content is device specific.
	ConfServerID = 0.6
)

// DirectUnit reports whether a unit id addresses the TCP device itself
// rather than a device behind it: 0 and 255 by the Modbus/TCP
// implementation guide (4.4.1.3), and 1 by overwhelming convention.
func DirectUnit(u uint8) bool { return u == 0 || u == 255 || u == 1 }

// SubEndpoint is the endpoint of unit id u behind the gateway gw.
func SubEndpoint(gw discovery.Endpoint, u uint8) discovery.Endpoint {
	gw.Sub = "modbus:unit=" + strconv.Itoa(int(u))
	return gw
}

const (
	routeUnknown uint8 = iota
	routeDirect
	routeSub
)

// UnitRouter decides, per TCP server, whether the identity a unit id
// returns is the server's own or that of a device behind it (doc.go,
// "Gateways"). The zero value is ready; it holds 264 bytes.
type UnitRouter struct {
	route    [256]uint8
	directFP uint64
}

// Sub reports whether the identity r returned for unit belongs to a
// device behind the server (an Endpoint with Sub "modbus:unit=N").
func (u *UnitRouter) Sub(unit uint8, r *DeviceIDResponse) bool {
	fp := fingerprint(r)
	switch {
	case DirectUnit(unit):
		u.route[unit] = routeDirect
		if fp != 0 {
			u.directFP = fp
		}
	case u.route[unit] == routeUnknown:
		if fp != 0 && fp == u.directFP {
			u.route[unit] = routeDirect
		} else {
			u.route[unit] = routeSub
		}
	}
	return u.route[unit] == routeSub
}

// fingerprint hashes the basic identity objects (0x00-0x02) of a reply; it
// is 0 when the reply carries none of them.
func fingerprint(r *DeviceIDResponse) uint64 {
	h := fnv.New64a()
	found := false
	for _, o := range r.Objects {
		if o.ID <= ObjMajorMinorRevision {
			found = true
			_, _ = h.Write([]byte{byte(o.ID), byte(len(o.Value))})
			_, _ = h.Write(o.Value)
		}
	}
	if !found {
		return 0
	}
	return h.Sum64()
}

// EmitIdentity emits the objects of a Read Device Identification reply as
// attributes. base carries the time and evidence and its Asset is the TCP
// server; when sub is set the facts go to the unit behind it, with a
// modbus.unit_id attribute on that sub-endpoint.
func EmitIdentity(base discovery.Observation, unit uint8, sub bool, r *DeviceIDResponse, emit discovery.Emit) {
	base.Kind, base.Protocol = discovery.KindAttribute, "modbus"
	if sub {
		base.Asset = SubEndpoint(base.Asset, unit)
		o := base
		o.Key, o.Value, o.Confidence = "modbus.unit_id", strconv.Itoa(int(unit)), ConfUnitID
		emit(o)
	}
	for _, obj := range r.Objects {
		v := CleanString(obj.Value)
		if v == "" {
			continue
		}
		o := base
		o.Key, o.Value, o.Confidence = obj.ID.Key(), v, ConfIdentity
		emit(o)
	}
	if r.Conformity != 0 {
		o := base
		o.Key, o.Value, o.Confidence = "modbus.conformity_level", r.Conformity.String(), ConfIdentity
		emit(o)
	}
}

// ServerIDString renders FC 17 (Report Server ID) data: its printable
// ASCII text when it has some (device-specific layouts usually start with
// an id string), else hex.
func ServerIDString(b []byte) string {
	out := make([]byte, 0, min(len(b), MaxValueLen))
	for _, c := range b {
		if c >= 0x20 && c < 0x7f && len(out) < MaxValueLen {
			out = append(out, c)
		}
	}
	if len(out) >= 4 {
		return string(out)
	}
	if len(b) > MaxValueLen/2 {
		b = b[:MaxValueLen/2]
	}
	return "0x" + hex.EncodeToString(b)
}
