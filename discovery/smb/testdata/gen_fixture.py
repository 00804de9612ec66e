#!/usr/bin/python3
"""Writes testdata/smb.pcap: SMB sessions built byte by byte from
[MS-SMB2] 2.2 and [MS-NLMP] 2.2 (scapy writes the Ethernet/IP/TCP layers).

Session 1 (445): the HMI (10.10.20.21, NetBIOS name HMI-1) negotiates SMB
3.1.1 with the historian (10.10.30.31), which requires signing; NTLMSSP
NEGOTIATE, CHALLENGE (target info: HIST01 / PLANT / hist01.plant.local /
plant.local, version 10.0.17763) and AUTHENTICATE (domain PLANT, user
"operator", workstation HMI-1, version 10.0.19041); then a WRITE of 200 000
bytes (over several segments) and a READ.

Session 2 (139): the engineering workstation (10.10.20.22) sends a NetBIOS
session request (called HIST01, calling EWS-1) and an SMB1 negotiate with
three dialects; the server picks "NT LM 0.12". Run from discovery/smb:

    /usr/bin/python3 testdata/gen_fixture.py

Check the decode with: tshark -r testdata/smb.pcap -V
"""
import struct
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
        pkts.append(Ether(src=src[0], dst="00:1b:54:10:00:01") / IP(src=src[1], dst=dst[1]) /
                    TCP(sport=sp, dport=dp, flags=flags, seq=seq, ack=ack, window=64240) / Raw(data))
    def send(self, to_server, data, mss=1460):
        for i in range(0, len(data), mss):
            chunk = data[i:i + mss]
            self.seg(to_server, "PA", chunk)
            if to_server:
                self.cseq += len(chunk)
            else:
                self.sseq += len(chunk)

def nbss(msg):
    return struct.pack(">I", len(msg)) + msg
msgid = [0]
def smb2(cmd, body, response=False, status=0, session=0, tree=0):
    flags = 1 if response else 0
    h = b"\xfeSMB" + struct.pack("<HHIHHIIQIIQ", 64, 1, status, cmd, 1, flags, 0, msgid[0], 0xfeff, tree, session) + b"\x00" * 16
    if response:
        msgid[0] += 1
    return h + body
def u16(s):
    return s.encode("utf-16-le")
def ntlm_fields(payload_off, items):
    # returns (field descriptors, payload) for a list of byte strings
    fields, payload = b"", b""
    for it in items:
        fields += struct.pack("<HHI", len(it), len(it), payload_off + len(payload))
        payload += it
    return fields, payload
VERSION_CLIENT = struct.pack("<BBH3xB", 10, 0, 19041, 15)
VERSION_SERVER = struct.pack("<BBH3xB", 10, 0, 17763, 15)
FLAGS = 0xe2888235  # 56, key exch, 128, version, target info, ext session security, always sign, NTLM, sign, request target, unicode

ntlm_negotiate = b"NTLMSSP\x00" + struct.pack("<II", 1, 0xe2088297) + struct.pack("<HHI", 0, 0, 0) * 2 + VERSION_CLIENT
def avpair(i, v):
    return struct.pack("<HH", i, len(v)) + v
target_info = (avpair(2, u16("PLANT")) + avpair(1, u16("HIST01")) + avpair(4, u16("plant.local")) +
               avpair(3, u16("hist01.plant.local")) + avpair(5, u16("plant.local")) +
               avpair(7, struct.pack("<Q", 134142000000000000)) + avpair(0, b""))
tname = u16("PLANT")
ntlm_challenge = (b"NTLMSSP\x00" + struct.pack("<I", 2) + struct.pack("<HHI", len(tname), len(tname), 56) +
                  struct.pack("<I", FLAGS) + bytes.fromhex("0123456789abcdef") + b"\x00" * 8 +
                  struct.pack("<HHI", len(target_info), len(target_info), 56 + len(tname)) + VERSION_SERVER + tname + target_info)
lm, nt = b"\x00" * 24, b"\x11" * 16 + b"\x01\x01\x00\x00" + b"\x22" * 60
fields, payload = ntlm_fields(88, [lm, nt, u16("PLANT"), u16("operator"), u16("HMI-1"), b"\x33" * 16])
ntlm_auth = b"NTLMSSP\x00" + struct.pack("<I", 3) + fields + struct.pack("<I", FLAGS) + VERSION_CLIENT + b"\x44" * 16 + payload

