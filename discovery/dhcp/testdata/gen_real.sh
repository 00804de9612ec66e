#!/bin/sh
# Writes testdata/real_udhcp.pcap: a real DHCP exchange between busybox
# udhcpc (client, in a network namespace, MAC 00:14:22:20:00:60, host name
# MAINT-LT07, requesting 10.99.0.60) and busybox udhcpd (server 10.99.0.1)
# over a veth pair, captured on the server side with tcpdump. Debian 12
# busybox 1.35. Run as root from discovery/dhcp (creates and removes the veth
# pair itv0/itv1 and the namespace itns):
#
#   sh testdata/gen_real.sh
#
# Check the decode with: tshark -r testdata/real_udhcp.pcap -V
set -e
tmp=$(mktemp -d)
cleanup() {
	kill $srv $cap 2>/dev/null || true
	ip link del itv0 2>/dev/null || true
	ip netns del itns 2>/dev/null || true
	rm -rf $tmp
}
trap cleanup EXIT
ip netns add itns
ip link add itv0 type veth peer name itv1
ip link set itv1 netns itns
ip link set itv0 address 00:1b:54:10:00:01
ip addr add 10.99.0.1/24 dev itv0
ip link set itv0 up
ip netns exec itns ip link set itv1 address 00:14:22:20:00:60
ip netns exec itns ip link set itv1 up
cat > $tmp/udhcpd.conf <<CONF
start 10.99.0.50
end 10.99.0.99
interface itv0
lease_file $tmp/leases
opt router 10.99.0.1
opt dns 10.99.0.1
opt subnet 255.255.255.0
opt domain plant.local
opt lease 86400
CONF
touch $tmp/leases
tcpdump -i itv0 -U -s 0 -w testdata/real_udhcp.pcap 'udp port 67 or udp port 68' 2>/dev/null &
cap=$!
sleep 1
busybox udhcpd -f $tmp/udhcpd.conf >/dev/null 2>&1 &
srv=$!
sleep 1
ip netns exec itns busybox udhcpc -i itv1 -n -q -f -s /bin/true -x hostname:MAINT-LT07 -r 10.99.0.60 >/dev/null 2>&1 || true
sleep 1
kill $cap
wait $cap 2>/dev/null || true
