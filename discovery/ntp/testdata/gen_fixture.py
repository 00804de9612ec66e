#!/usr/bin/python3
"""Writes testdata/ntp.pcap with scapy's NTP layers: the HMI asks the plant
time server (stratum 1, reference "GPS") for the time, the time server asks
an upstream stratum-2 server, someone sends an ntpq read-variables control
request (mode 6) and an ntpdc monlist request (mode 7). Run from
discovery/ntp:

    /usr/bin/python3 testdata/gen_fixture.py

Check the decode with: tshark -r testdata/ntp.pcap -V
"""
from scapy.all import Ether, IP, UDP, NTPHeader, NTPControl, NTPPrivate, wrpcap

HMI = ("00:0c:29:20:00:21", "10.10.20.21")
TS = ("00:0c:29:30:00:7b", "10.10.30.123")
UP = ("00:1b:54:10:00:01", "192.168.1.10")
EWS = ("00:0c:29:20:00:22", "10.10.20.22")
def udp(src, dst, sport, dport, payload):
    return Ether(src=src[0], dst=dst[0]) / IP(src=src[1], dst=dst[1]) / UDP(sport=sport, dport=dport) / payload

t0 = 3977366400.0  # 2026-01-15 (NTP era 0 seconds)
pkts = [
    udp(HMI, TS, 50123, 123, NTPHeader(leap=0, version=4, mode=3, stratum=0, poll=6, precision=-20, sent=t0)),
    udp(TS, HMI, 123, 50123, NTPHeader(leap=0, version=4, mode=4, stratum=1, poll=6, precision=-23, ref_id=b"GPS",
                                       ref=t0 - 8, orig=t0, recv=t0 + 0.001, sent=t0 + 0.0011)),
    udp(TS, UP, 123, 123, NTPHeader(leap=0, version=4, mode=3, stratum=1, poll=10, precision=-23, ref_id=b"GPS", sent=t0 + 1)),
    udp(UP, TS, 123, 123, NTPHeader(leap=0, version=4, mode=4, stratum=2, poll=10, precision=-24, id="192.168.1.1",
                                    ref=t0 - 60, orig=t0 + 1, recv=t0 + 1.002, sent=t0 + 1.0021)),
    udp(EWS, TS, 50124, 123, NTPControl(version=2, mode=6, op_code=2, sequence=1, association_id=0)),
    udp(EWS, TS, 50125, 123, NTPPrivate(version=2, mode=7, implementation=3, request_code=42)),
]
for i, p in enumerate(pkts):
    p.time = 1768464000.0 + i * 0.01
wrpcap("testdata/ntp.pcap", pkts)
