#!/usr/bin/python3
"""Writes testdata/ssh.pcap with scapy: a TCP session from the engineering
workstation (10.10.20.22) to a Linux gateway (10.10.10.40:22) carrying both
identification strings and the first binary packet (a KEXINIT-sized blob),
and a second session on port 2222 to an old device speaking "SSH-1.99".
Run from discovery/ssh:

    /usr/bin/python3 testdata/gen_fixture.py

Check the decode with: tshark -r testdata/ssh.pcap -d tcp.port==2222,ssh -V
"""
import os, struct
from scapy.all import Ether, IP, TCP, Raw, wrpcap

pkts = []
class Session:
    def __init__(self, c, s, cport, sport):
        self.c, self.s, self.cport, self.sport = c, s, cport, sport
        self.cseq, self.sseq = 1000, 50000
        self.seg(True, "S", b""); self.cseq += 1
        self.seg(False, "SA", b""); self.sseq += 1
        self.seg(True, "A", b"")
    def seg(self, to_server, flags, data):
        src, dst = (self.c, self.s) if to_server else (self.s, self.c)
        sp, dp = (self.cport, self.sport) if to_server else (self.sport, self.cport)
        seq, ack = (self.cseq, self.sseq) if to_server else (self.sseq, self.cseq)
        if flags == "S":
            ack = 0
        pkts.append(Ether(src=src[0], dst=dst[0]) / IP(src=src[1], dst=dst[1]) /
                    TCP(sport=sp, dport=dp, flags=flags, seq=seq, ack=ack, window=64240) / Raw(data))
    def send(self, to_server, data):
        self.seg(to_server, "PA", data)
        if to_server:
            self.cseq += len(data)
        else:
            self.sseq += len(data)

EWS = ("00:0c:29:20:00:22", "10.10.20.22")
GW = ("00:0c:29:10:00:40", "10.10.10.40")
OLD = ("00:0c:29:10:00:41", "10.10.10.41")
rnd = bytes(range(256)) * 4
def kexinit(seed):
    payload = b"\x14" + rnd[seed:seed + 16] + b"\x00" * 200
    pad = 8 - (len(payload) + 5) % 8 + 8
    return struct.pack(">IB", len(payload) + pad + 1, pad) + payload + b"\x00" * pad

s = Session(EWS, GW, 50022, 22)
s.send(False, b"SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6\r\n")
s.send(True, b"SSH-2.0-PuTTY_Release_0.78\r\n")
s.send(False, kexinit(1))
s.send(True, kexinit(2))
s = Session(EWS, OLD, 50023, 2222)
s.send(False, b"SSH-1.99-Cisco-1.25\r\n")
s.send(True, b"SSH-2.0-PuTTY_Release_0.78\r\n" + kexinit(3))
for i, p in enumerate(pkts):
    p.time = 1768464000.0 + i * 0.005
wrpcap("testdata/ssh.pcap", pkts)
