#!/usr/bin/python3
"""Writes testdata/names.pcap with scapy: unicast DNS over UDP (A, AAAA, PTR,
a public answer, NXDOMAIN), DNS over TCP (an AXFR query and its answer),
mDNS (a DNS-SD announcement and a query) and NBNS (a name registration and
a node status response). Run from discovery/dns:

    /usr/bin/python3 testdata/gen_fixture.py

Check the decode with: tshark -r testdata/names.pcap -V
"""
from scapy.all import (Ether, IP, UDP, TCP, DNS, DNSQR, DNSRR, DNSRRSRV, wrpcap,
                       NBNSHeader, NBNSRegistrationRequest, NBNSNodeStatusResponse,
                       NBNSNodeStatusResponseService, NBNSQueryRequest, Raw)
import struct

HMI = ("00:0c:29:20:00:21", "10.10.20.21")
DNSSRV = ("00:0c:29:30:00:53", "10.10.30.53")
RTR = "00:1b:54:10:00:01"
pkts = []

def udp(src, dst, sport, dport, payload, dmac=None):
    return Ether(src=src[0], dst=dmac or dst[0]) / IP(src=src[1], dst=dst[1]) / UDP(sport=sport, dport=dport) / payload

# 1-2: A query and answer (CNAME then A)
pkts.append(udp(HMI, DNSSRV, 50001, 53, DNS(id=1, rd=1, qd=DNSQR(qname="historian.plant.local", qtype="A"))))
pkts.append(udp(DNSSRV, HMI, 53, 50001, DNS(id=1, qr=1, aa=1, rd=1, ra=1, qd=DNSQR(qname="historian.plant.local", qtype="A"),
    an=DNSRR(rrname="historian.plant.local", type="CNAME", rdata="hist01.plant.local", ttl=300) /
       DNSRR(rrname="hist01.plant.local", type="A", rdata="10.10.30.31", ttl=300))))
# 3-4: AAAA
pkts.append(udp(HMI, DNSSRV, 50002, 53, DNS(id=2, rd=1, qd=DNSQR(qname="Hist01.Plant.Local", qtype="AAAA"))))
pkts.append(udp(DNSSRV, HMI, 53, 50002, DNS(id=2, qr=1, rd=1, ra=1, qd=DNSQR(qname="Hist01.Plant.Local", qtype="AAAA"),
    an=DNSRR(rrname="Hist01.Plant.Local", type="AAAA", rdata="fd00:10:30::31", ttl=300))))
# 5-6: PTR
pkts.append(udp(HMI, DNSSRV, 50003, 53, DNS(id=3, rd=1, qd=DNSQR(qname="11.10.10.10.in-addr.arpa", qtype="PTR"))))
pkts.append(udp(DNSSRV, HMI, 53, 50003, DNS(id=3, qr=1, rd=1, ra=1, qd=DNSQR(qname="11.10.10.10.in-addr.arpa", qtype="PTR"),
    an=DNSRR(rrname="11.10.10.10.in-addr.arpa", type="PTR", rdata="plc-modbus.plant.local", ttl=300))))
# 7-8: a public name: no attribute
pkts.append(udp(HMI, DNSSRV, 50004, 53, DNS(id=4, rd=1, qd=DNSQR(qname="update.example.com", qtype="A"))))
pkts.append(udp(DNSSRV, HMI, 53, 50004, DNS(id=4, qr=1, rd=1, ra=1, qd=DNSQR(qname="update.example.com", qtype="A"),
    an=DNSRR(rrname="update.example.com", type="A", rdata="203.0.113.80", ttl=300))))
# 9-10: NXDOMAIN
pkts.append(udp(HMI, DNSSRV, 50005, 53, DNS(id=5, rd=1, qd=DNSQR(qname="wpad.plant.local", qtype="A"))))
pkts.append(udp(DNSSRV, HMI, 53, 50005, DNS(id=5, qr=1, rd=1, ra=1, rcode=3, qd=DNSQR(qname="wpad.plant.local", qtype="A"))))

# 11-17: DNS over TCP, an AXFR from the HMI (handshake, query, answer, FIN)
def tcp(src, dst, sport, dport, flags, seq, ack, payload=b""):
    return Ether(src=src[0], dst=dst[0]) / IP(src=src[1], dst=dst[1]) / TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack) / Raw(payload)
q = bytes(DNS(id=6, qd=DNSQR(qname="plant.local", qtype="AXFR")))
a = bytes(DNS(id=6, qr=1, aa=1, qd=DNSQR(qname="plant.local", qtype="AXFR"),
              an=DNSRR(rrname="plc-s7.plant.local", type="A", rdata="10.10.10.13", ttl=3600) /
                 DNSRR(rrname="ews-1.plant.local", type="A", rdata="10.10.20.22", ttl=3600)))
