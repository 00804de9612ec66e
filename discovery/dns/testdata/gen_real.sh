#!/bin/sh
# Writes testdata/real_dnsmasq.pcap: real queries by dig (Debian 12
# bind9-dnsutils) to a real dnsmasq (dnsmasq-base) on loopback (client
# 127.0.0.1, server 127.0.0.2:53), captured with tcpdump: A and AAAA for
# historian.plant.local, PTR for 10.10.10.11, an A query over TCP for
# plc-s7.plant.local, and a name dnsmasq does not know (REFUSED/NXDOMAIN).
# Run as root from discovery/dns:
#
#   sh testdata/gen_real.sh
#
# Check the decode with: tshark -r testdata/real_dnsmasq.pcap -Y dns
set -e
trap 'kill $srv $cap 2>/dev/null' EXIT
tcpdump -i lo -U -s 0 -w testdata/real_dnsmasq.pcap 'port 53 and host 127.0.0.2' 2>/dev/null &
cap=$!
sleep 1
dnsmasq --keep-in-foreground --no-resolv --no-hosts --no-daemon --listen-address=127.0.0.2 --bind-interfaces --port=53 \
  --host-record=historian.plant.local,10.10.30.31,fd00:10:30::31 \
  --host-record=plc-modbus.plant.local,10.10.10.11 \
  --host-record=plc-s7.plant.local,10.10.10.13 --local=/plant.local/ >/dev/null 2>&1 &
srv=$!
sleep 1
dig +short @127.0.0.2 historian.plant.local A >/dev/null
dig +short @127.0.0.2 historian.plant.local AAAA >/dev/null
dig +short @127.0.0.2 -x 10.10.10.11 >/dev/null
dig +short +tcp @127.0.0.2 plc-s7.plant.local A >/dev/null
dig +short @127.0.0.2 wpad.plant.local A >/dev/null || true
sleep 1
kill $cap
wait $cap 2>/dev/null || true
