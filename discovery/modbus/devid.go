package modbus

import (
	"fmt"

	"github.com/otzone/otzone/discovery/internal/wirestr"
)

// Read Device Identification (FC 43, MEI type 14): Modbus Application
// Protocol Specification V1.1b3, 6.21. This file is the one encoder and
// decoder of it: the passive dissector decodes what it sees with it and the
// active probe (discovery/modbus/probe) builds its requests and reads the
// replies with it.

// MEIReadDeviceID is the MEI type of Read Device Identification.
const MEIReadDeviceID = 0x0e

// MEICANopen is the MEI type of CANopen General Reference (FC 43/13).
const MEICANopen = 0x0d

// ReadDevIDCode is the access type of a Read Device Identification request.
type ReadDevIDCode uint8

const (
	// DevIDBasic streams objects 0x00-0x02 (mandatory).
	DevIDBasic ReadDevIDCode = 1
	// DevIDRegular streams objects 0x03-0x7F (optional).
	DevIDRegular ReadDevIDCode = 2
	// DevIDExtended streams private objects 0x80-0xFF.
	DevIDExtended ReadDevIDCode = 3
	// DevIDIndividual reads one object.
	DevIDIndividual ReadDevIDCode = 4
)

func (c ReadDevIDCode) String() string {
	switch c {
	case DevIDBasic:
		return "basic"
	case DevIDRegular:
		return "regular"
	case DevIDExtended:
		return "extended"
	case DevIDIndividual:
		return "individual"
	}
	return fmt.Sprintf("read_dev_id_%d", uint8(c))
}

// ConformityLevel is the identification level a device declares (0x01-0x03,
// with 0x80 set when individual access is supported as well).
type ConformityLevel uint8

func (c ConformityLevel) String() string {
	var s string
	switch c & 0x7f {
	case 1:
		s = "basic"
	case 2:
		s = "regular"
	case 3:
		s = "extended"
	default:
		return fmt.Sprintf("0x%02x", uint8(c))
	}
	if c&0x80 != 0 {
		return s + "+individual"
	}
	return s + " (stream only)"
}

// ObjectID names a device identification object.
type ObjectID uint8

// Standard objects; 0x07-0x7F are reserved, 0x80-0xFF private.
const (
	ObjVendorName          ObjectID = 0x00
	ObjProductCode         ObjectID = 0x01
	ObjMajorMinorRevision  ObjectID = 0x02
	ObjVendorURL           ObjectID = 0x03
	ObjProductName         ObjectID = 0x04
	ObjModelName           ObjectID = 0x05
	ObjUserApplicationName ObjectID = 0x06
)

var objKeys = [...]string{
	"modbus.vendor_name", "modbus.product_code", "modbus.revision", "modbus.vendor_url",
	"modbus.product_name", "modbus.model_name", "modbus.user_application_name",
}

var objNames = [...]string{
	"VendorName", "ProductCode", "MajorMinorRevision", "VendorUrl",
	"ProductName", "ModelName", "UserApplicationName",
}

func (o ObjectID) String() string {
	if int(o) < len(objNames) {
		return objNames[o]
	}
	return fmt.Sprintf("object_0x%02x", uint8(o))
}

// Key is the CONTRACT.md attribute key of the object: modbus.vendor_name
// for 0x00 … modbus.user_application_name for 0x06, and modbus.object_0xNN
// for reserved and private objects.
func (o ObjectID) Key() string {
	if int(o) < len(objKeys) {
		return objKeys[o]
	}
	return fmt.Sprintf("modbus.object_0x%02x", uint8(o))
}

// DeviceObject is one object of a reply. Value refers to the input buffer.
type DeviceObject struct {
	ID    ObjectID
	Value []byte
}

// DeviceIDRequest is the body of an FC 43/14 request.
type DeviceIDRequest struct {
	Code     ReadDevIDCode
	ObjectID ObjectID
}

