#!/bin/sh
# Writes testdata/real_pyftpdlib.pcap: a real FTP control session between
# Python's ftplib (client 127.0.0.1) and pyftpdlib 1.5.7 (server
# 127.0.0.2:21, Debian 12 python3-pyftpdlib) on loopback, captured with
# tcpdump: login as "engineer", SYST, PWD, LIST, STOR, RETR, DELE, QUIT
# (passive data connections are on other ports and not captured).
# Run as root from discovery/ftp:
#
#   sh testdata/gen_real.sh
#
# Check the decode with: tshark -r testdata/real_pyftpdlib.pcap -Y ftp
set -e
tmp=$(mktemp -d)
trap 'kill $srv $cap 2>/dev/null; rm -rf $tmp' EXIT
mkdir -p $tmp/root && echo "batch,recipe" > $tmp/root/recipe.csv
tcpdump -i lo -U -s 0 -w testdata/real_pyftpdlib.pcap 'tcp port 21 and host 127.0.0.2' 2>/dev/null &
cap=$!
sleep 1
/usr/bin/python3 - $tmp/root >/dev/null 2>&1 <<'PY' &
import sys
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer
a = DummyAuthorizer()
a.add_user("engineer", "Line3!2024", sys.argv[1], perm="elradfmw")
FTPHandler.authorizer = a
FTPHandler.banner = "PLC line 3 FTP service ready."
FTPServer(("127.0.0.2", 21), FTPHandler).serve_forever()
PY
srv=$!
sleep 2
/usr/bin/python3 - <<'PY'
import ftplib, io
f = ftplib.FTP("127.0.0.2", timeout=5)
f.login("engineer", "Line3!2024")
f.sendcmd("SYST")
f.pwd()
f.retrlines("LIST", lambda l: None)
f.storbinary("STOR project.zip", io.BytesIO(b"PK\x03\x04" + bytes(200)))
f.retrbinary("RETR recipe.csv", lambda b: None)
f.delete("project.zip")
f.quit()
PY
sleep 1
kill $cap
wait $cap 2>/dev/null || true
