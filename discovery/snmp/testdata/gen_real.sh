#!/bin/sh
# Writes testdata/real_netsnmp.pcap: the real net-snmp tools against a real
# snmpd (Debian 12 packages snmp and snmpd) on loopback (manager 127.0.0.1,
# agent 127.0.0.2:161), captured by tcpdump:
#   1. snmpget v2c community "public": sysDescr, sysObjectID, sysName, sysLocation
#   2. snmpget v1 community "private" (no such community: the agent stays silent)
#   3. snmpget v3 authPriv (SHA/AES) as user opsadmin: engine discovery
#      (Report), then the encrypted request and response
# Run as root from discovery/snmp:
#
#   sh testdata/gen_real.sh
#
# Check the decode with: tshark -r testdata/real_netsnmp.pcap -V
set -e
tmp=$(mktemp -d)
trap 'kill $agent $cap 2>/dev/null; rm -rf $tmp' EXIT
cat > $tmp/snmpd.conf <<CONF
agentAddress udp:127.0.0.2:161
rocommunity public 127.0.0.1
sysDescr Plant SNMP agent (net-snmp on Debian 12)
sysName hist01
sysLocation Building 2, server room rack 4
sysContact plant-ops
createUser opsadmin SHA "authpass123" AES "privpass123"
rouser opsadmin priv
CONF
tcpdump -i lo -U -s 0 -w testdata/real_netsnmp.pcap 'udp port 161 and host 127.0.0.2' 2>/dev/null &
cap=$!
sleep 1
SNMP_PERSISTENT_DIR=$tmp /usr/sbin/snmpd -f -Lo -C -c $tmp/snmpd.conf -p $tmp/pid >/dev/null 2>&1 &
agent=$!
sleep 2
snmpget -v2c -c public 127.0.0.2 1.3.6.1.2.1.1.1.0 1.3.6.1.2.1.1.2.0 1.3.6.1.2.1.1.5.0 1.3.6.1.2.1.1.6.0 >/dev/null
snmpget -v1 -c private -t 1 -r 0 127.0.0.2 1.3.6.1.2.1.1.5.0 >/dev/null 2>&1 || true
snmpget -v3 -u opsadmin -l authPriv -a SHA -A authpass123 -x AES -X privpass123 127.0.0.2 1.3.6.1.2.1.1.5.0 >/dev/null
sleep 1
kill $cap
wait $cap 2>/dev/null || true
