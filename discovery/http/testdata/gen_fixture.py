#!/usr/bin/python3
"""Writes testdata/http.pcap with scapy: complete TCP sessions (handshake,
data segments, FIN) carrying HTTP/1.1 between the HMI (10.10.20.21) and a
PLC's embedded web server (10.10.10.13:80), and an engineering workstation
(10.10.20.22) calling a gateway's REST API on 8080. Run from discovery/http:

    /usr/bin/python3 testdata/gen_fixture.py

Check the decode with: tshark -r testdata/http.pcap -Y http -V
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
        if "S" in flags and "A" not in flags:
            ack = 0
        pkts.append(Ether(src=src[0], dst=dst[0]) / IP(src=src[1], dst=dst[1]) /
                    TCP(sport=sp, dport=dp, flags=flags, seq=seq, ack=ack, window=64240) / Raw(data))
    def send(self, to_server, data, mss=1460):
        for i in range(0, len(data), mss):
            chunk = data[i:i + mss]
            self.seg(to_server, "PA", chunk)
            if to_server:
                self.cseq += len(chunk)
            else:
                self.sseq += len(chunk)
    def close(self):
        self.seg(True, "FA", b""); self.cseq += 1
        self.seg(False, "FA", b""); self.sseq += 1
        self.seg(True, "A", b"")

HMI = ("00:0c:29:20:00:21", "10.10.20.21")
EWS = ("00:0c:29:20:00:22", "10.10.20.22")
PLC = ("00:1b:1b:10:00:13", "10.10.10.13")
GW = ("00:0c:29:10:00:40", "10.10.10.40")

html = (b"<!DOCTYPE html>\r\n<html><head><meta charset=\"utf-8\">\r\n<title>SIMATIC 1500 - PLC_Line3</title>\r\n"
        b"</head><body><h1>Start page</h1>" + b"<p>module information</p>" * 40 + b"</body></html>\r\n")
def chunked(body, size):
    out = b""
    for i in range(0, len(body), size):
        c = body[i:i + size]
        out += b"%x\r\n" % len(c) + c + b"\r\n"
    return out + b"0\r\n\r\n"

s = Session(HMI, PLC, 50080, 80)
s.send(True, b"GET / HTTP/1.1\r\nHost: 10.10.10.13\r\nUser-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) "
             b"AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36\r\nAccept: text/html\r\n\r\n")
s.send(False, b"HTTP/1.1 200 OK\r\nServer: Boa/0.94.14rc21\r\nContent-Type: text/html; charset=utf-8\r\n"
              b"Transfer-Encoding: chunked\r\n\r\n" + chunked(html, 70), mss=100)
s.send(True, b"HEAD /Portal/Portal.mwsl HTTP/1.1\r\nHost: 10.10.10.13\r\n\r\n")
s.send(False, b"HTTP/1.1 200 OK\r\nServer: Boa/0.94.14rc21\r\nContent-Type: text/html\r\nContent-Length: 5120\r\n\r\n")
form = b"Login=admin&Password=plant123&Redirection="
s.send(True, b"POST /FormLogin HTTP/1.1\r\nHost: 10.10.10.13\r\nAuthorization: Basic YWRtaW46cGxhbnQxMjM=\r\n"
             b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n" % len(form) + form)
s.send(False, b"HTTP/1.1 302 Found\r\nServer: Boa/0.94.14rc21\r\nLocation: /Portal/Portal.mwsl\r\nContent-Length: 0\r\n\r\n")
s.close()

body = b'{"status":"run","firmware":"2.4.1"}'
s = Session(EWS, GW, 50081, 8080)
s.send(True, b"GET /api/v1/status HTTP/1.1\r\nHost: gw-line3:8080\r\nUser-Agent: python-requests/2.31.0\r\n\r\n")
s.send(False, b"HTTP/1.1 200 OK\r\nServer: nginx/1.18.0\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
s.send(True, b"PUT /api/v1/setpoint HTTP/1.1\r\nHost: gw-line3:8080\r\nContent-Length: 4\r\n\r\n42.5")
s.send(False, b"HTTP/1.0 204 No Content\r\nServer: nginx/1.18.0\r\n\r\n")
s.close()

for i, p in enumerate(pkts):
    p.time = 1768464000.0 + i * 0.005
wrpcap("testdata/http.pcap", pkts)