// DeviceIDResponse is the body of an FC 43/14 reply.
type DeviceIDResponse struct {
	Code         ReadDevIDCode
	Conformity   ConformityLevel
	MoreFollows  bool
	NextObjectID ObjectID
	Objects      []DeviceObject
}

// AppendDeviceIDRequest appends the PDU (function code first) of a Read
// Device Identification request to dst.
func AppendDeviceIDRequest(dst []byte, r DeviceIDRequest) []byte {
	return append(dst, byte(FCEncapsulatedInterface), MEIReadDeviceID, byte(r.Code), byte(r.ObjectID))
}

// ParseDeviceIDRequest decodes the Data of an FC 43 request (after the
// function code). It fails when the MEI type is not 14.
func ParseDeviceIDRequest(data []byte) (DeviceIDRequest, error) {
	var r DeviceIDRequest
	if len(data) < 3 {
		return r, fmt.Errorf("modbus: read device id request: %w", ErrShort)
	}
	if data[0] != MEIReadDeviceID {
		return r, fmt.Errorf("modbus: MEI type %d is not read device id", data[0])
	}
	r.Code, r.ObjectID = ReadDevIDCode(data[1]), ObjectID(data[2])
	return r, nil
}

// AppendDeviceIDResponse appends the PDU (function code first) of a Read
// Device Identification reply to dst. Objects whose value exceeds 255 bytes
// are cut at 255 (the length is one byte).
func AppendDeviceIDResponse(dst []byte, r DeviceIDResponse) []byte {
	more := byte(0)
	if r.MoreFollows {
		more = 0xff
	}
	dst = append(dst, byte(FCEncapsulatedInterface), MEIReadDeviceID, byte(r.Code), byte(r.Conformity),
		more, byte(r.NextObjectID), byte(len(r.Objects)))
	for _, o := range r.Objects {
		v := o.Value
		if len(v) > 255 {
			v = v[:255]
		}
		dst = append(dst, byte(o.ID), byte(len(v)))
		dst = append(dst, v...)
	}
	return dst
}

// ParseDeviceIDResponse decodes the Data of an FC 43 reply (after the
// function code). Objects refers to data. A count that overruns the buffer
// is an error, and the objects decoded before it are returned with it.
func ParseDeviceIDResponse(data []byte) (DeviceIDResponse, error) {
	var r DeviceIDResponse
	if len(data) < 6 {
		return r, fmt.Errorf("modbus: read device id reply: %w", ErrShort)
	}
	if data[0] != MEIReadDeviceID {
		return r, fmt.Errorf("modbus: MEI type %d is not read device id", data[0])
	}
	r.Code = ReadDevIDCode(data[1])
	r.Conformity = ConformityLevel(data[2])
	switch data[3] {
	case 0x00:
	case 0xff:
		r.MoreFollows = true
	default:
		return r, fmt.Errorf("modbus: read device id reply: more-follows byte 0x%02x", data[3])
	}
	r.NextObjectID = ObjectID(data[4])
	n := int(data[5])
	rest := data[6:]
	if n > 0 {
		r.Objects = make([]DeviceObject, 0, min(n, len(rest)/2))
	}
	for i := 0; i < n; i++ {
		if len(rest) < 2 {
			return r, fmt.Errorf("modbus: read device id reply: object %d of %d: header truncated", i+1, n)
		}
		id, l := ObjectID(rest[0]), int(rest[1])
		if len(rest) < 2+l {
			return r, fmt.Errorf("modbus: read device id reply: object %d (%s): %d bytes, %d left", i+1, id, l, len(rest)-2)
		}
		r.Objects = append(r.Objects, DeviceObject{ID: id, Value: rest[2 : 2+l]})
		rest = rest[2+l:]
	}
	return r, nil
}

// MaxValueLen caps a wire string kept as an attribute value.
const MaxValueLen = wirestr.Max

// CleanString copies a wire string into a value fit to store (the shared
// wirestr rules: padding trimmed, control characters replaced, invalid
// UTF-8 repaired, capped at MaxValueLen bytes).
func CleanString(b []byte) string { return wirestr.Clean(b) }
