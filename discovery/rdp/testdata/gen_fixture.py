#!/usr/bin/python3
"""Writes testdata/rdp.pcap with scapy: two RDP connection sequences to an
HMI (10.10.20.21:3389). Session 1, from the engineering workstation: the
X.224 Connection Request with "Cookie: mstshash=operator" and an
RDP_NEG_REQ asking for TLS|CredSSP|CredSSP-EX (0x0b), the Connection
Confirm selecting CredSSP (2), then the TLS ClientHello. Session 2, from a
remote desktop (192.168.1.50 via the router): a request for standard RDP
security only, refused with RDP_NEG_FAILURE HYBRID_REQUIRED_BY_SERVER (5).
PDU layouts from [MS-RDPBCGR] 2.2.1.1 and 2.2.1.2. Run from discovery/rdp:

    /usr/bin/python3 testdata/gen_fixture.py

Check the decode with: tshark -r testdata/rdp.pcap -V
"""
import struct
from scapy.all import Ether, IP, TCP, Raw, wrpcap

pkts = []
class Session:
    def __init__(self, c, s, cport, sport, cmac=None, smac=None):
        self.c, self.s, self.cport, self.sport = c, s, cport, sport
        self.cmac, self.smac = cmac or c[0], smac or s[0]
        self.cseq, self.sseq = 1000, 50000
        self.seg(True, "S", b""); self.cseq += 1
        self.seg(False, "SA", b""); self.sseq += 1
        self.seg(True, "A", b"")
    def seg(self, to_server, flags, data):
        src, dst = (self.c, self.s) if to_server else (self.s, self.c)
        smac, dmac = (self.cmac, self.smac) if to_server else (self.smac, self.cmac)
        sp, dp = (self.cport, self.sport) if to_server else (self.sport, self.cport)
        seq, ack = (self.cseq, self.sseq) if to_server else (self.sseq, self.cseq)
        if flags == "S":
            ack = 0
        pkts.append(Ether(src=smac, dst=dmac) / IP(src=src[1], dst=dst[1]) /
                    TCP(sport=sp, dport=dp, flags=flags, seq=seq, ack=ack, window=64240) / Raw(data))
    def send(self, to_server, data):
        self.seg(to_server, "PA", data)
        if to_server:
            self.cseq += len(data)
        else:
            self.sseq += len(data)

def tpkt(x224):
    return struct.pack(">BBH", 3, 0, 4 + len(x224)) + x224
def x224(code, payload):
    # LI counts the header after itself: code(1) dst-ref(2) src-ref(2) class(1) + variable part
    return bytes([6 + len(payload), code]) + b"\x00\x00" + b"\x00\x00" + b"\x00" + payload
def neg(typ, flags, value):
    return struct.pack("<BBHI", typ, flags, 8, value)

EWS = ("00:0c:29:20:00:22", "10.10.20.22")
HMI = ("00:0c:29:20:00:21", "10.10.20.21")
IT = (None, "192.168.1.50")
RTR = "00:1b:54:10:00:01"

s = Session(EWS, HMI, 50389, 3389)
s.send(True, tpkt(x224(0xE0, b"Cookie: mstshash=operator\r\n" + neg(1, 0, 0x0b))))
s.send(False, tpkt(x224(0xD0, neg(2, 0x1f, 2))))
s.send(True, bytes.fromhex("16030100c4010000c00303") + bytes(32) + b"\x00\x00\x02\xc0\x2f\x01\x00")

s = Session(IT, HMI, 50390, 3389, cmac=RTR)
s.send(True, tpkt(x224(0xE0, b"Cookie: mstshash=ADMINISTRATOR\r\n" + neg(1, 0, 0))))
s.send(False, tpkt(x224(0xD0, neg(3, 0, 5))))
for i, p in enumerate(pkts):
    p.time = 1768464000.0 + i * 0.005
wrpcap("testdata/rdp.pcap", pkts)
