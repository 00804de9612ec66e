#!/bin/sh
# Writes testdata/real_openssh.pcap: the real OpenSSH client (ssh) opening a
# connection on loopback (client 127.0.0.1, server 127.0.0.2:22) to a stub
# server that sends an identification string, reads the client's
# identification and KEXINIT, and closes. The client bytes are OpenSSH's own.
# Run as root from discovery/ssh:
#
#   sh testdata/gen_real.sh
#
# Check the decode with: tshark -r testdata/real_openssh.pcap -Y ssh -V
set -e
trap 'kill $srv $cap 2>/dev/null' EXIT
tcpdump -i lo -U -s 0 -w testdata/real_openssh.pcap 'tcp port 22 and host 127.0.0.2' 2>/dev/null &
cap=$!
sleep 1
/usr/bin/python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.2", 22)); s.listen(1)
c, _ = s.accept()
c.sendall(b"SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6\r\n")
import time; time.sleep(0.5); c.recv(65536); c.close()
' &
srv=$!
sleep 1
ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=3 probe@127.0.0.2 true 2>/dev/null || true
sleep 1
kill $cap
wait $cap 2>/dev/null || true
