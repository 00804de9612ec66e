#!/bin/sh
# Writes testdata/real_impacket.pcap: a real SMB2 session between impacket's
# SMBConnection (client 127.0.0.1) and impacket's SimpleSMBServer (server
# 127.0.0.2:445; Debian 12 package python3-impacket 0.10.0) on loopback,
# captured with tcpdump: negotiate, NTLMSSP session setup as PLANT\operator
# from workstation EWS-1, tree connect, a file upload (write) and download
# (read). Run as root from discovery/smb:
#
#   sh testdata/gen_real.sh
#
# Check the decode with: tshark -r testdata/real_impacket.pcap -Y smb2 -V
set -e
tmp=$(mktemp -d)
trap 'kill $srv $cap 2>/dev/null; rm -rf $tmp' EXIT
mkdir -p $tmp/share && echo "batch,recipe" > $tmp/share/recipe.csv
tcpdump -i lo -U -s 0 -w testdata/real_impacket.pcap 'tcp port 445 and host 127.0.0.2' 2>/dev/null &
cap=$!
sleep 1
/usr/bin/python3 - $tmp/share >/dev/null 2>&1 <<'PY' &
import sys
from impacket import smbserver
s = smbserver.SimpleSMBServer(listenAddress="127.0.0.2", listenPort=445)
s.addShare("BACKUP", sys.argv[1], "project backups")
s.setSMB2Support(True)
s.addCredential("operator", 0, "aad3b435b51404eeaad3b435b51404ee", "fc525c9683e8fe067095ba2ddc971889")  # NT hash of Passw0rd!
s.setSMBChallenge("")
s.start()
PY
srv=$!
sleep 2
/usr/bin/python3 - <<'PY'
import io
from impacket.smbconnection import SMBConnection
c = SMBConnection("HIST01", "127.0.0.2", myName="EWS-1", sess_port=445)
c.login("operator", "Passw0rd!", domain="PLANT")
c.putFile("BACKUP", "project.zip", io.BytesIO(b"PK\x03\x04" + bytes(range(256)) * 40).read)
out = io.BytesIO()
c.getFile("BACKUP", "recipe.csv", out.write)
c.logoff()
PY
sleep 1
kill $cap
wait $cap 2>/dev/null || true
