#!/bin/sh
# Writes testdata/real_curl.pcap: curl fetching a directory listing and a
# missing page from Python's http.server on loopback (client 127.0.0.1,
# server 127.0.0.2:80), captured with tcpdump: real HTTP/1.0 responses
# without Content-Length (body to connection close) and a 404. Run as root
# from discovery/http:
#
#   sh testdata/gen_real.sh
#
# Check the decode with: tshark -r testdata/real_curl.pcap -Y http -V
set -e
tmp=$(mktemp -d)
trap 'kill $srv $cap 2>/dev/null; rm -rf $tmp' EXIT
mkdir -p $tmp/www && echo "recipe" > $tmp/www/recipe.csv
tcpdump -i lo -U -s 0 -w testdata/real_curl.pcap 'tcp port 80 and host 127.0.0.2' 2>/dev/null &
cap=$!
sleep 1
(cd $tmp/www && exec /usr/bin/python3 -m http.server 80 --bind 127.0.0.2) >/dev/null 2>&1 &
srv=$!
sleep 1
curl -s -o /dev/null http://127.0.0.2/
curl -s -o /dev/null -H "Host: hmi-web.plant.local" http://127.0.0.2/missing
sleep 1
kill $cap
wait $cap 2>/dev/null || true