def session_setup_req(blob):
    return struct.pack("<HBBIIHHQ", 25, 0, 1, 1, 0, 64 + 24, len(blob), 0) + blob
def session_setup_resp(blob, flags=0):
    return struct.pack("<HHHH", 9, flags, 64 + 8, len(blob)) + blob

HMI = ("00:0c:29:20:00:21", "10.10.20.21")
EWS = ("00:0c:29:20:00:22", "10.10.20.22")
HIST = ("00:0c:29:30:00:31", "10.10.30.31")

s = Session(HMI, HIST, 50445, 445)
dialects = [0x0202, 0x0210, 0x0300, 0x0302, 0x0311]
neg = struct.pack("<HHHHI16sIHH", 36, len(dialects), 1, 0, 0x7f, b"\x5a" * 16, 0, 0, 0) + b"".join(struct.pack("<H", d) for d in dialects)
s.send(True, nbss(smb2(0, neg)))
negr = struct.pack("<HHHH16sIIIIQQHHI", 65, 3, 0x0311, 0, b"\xa5" * 16, 0x2f, 8388608, 8388608, 8388608, 0, 0, 128, 0, 0)
s.send(False, nbss(smb2(0, negr, response=True)))
s.send(True, nbss(smb2(1, session_setup_req(ntlm_negotiate))))
s.send(False, nbss(smb2(1, session_setup_resp(ntlm_challenge), response=True, status=0xc0000016, session=0x1000000001)))
s.send(True, nbss(smb2(1, session_setup_req(ntlm_auth), session=0x1000000001)))
s.send(False, nbss(smb2(1, session_setup_resp(b""), response=True, session=0x1000000001)))
data = bytes(range(256)) * 782  # 200 192 bytes
write = struct.pack("<HHIQ16sIIHHI", 49, 64 + 48, len(data), 0, b"\x77" * 16, 0, 0, 0, 0, 0) + data
s.send(True, nbss(smb2(9, write, session=0x1000000001, tree=5)))
s.send(False, nbss(smb2(9, struct.pack("<HHIIHH", 17, 0, len(data), 0, 0, 0), response=True, session=0x1000000001, tree=5)))
read = struct.pack("<HBBIQ16sIIIHH", 49, 0x50, 0, 4096, 0, b"\x77" * 16, 1, 0, 0, 0, 0) + b"\x00"
s.send(True, nbss(smb2(8, read, session=0x1000000001, tree=5)))

def nbname(n, suffix=0x20):
    raw = n.ljust(15).encode() + bytes([suffix])
    enc = b"".join(bytes([0x41 + (c >> 4), 0x41 + (c & 0xf)]) for c in raw)
    return b"\x20" + enc + b"\x00"
s = Session(EWS, HIST, 50139, 139)
req = nbname("HIST01") + nbname("EWS-1", 0)
s.send(True, struct.pack(">BBH", 0x81, 0, len(req)) + req)
s.send(False, b"\x82\x00\x00\x00")
def smb1(cmd, words, data, reply=False):
    flags = 0x98 if reply else 0x18
    h = b"\xffSMB" + bytes([cmd]) + b"\x00" * 4 + bytes([flags]) + struct.pack("<H", 0xc853) + b"\x00" * 12 + struct.pack("<HHHH", 0, 0xfeff, 0, 1)
    return h + bytes([len(words) // 2]) + words + struct.pack("<H", len(data)) + data
dl = b"".join(b"\x02" + d + b"\x00" for d in [b"PC NETWORK PROGRAM 1.0", b"LANMAN1.0", b"NT LM 0.12"])
s.send(True, nbss(smb1(0x72, b"", dl)))
words = struct.pack("<HBHHIIIIQhB", 2, 3, 50, 1, 65536, 65536, 0, 0xf3fd, 0, 0, 8)
s.send(False, nbss(smb1(0x72, words, b"\x01\x02\x03\x04\x05\x06\x07\x08" + u16("PLANT\x00") + u16("HIST01\x00"), reply=True)))

for i, p in enumerate(pkts):
    p.time = 1768464000.0 + i * 0.002
wrpcap("testdata/smb.pcap", pkts)
