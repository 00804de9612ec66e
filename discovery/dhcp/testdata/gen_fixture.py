#!/usr/bin/python3
"""Writes testdata/dora.pcap: one DHCP DISCOVER/OFFER/REQUEST/ACK exchange
between a Windows-like client (hostname, vendor class "MSFT 5.0", requested
IP) and a server, built with scapy's DHCP layer. Run from discovery/dhcp:

    /usr/bin/python3 testdata/gen_fixture.py

Check the decode with: tshark -r testdata/dora.pcap -V
"""
from scapy.all import Ether, IP, UDP, BOOTP, DHCP, wrpcap

cmac = "00:0c:29:20:00:21"
smac = "00:1b:54:10:00:01"
chaddr = bytes.fromhex(cmac.replace(":", "")) + b"\x00" * 10
xid = 0x3903F326
pkts = []
t = 1768464000.0
def bc(op_opts, src_ip="0.0.0.0", dst_ip="255.255.255.255", src=cmac, dst="ff:ff:ff:ff:ff:ff", op=1, yiaddr="0.0.0.0", sport=68, dport=67):
    return (Ether(src=src, dst=dst) / IP(src=src_ip, dst=dst_ip) / UDP(sport=sport, dport=dport) /
            BOOTP(op=op, xid=xid, chaddr=chaddr, yiaddr=yiaddr, flags=0x8000) / DHCP(options=op_opts))

pkts.append(bc([("message-type", "discover"), ("client_id", b"\x01" + chaddr[:6]), ("requested_addr", "10.10.20.21"),
                ("hostname", b"HMI-1"), ("vendor_class_id", b"MSFT 5.0"), ("param_req_list", [1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252]), "end"]))
pkts.append(bc([("message-type", "offer"), ("server_id", "10.10.20.1"), ("lease_time", 86400), ("subnet_mask", "255.255.255.0"),
                ("router", "10.10.20.1"), ("name_server", "10.10.20.1"), "end"],
               src_ip="10.10.20.1", src=smac, op=2, yiaddr="10.10.20.21", sport=67, dport=68))
pkts.append(bc([("message-type", "request"), ("client_id", b"\x01" + chaddr[:6]), ("requested_addr", "10.10.20.21"),
                ("server_id", "10.10.20.1"), ("hostname", b"HMI-1"), ("vendor_class_id", b"MSFT 5.0"), "end"]))
pkts.append(bc([("message-type", "ack"), ("server_id", "10.10.20.1"), ("lease_time", 86400), ("subnet_mask", "255.255.255.0"),
                ("router", "10.10.20.1"), "end"],
               src_ip="10.10.20.1", src=smac, op=2, yiaddr="10.10.20.21", sport=67, dport=68))
for i, p in enumerate(pkts):
    p.time = t + i * 0.01
wrpcap("testdata/dora.pcap", pkts)
