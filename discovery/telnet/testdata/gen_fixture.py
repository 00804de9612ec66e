#!/usr/bin/python3
"""Writes testdata/telnet.pcap with scapy: the HMI (10.10.20.21) opens a
Telnet session to a switch (10.10.10.2:23): option negotiation, the IOS
"User Access Verification" banner, a Username: and Password: prompt with
the client's typed answers (server echo off for the password), then a
command prompt. Run from discovery/telnet:

    /usr/bin/python3 testdata/gen_fixture.py

Check the decode with: tshark -r testdata/telnet.pcap -V
"""
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

HMI = ("00:0c:29:20:00:21", "10.10.20.21")
SW = ("00:1b:54:10:00:02", "10.10.10.2")
IAC, WILL, WONT, DO, DONT, SB, SE = 255, 251, 252, 253, 254, 250, 240
s = Session(HMI, SW, 50023, 23)
s.send(False, bytes([IAC, WILL, 1, IAC, WILL, 3, IAC, DO, 24, IAC, DO, 31]))            # echo, SGA, terminal type, NAWS
s.send(True, bytes([IAC, DO, 1, IAC, DO, 3, IAC, WILL, 24, IAC, WILL, 31, IAC, SB, 31, 0, 80, 0, 24, IAC, SE]))
s.send(False, bytes([IAC, SB, 24, 1, IAC, SE]))
s.send(True, bytes([IAC, SB, 24, 0]) + b"XTERM" + bytes([IAC, SE]))
s.send(False, b"\r\n\r\nUser Access Verification\r\n\r\nUsername: ")
for c in b"admin":
    s.send(True, bytes([c]))
    s.send(False, bytes([c]))
s.send(True, b"\r\n")
s.send(False, b"\r\nPassword: ")
s.send(True, b"c1sco123\r\n")
s.send(False, b"\r\n\r\nie4000-cell1>")
for i, p in enumerate(pkts):
    p.time = 1768464000.0 + i * 0.005
wrpcap("testdata/telnet.pcap", pkts)
