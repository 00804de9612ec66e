package main

import (
	"github.com/otzone/otzone/discovery/modbus"
)

// Modbus/TCP: the HMI polls the Schneider PLC (holding registers and coils,
// unit 1, framed as in modbus_example.pcap frames 20-22 and 4-6), writes a
// setpoint (FC 6) and a recipe (FC 16), and reads past the end of the
// register map (exception 2, as frame 100 of modbus_example.pcap). The
// engineering workstation identifies the PLC with Read Device
// Identification (basic then regular, unit 0; reply layout as frame 94)
// and then talks UMAS (FC 90) to it: read id, take reservation, stop PLC,
// start PLC, release reservation. UMAS payload bytes after the sub-function
// code are illustrative (the format is unpublished); the dissector reads
// only the session and sub-function bytes.
func init() {
	register("10-modbus", func(p *Plant) {
		var txid uint16
		adu := func(unit uint8, pdu ...byte) []byte {
			txid++
			return modbus.AppendADU(nil, txid, unit, pdu)
		}
		// The reply carries the request's transaction id.
		reply := func(unit uint8, pdu ...byte) []byte { return modbus.AppendADU(nil, txid, unit, pdu) }

		h := p.TCP(HMI, PLCModbus, modbus.Port)
		for i := 0; i < 3; i++ {
			// FC 3: 10 holding registers from 0 (tank levels, scaled).
			h.Exchange(adu(1, 0x03, 0x00, 0x00, 0x00, 0x0a),
				reply(1, 0x03, 0x14, 0x01, 0xf4, 0x01, 0xf9, 0x00, 0x64, 0x00, 0x00, 0x02, 0x58, 0x00, 0x3c, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x0b, 0xb8))
			// FC 1: 16 coils from 0 (pump states).
			h.Exchange(adu(1, 0x01, 0x00, 0x00, 0x00, 0x10), reply(1, 0x01, 0x02, 0x05, 0x01))
			p.Advance(1000)
		}
		// FC 6: setpoint register 100 = 1200; the reply echoes the request.
		h.Exchange(adu(1, 0x06, 0x00, 0x64, 0x04, 0xb0), reply(1, 0x06, 0x00, 0x64, 0x04, 0xb0))
		// FC 16: recipe registers 200-202.
		h.Exchange(adu(1, 0x10, 0x00, 0xc8, 0x00, 0x03, 0x06, 0x00, 0x0a, 0x00, 0x14, 0x00, 0x1e), reply(1, 0x10, 0x00, 0xc8, 0x00, 0x03))
		// FC 3 past the register map: exception 2 (illegal data address).
		h.Exchange(adu(1, 0x03, 0x23, 0x28, 0x00, 0x02), reply(1, 0x83, 0x02))
		h.Close()

		txid = 0
		e := p.TCP(EWS, PLCModbus, modbus.Port)
		basic := modbus.DeviceIDResponse{Code: modbus.DevIDBasic, Conformity: 0x82, Objects: []modbus.DeviceObject{
			{ID: modbus.ObjVendorName, Value: []byte("Schneider Electric")},
			{ID: modbus.ObjProductCode, Value: []byte("BMX P34 2020")},
			{ID: modbus.ObjMajorMinorRevision, Value: []byte("v3.10")},
		}}
		e.Exchange(adu(0, modbus.AppendDeviceIDRequest(nil, modbus.DeviceIDRequest{Code: modbus.DevIDBasic})...),
			reply(0, modbus.AppendDeviceIDResponse(nil, basic)...))
		regular := modbus.DeviceIDResponse{Code: modbus.DevIDRegular, Conformity: 0x82, Objects: []modbus.DeviceObject{
			{ID: modbus.ObjVendorURL, Value: []byte("http://www.schneider-electric.com")},
			{ID: modbus.ObjProductName, Value: []byte("Modicon M340")},
			{ID: modbus.ObjModelName, Value: []byte("BMX P34 2020")},
			{ID: modbus.ObjUserApplicationName, Value: []byte("WTP_FILTRATION")},
		}}
		e.Exchange(adu(0, modbus.AppendDeviceIDRequest(nil, modbus.DeviceIDRequest{Code: modbus.DevIDRegular, ObjectID: modbus.ObjVendorURL})...),
			reply(0, modbus.AppendDeviceIDResponse(nil, regular)...))
		// UMAS on unit 0: session 0 until the reservation returns one (0x2c).
		e.Exchange(adu(0, 0x5a, 0x00, 0x02), reply(0, 0x5a, 0x00, 0xfe, 0x32, 0x01, 0x00, 0x00))
		e.Exchange(adu(0, append([]byte{0x5a, 0x00, 0x10, 0x3b, 0x0e, 0x00, 0x00, 0x05}, "EWS-1"...)...), reply(0, 0x5a, 0x00, 0xfe, 0x2c))
		e.Exchange(adu(0, 0x5a, 0x2c, 0x41, 0xff, 0x00), reply(0, 0x5a, 0x2c, 0xfe))
		p.Advance(3000)
		e.Exchange(adu(0, 0x5a, 0x2c, 0x40, 0xff, 0x00), reply(0, 0x5a, 0x2c, 0xfe))
		e.Exchange(adu(0, 0x5a, 0x2c, 0x11), reply(0, 0x5a, 0x2c, 0xfe))
		e.Close()
	})
}
