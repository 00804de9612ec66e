#!/bin/sh
# Writes testdata/real_chrony.pcap: a real chronyd 4.3 (Debian 12) serving
# time on loopback as a local stratum-1 reference (server 127.0.0.2:123,
# never touching the system clock) and a second chronyd in query-only mode
# (-Q) asking it four times (client 127.0.0.1), captured with tcpdump.
# Run as root from discovery/ntp:
#
#   sh testdata/gen_real.sh
#
# Check the decode with: tshark -r testdata/real_chrony.pcap -V
set -e
tmp=$(mktemp -d)
trap 'kill $srv $cap 2>/dev/null; rm -rf $tmp' EXIT
cat > $tmp/server.conf <<CONF
bindaddress 127.0.0.2
port 123
local stratum 1
allow 127.0.0.0/8
cmdport 0
pidfile $tmp/server.pid
CONF
tcpdump -i lo -U -s 0 -w testdata/real_chrony.pcap 'udp port 123 and host 127.0.0.2' 2>/dev/null &
cap=$!
sleep 1
chronyd -x -d -f $tmp/server.conf >/dev/null 2>&1 &
srv=$!
sleep 2
chronyd -Q -t 10 -f /dev/null "server 127.0.0.2 iburst maxsamples 4" "pidfile $tmp/client.pid" "cmdport 0" >/dev/null 2>&1 || true
sleep 1
kill $cap
wait $cap 2>/dev/null || true
