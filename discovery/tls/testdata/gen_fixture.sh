#!/bin/sh
# Writes testdata/tls.pcap: two real TLS sessions between openssl s_client and
# s_server on the loopback interface (client 127.0.0.1, server 127.0.0.2), captured with tcpdump. Session 1 is
# TLS 1.2 with SNI "plc-line3.plant.local" and a self-signed certificate
# (CN=plc-line3.plant.local, O=Plant Line 3); session 2 is TLS 1.3 (the
# certificate is encrypted there). Run as root from discovery/tls:
#
#   sh testdata/gen_fixture.sh
#
# Check the decode with: tshark -r testdata/tls.pcap -Y tls.handshake -V
set -e
tmp=$(mktemp -d)
trap 'kill $srv $cap 2>/dev/null; rm -rf $tmp' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
  -subj "/CN=plc-line3.plant.local/O=Plant Line 3" -addext "subjectAltName=DNS:plc-line3.plant.local,DNS:plc-line3" \
  -set_serial 4242 -keyout $tmp/key.pem -out $tmp/cert.pem 2>/dev/null
tcpdump -i lo -U -s 0 -w testdata/tls.pcap 'tcp port 443' 2>/dev/null &
cap=$!
sleep 1
openssl s_server -quiet -accept 127.0.0.2:443 -cert $tmp/cert.pem -key $tmp/key.pem -naccept 2 >/dev/null 2>&1 &
srv=$!
sleep 1
echo | openssl s_client -connect 127.0.0.2:443 -servername plc-line3.plant.local -tls1_2 -ign_eof >/dev/null 2>&1 || true
sleep 0.5
echo | openssl s_client -connect 127.0.0.2:443 -servername plc-line3.plant.local -tls1_3 -ign_eof >/dev/null 2>&1 || true
sleep 1
kill $cap
wait $cap 2>/dev/null || true
