#!/usr/bin/python3
"""Writes testdata/ftp.pcap with scapy: the engineering workstation
(10.10.20.22) logs in to a PLC's FTP server (10.10.10.13:21) in clear,
lists and downloads a file, uploads a project file and deletes one
(multi-line 220 greeting, SYST); then a second session that switches to
TLS with AUTH TLS. Data connections are left out. Run from discovery/ftp:

    /usr/bin/python3 testdata/gen_fixture.py

Check the decode with: tshark -r testdata/ftp.pcap -Y ftp
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
    def x(self, cmd, reply):
        self.send(True, cmd)
        self.send(False, reply)

EWS = ("00:0c:29:20:00:22", "10.10.20.22")
PLC = ("00:1b:1b:10:00:13", "10.10.10.13")
s = Session(EWS, PLC, 50021, 21)
s.send(False, b"220-ProFTPD 1.3.5e Server (PLC Line 3 FTP) [10.10.10.13]\r\n220-Authorized use only\r\n220 Ready\r\n")
s.x(b"USER engineer\r\n", b"331 Password required for engineer\r\n")
s.x(b"PASS Line3!2024\r\n", b"230 User engineer logged in\r\n")
s.x(b"SYST\r\n", b"215 UNIX Type: L8\r\n")
s.x(b"PWD\r\n", b'257 "/" is the current directory\r\n')
s.x(b"PASV\r\n", b"227 Entering Passive Mode (10,10,10,13,195,80).\r\n")
s.x(b"LIST\r\n", b"150 Opening ASCII mode data connection for file list\r\n226 Transfer complete\r\n")
s.x(b"RETR recipe.csv\r\n", b"150 Opening BINARY mode data connection for recipe.csv (2048 bytes)\r\n226 Transfer complete\r\n")
s.x(b"STOR project.zip\r\n", b"150 Opening BINARY mode data connection for project.zip\r\n226 Transfer complete\r\n")
s.x(b"DELE old.log\r\n", b"250 DELE command successful\r\n")
s.x(b"QUIT\r\n", b"221 Goodbye.\r\n")

s = Session(EWS, PLC, 50022, 21)
s.send(False, b"220 ProFTPD 1.3.5e Server (PLC Line 3 FTP) [10.10.10.13]\r\n")
s.x(b"AUTH TLS\r\n", b"234 AUTH TLS successful\r\n")
s.send(True, bytes.fromhex("16030100c4010000c00303") + bytes(32) + b"\x00\x00\x02\x13\x01\x01\x00")
for i, p in enumerate(pkts):
    p.time = 1768464000.0 + i * 0.005
wrpcap("testdata/ftp.pcap", pkts)
