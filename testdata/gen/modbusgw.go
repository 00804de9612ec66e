package main

import "github.com/otzone/otzone/discovery/modbus"

// ModbusGW is a Modbus TCP-to-serial gateway (a Moxa OUI) that serves on
// port 5020 rather than 502, as gateways and port-forwarded PLCs often do:
// only the payload says it is Modbus.
var ModbusGW = host("mb-gw-1", "00:90:e8:10:00:25", "10.10.10.25", 10)

// The HMI polls two serial meters behind the gateway (units 3 and 4, input
// registers) and identifies the gateway itself (Read Device Identification,
// basic objects, unit 0xff as the spec suggests for the gateway).
func init() {
	register("70-modbus-5020", func(p *Plant) {
		const port = 5020
		var txid uint16
		adu := func(unit uint8, pdu ...byte) []byte {
			txid++
			return modbus.AppendADU(nil, txid, unit, pdu)
		}
		reply := func(unit uint8, pdu ...byte) []byte { return modbus.AppendADU(nil, txid, unit, pdu) }
		c := p.TCP(HMI, ModbusGW, port)
		for i := 0; i < 2; i++ {
			for _, unit := range []uint8{3, 4} {
				c.Exchange(adu(unit, 0x04, 0x00, 0x00, 0x00, 0x04), reply(unit, 0x04, 0x08, 0x00, 0xe6, 0x00, 0xe7, 0x00, 0xe5, 0x13, 0x88))
			}
			p.Advance(1000)
		}
		id := modbus.DeviceIDResponse{Code: modbus.DevIDBasic, Conformity: 0x81, Objects: []modbus.DeviceObject{
			{ID: modbus.ObjVendorName, Value: []byte("Moxa")},
			{ID: modbus.ObjProductCode, Value: []byte("MGate MB3180")},
			{ID: modbus.ObjMajorMinorRevision, Value: []byte("v2.2")},
		}}
		c.Exchange(adu(0xff, modbus.AppendDeviceIDRequest(nil, modbus.DeviceIDRequest{Code: modbus.DevIDBasic})...),
			reply(0xff, modbus.AppendDeviceIDResponse(nil, id)...))
		c.Close()
	})
}
