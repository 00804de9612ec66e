#!/usr/bin/python3
"""Modbus/TCP test peers for the otzone probe tests (pymodbus 3.0, Debian).

  pymodbus_server.py [--host 127.0.0.1] --port N --mode gateway
      units 0, 255 and 1 are the gateway itself ("Gateway Co" GW-100), unit 3
      is a meter behind it with private objects that do not fit one reply
      (more follows), unit 7 answers with the gateway's own identity; any
      other unit gets exception 11 (gateway target device failed to respond).
  pymodbus_server.py --port N --mode individual
      refuses stream access (read codes 1-3) with exception 1 and answers
      individual access (code 4) per object.

Started by the Go tests on a loopback address; it stops when stdin closes.
"""
import argparse
import asyncio
import sys
import threading

from pymodbus import mei_message
from pymodbus.constants import DeviceInformation
from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.device import ModbusDeviceIdentification
from pymodbus.pdu import ModbusExceptions
from pymodbus.server import StartAsyncTcpServer

GATEWAY = {
    0x00: "Gateway Co",
    0x01: "GW-100",
    0x02: "v2.4.1",
    0x03: "https://gateway.example",
    0x04: "Serial Gateway",
    0x05: "GW-100-ETH",
    0x06: "Line 3 gateway",
}
METER = {
    0x00: "Meter Maker",
    0x01: "MM-3000",
    0x02: "1.07",
    0x04: "Energy Meter",
    0x05: "MM-3000-TCP",
}
# Private objects 0x80-0x89, 30 bytes each: more than one 253-byte reply holds.
for i in range(10):
    METER[0x80 + i] = ("private object %02d " % i).ljust(30, "x")

IDENTITIES = {0: GATEWAY, 255: GATEWAY, 1: GATEWAY, 7: GATEWAY, 3: METER}


def objects(ident, read_code, object_id):
    """The objects a Read Device Identification request selects (spec 6.21):
    basic 0x00-0x02, regular 0x03-0x7F, extended 0x80-0xFF, each from
    object_id on; specific: that object only."""
    ranges = {
        DeviceInformation.Basic: range(0x00, 0x03),
        DeviceInformation.Regular: range(0x03, 0x80),
        DeviceInformation.Extended: range(0x80, 0x100),
    }
    if read_code == DeviceInformation.Specific:
        return {object_id: ident[object_id]}
    return {k: ident[k] for k in ranges[read_code] if k in ident and k >= object_id}


class GatewayDeviceInfo(mei_message.ReadDeviceInformationRequest):
    """Read Device Identification answered with the identity of the unit id;
    pymodbus encodes the reply (and sets more-follows when it overflows)."""

    def execute(self, context):
        ident = IDENTITIES.get(self.unit_id, GATEWAY)
        if self.read_code not in (1, 2, 3, 4):
            return self.doException(ModbusExceptions.IllegalValue)
        if self.read_code == DeviceInformation.Specific and self.object_id not in ident:
            return self.doException(ModbusExceptions.IllegalAddress)
        return mei_message.ReadDeviceInformationResponse(self.read_code, objects(ident, self.read_code, self.object_id))


class IndividualOnlyDeviceInfo(mei_message.ReadDeviceInformationRequest):
    """Stream access refused (exception 1); individual access answered."""

    def execute(self, context):
        if self.read_code != DeviceInformation.Specific:
            return self.doException(ModbusExceptions.IllegalFunction)
        if self.object_id not in GATEWAY:
            return self.doException(ModbusExceptions.IllegalAddress)
        resp = mei_message.ReadDeviceInformationResponse(self.read_code, {self.object_id: GATEWAY[self.object_id]})
        resp.conformity = 0x81  # basic, individual access supported
        return resp


def store():
    return ModbusSlaveContext(
        di=ModbusSequentialDataBlock(0, [0] * 200),
        co=ModbusSequentialDataBlock(0, [1, 0] * 100),
        hr=ModbusSequentialDataBlock(0, list(range(200))),
        ir=ModbusSequentialDataBlock(0, list(range(1000, 1200))),
    )


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--mode", choices=["gateway", "individual"], required=True)
    args = ap.parse_args()
    if args.mode == "gateway":
        context = ModbusServerContext(slaves={u: store() for u in (0, 255, 1, 3, 7)}, single=False)
        custom = [GatewayDeviceInfo]
    else:
        context = ModbusServerContext(slaves=store(), single=True)
        custom = [IndividualOnlyDeviceInfo]
    server = await StartAsyncTcpServer(
        context=context,
        identity=ModbusDeviceIdentification(info=GATEWAY),
        address=(args.host, args.port),
        defer_start=True,
        allow_reuse_address=True,
    )
    # With defer_start pymodbus 3.0 does not register custom functions itself.
    for func in custom:
        server.decoder.register(func)
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    # Stop when the parent closes stdin.
    threading.Thread(target=lambda: (sys.stdin.read(), loop.call_soon_threadsafe(stop.set_result, None)), daemon=True).start()
    task = asyncio.ensure_future(server.serve_forever())
    await stop
    task.cancel()


if __name__ == "__main__":
    asyncio.run(main())