qm, am = struct.pack(">H", len(q)) + q, struct.pack(">H", len(a)) + a
pkts += [tcp(HMI, DNSSRV, 50010, 53, "S", 100, 0), tcp(DNSSRV, HMI, 53, 50010, "SA", 900, 101), tcp(HMI, DNSSRV, 50010, 53, "A", 101, 901),
         tcp(HMI, DNSSRV, 50010, 53, "PA", 101, 901, qm), tcp(DNSSRV, HMI, 53, 50010, "PA", 901, 101 + len(qm), am[:20]),
         tcp(DNSSRV, HMI, 53, 50010, "PA", 921, 101 + len(qm), am[20:]), tcp(HMI, DNSSRV, 50010, 53, "FA", 101 + len(qm), 901 + len(am))]

# 18: mDNS DNS-SD announcement from a printer-like device on the supervisory VLAN
PRN = ("00:1e:0b:20:00:50", "10.10.20.50")
MC = ("01:00:5e:00:00:fb", "224.0.0.251")
pkts.append(udp(PRN, MC, 5353, 5353, DNS(id=0, qr=1, aa=1, qd=None,
    an=DNSRR(rrname="_services._dns-sd._udp.local", type="PTR", rdata="_ipp._tcp.local", ttl=4500) /
       DNSRR(rrname="_ipp._tcp.local", type="PTR", rdata="Line 3 Printer._ipp._tcp.local", ttl=4500) /
       DNSRRSRV(rrname="Line 3 Printer._ipp._tcp.local", target="prn-line3.local", port=631, ttl=120) /
       DNSRR(rrname="prn-line3.local", type="A", rdata="10.10.20.50", ttl=120))))
# 19: mDNS query from the HMI
pkts.append(udp(HMI, MC, 5353, 5353, DNS(id=0, qd=DNSQR(qname="_ipp._tcp.local", qtype="PTR"))))

# 20: NBNS name registration (broadcast) of EWS-1<20> by 10.10.20.22
EWS = ("00:0c:29:20:00:22", "10.10.20.22")
BC = ("ff:ff:ff:ff:ff:ff", "10.10.20.255")
pkts.append(udp(EWS, BC, 137, 137, NBNSHeader(NAME_TRN_ID=0x8001, OPCODE=5, NM_FLAGS=0x11, QDCOUNT=1, ARCOUNT=1) /
    NBNSRegistrationRequest(QUESTION_NAME=b"EWS-1", SUFFIX=0x4341, NB_ADDRESS="10.10.20.22", G=0)))
# 21: workgroup registration (group bit)
pkts.append(udp(EWS, BC, 137, 137, NBNSHeader(NAME_TRN_ID=0x8002, OPCODE=5, NM_FLAGS=0x11, QDCOUNT=1, ARCOUNT=1) /
    NBNSRegistrationRequest(QUESTION_NAME=b"PLANT", SUFFIX=0x4141, NB_ADDRESS="10.10.20.22", G=1)))
# 22-23: node status query from the HMI and the EWS's response listing its names
pkts.append(udp(HMI, EWS, 137, 137, NBNSHeader(NAME_TRN_ID=0x9001, OPCODE=0, NM_FLAGS=0, QDCOUNT=1) /
    NBNSQueryRequest(QUESTION_NAME=b"*", SUFFIX=0x4141, QUESTION_TYPE=0x21)))
pkts.append(udp(EWS, HMI, 137, 137, NBNSHeader(NAME_TRN_ID=0x9001, RESPONSE=1, OPCODE=0, NM_FLAGS=0x40, ANCOUNT=1) /
    NBNSNodeStatusResponse(RR_NAME=b"*", SUFFIX=0x4141, NUM_NAMES=3, RDLENGTH=1 + 3 * 18 + 46, NODE_NAME=[
        NBNSNodeStatusResponseService(NETBIOS_NAME=b"EWS-1          ", SUFFIX=0x00, NAME_FLAGS=0x04),
        NBNSNodeStatusResponseService(NETBIOS_NAME=b"PLANT          ", SUFFIX=0x00, NAME_FLAGS=0x84),
        NBNSNodeStatusResponseService(NETBIOS_NAME=b"EWS-1          ", SUFFIX=0x20, NAME_FLAGS=0x04)],
        MAC_ADDRESS="00:0c:29:20:00:22", STATISTICS=b"\x00" * 40)))

t = 1768464000.0
for i, p in enumerate(pkts):
    p.time = t + i * 0.01
wrpcap("testdata/names.pcap", pkts)
