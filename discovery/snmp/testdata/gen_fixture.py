#!/usr/bin/python3
"""Writes testdata/snmp.pcap with scapy's SNMP layer: an engineering
workstation polls a switch's system group with SNMPv2c community "public"
(GetRequest and GetResponse with sysDescr, sysObjectID, sysName,
sysLocation), sends an SNMPv1 SetRequest with community "private" (and
gets a response), receives an SNMPv2c trap on 162, and exchanges one
SNMPv3 authPriv message (BER built by hand below, RFC 3412/3414 layout,
as scapy has no v3 layer). Run from discovery/snmp:

    /usr/bin/python3 testdata/gen_fixture.py

Check the decode with: tshark -r testdata/snmp.pcap -V
"""
from scapy.all import (Ether, IP, UDP, SNMP, SNMPget, SNMPresponse, SNMPset, SNMPvarbind, SNMPtrapv2,
                       ASN1_OID, ASN1_STRING, ASN1_NULL, ASN1_INTEGER, ASN1_TIME_TICKS, Raw, wrpcap)

EWS = ("00:0c:29:20:00:22", "10.10.20.22")
SW = ("00:1b:54:10:00:02", "10.10.10.2")
RTR = "00:1b:54:10:00:01"
def udp(src, dst, sport, dport, payload):
    return Ether(src=src[0], dst=RTR) / IP(src=src[1], dst=dst[1]) / UDP(sport=sport, dport=dport) / payload

sysDescr, sysObjectID, sysName, sysLocation = "1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1.2.0", "1.3.6.1.2.1.1.5.0", "1.3.6.1.2.1.1.6.0"
descr = ("Cisco IOS Software, IE4000 Software (IE4000-UNIVERSALK9-M), Version 15.2(7)E4, RELEASE SOFTWARE (fc2)\r\n"
         "Technical Support: http://www.cisco.com/techsupport")
pkts = [
    udp(EWS, SW, 50161, 161, SNMP(version=1, community="public", PDU=SNMPget(id=1001, varbindlist=[
        SNMPvarbind(oid=ASN1_OID(o), value=ASN1_NULL(0)) for o in (sysDescr, sysObjectID, sysName, sysLocation)]))),
    udp(SW, EWS, 161, 50161, SNMP(version=1, community="public", PDU=SNMPresponse(id=1001, varbindlist=[
        SNMPvarbind(oid=ASN1_OID(sysDescr), value=ASN1_STRING(descr)),
        SNMPvarbind(oid=ASN1_OID(sysObjectID), value=ASN1_OID("1.3.6.1.4.1.9.1.2157")),
        SNMPvarbind(oid=ASN1_OID(sysName), value=ASN1_STRING("ie4000-cell1")),
        SNMPvarbind(oid=ASN1_OID(sysLocation), value=ASN1_STRING("Building 2, cell 1 cabinet"))]))),
    udp(EWS, SW, 50162, 161, SNMP(version=0, community="private", PDU=SNMPset(id=1002, varbindlist=[
        SNMPvarbind(oid=ASN1_OID(sysLocation), value=ASN1_STRING("cabinet 1A"))]))),
    udp(SW, EWS, 161, 50162, SNMP(version=0, community="private", PDU=SNMPresponse(id=1002, varbindlist=[
        SNMPvarbind(oid=ASN1_OID(sysLocation), value=ASN1_STRING("cabinet 1A"))]))),
    udp(SW, EWS, 50999, 162, SNMP(version=1, community="plant-traps", PDU=SNMPtrapv2(id=7, varbindlist=[
        SNMPvarbind(oid=ASN1_OID("1.3.6.1.2.1.1.3.0"), value=ASN1_TIME_TICKS(123456)),
        SNMPvarbind(oid=ASN1_OID("1.3.6.1.6.3.1.1.4.1.0"), value=ASN1_OID("1.3.6.1.6.3.1.1.5.3"))]))),
]

def tlv(tag, body):
    n = len(body)
    if n < 0x80:
        l = bytes([n])
    elif n < 0x100:
        l = bytes([0x81, n])
    else:
        l = bytes([0x82, n >> 8, n & 0xff])
    return bytes([tag]) + l + body
def integer(v):
    b = v.to_bytes((v.bit_length() + 8) // 8 or 1, "big", signed=True)
    return tlv(0x02, b)
def octets(b):
    return tlv(0x04, b)
# SNMPv3: msgGlobalData (msgID, maxSize, flags authPriv|reportable = 0x07, USM = 3),
# USM security parameters, and an encrypted scopedPDU (opaque OCTET STRING).
usm = tlv(0x30, octets(bytes.fromhex("80000009030000 1b54100002".replace(" ", ""))) + integer(12) + integer(86400) +
          octets(b"opsadmin") + octets(b"\x11" * 12) + octets(b"\x22" * 8))
v3 = tlv(0x30, integer(3) + tlv(0x30, integer(4242) + integer(65507) + octets(b"\x07") + integer(3)) +
         octets(usm) + octets(bytes(range(48))))
pkts.append(udp(EWS, SW, 50163, 161, Raw(v3)))

t = 1768464000.0
for i, p in enumerate(pkts):
    p.time = t + i * 0.01
wrpcap("testdata/snmp.pcap", pkts)
