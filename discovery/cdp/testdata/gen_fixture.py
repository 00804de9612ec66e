#!/usr/bin/python3
"""Writes testdata/cdp.pcap with scapy's CDP layer (scapy.contrib.cdp): a
Cisco IE industrial switch announcing itself on an access port, and a
second CDPv2 frame with an IPv6 management address. Run from discovery/cdp:

    /usr/bin/python3 testdata/gen_fixture.py

Check the decode with: tshark -r testdata/cdp.pcap -V
"""
from scapy.all import Dot3, LLC, SNAP, wrpcap, load_contrib
load_contrib("cdp")
from scapy.contrib.cdp import (CDPv2_HDR, CDPMsgDeviceID, CDPMsgSoftwareVersion, CDPMsgPlatform, CDPMsgAddr,
                               CDPAddrRecordIPv4, CDPAddrRecordIPv6, CDPMsgPortID, CDPMsgCapabilities,
                               CDPMsgNativeVLAN, CDPMsgDuplex, CDPMsgMgmtAddr, CDPMsgVTPMgmtDomain)

sw = "00:1b:54:10:00:02"
ver = ("Cisco IOS Software, IE4000 Software (IE4000-UNIVERSALK9-M), Version 15.2(7)E4, RELEASE SOFTWARE (fc2)\n"
       "Technical Support: http://www.cisco.com/techsupport\nCopyright (c) 1986-2021 by Cisco Systems, Inc.\n"
       "Compiled Tue 14-Sep-21 06:44 by mcpre")
def frame(src, msgs):
    return Dot3(src=src, dst="01:00:0c:cc:cc:cc") / LLC(dsap=0xaa, ssap=0xaa, ctrl=3) / SNAP(OUI=0x00000c, code=0x2000) / CDPv2_HDR(vers=2, ttl=180, msg=msgs)

p1 = frame(sw, [CDPMsgDeviceID(val=b"ie4000-cell1.plant.local"),
                CDPMsgSoftwareVersion(val=ver.encode()),
                CDPMsgPlatform(val=b"cisco IE-4000-8GT4G4E"),
                CDPMsgAddr(naddr=1, addr=[CDPAddrRecordIPv4(addr="10.10.10.2")]),
                CDPMsgPortID(iface=b"GigabitEthernet1/5"),
                CDPMsgCapabilities(cap=0x28),  # switch, IGMP
                CDPMsgVTPMgmtDomain(val=b"PLANT"),
                CDPMsgNativeVLAN(vlan=10),
                CDPMsgDuplex(duplex=1),
                CDPMsgMgmtAddr(naddr=1, addr=[CDPAddrRecordIPv4(addr="10.10.10.2")])])
p2 = frame("00:1b:54:10:00:03", [CDPMsgDeviceID(val=b"core-router"),
                CDPMsgPlatform(val=b"cisco ISR4331/K9"),
                CDPMsgAddr(naddr=2, addr=[CDPAddrRecordIPv4(addr="10.10.10.1"), CDPAddrRecordIPv6(addr="fd00:10:10::1")]),
                CDPMsgPortID(iface=b"GigabitEthernet0/0/1.10"),
                CDPMsgCapabilities(cap=0x01 | 0x08 | 0x20)])
t = 1768464000.0
for i, p in enumerate([p1, p2]):
    p.time = t + i
wrpcap("testdata/cdp.pcap", [p1, p2])
