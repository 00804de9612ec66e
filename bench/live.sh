#!/usr/bin/env bash
# bench/live.sh: how fast `otzone capture` keeps up with live traffic.
#
# Replays the benchmark corpus (../shared/bench/make-corpus.sh, as bench/run.sh
# uses it) with tcpreplay over a veth pair inside a network namespace of its
# own, while `otzone capture` (full pipeline: kernel ring, engine, every
# dissector, inventory, SQLite commits every 5 s) reads the other end. For each
# rate in RATES (packets/s; "top" = tcpreplay --topspeed) it sends LIMIT
# packets and compares what otzone processed with what tcpreplay sent. It
# prints, per rate: the rate tcpreplay actually reached, loss (kernel drops,
# application drops, frames never seen), and the highest rate with loss under
# 0.1 %, in packets/s and Mbit/s. Then it replays at a steady STEADY_PPS for
# STEADY_SECONDS and reports otzone's CPU use (user+sys from /proc, percent of
# one core).
#
# Needs root, ip (iproute2), tcpreplay, capinfos, go (sqlite3 to see when the
# capture is ready, else it waits 2 s). Nothing leaves the
# namespace: no address, no route, IPv6 disabled.
#
# Env: RATES ("20000 50000 100000 150000 200000 300000 top"), LIMIT (1000000:
# more than the 64 MiB ring holds, so a burst cannot hide loss),
# STEADY_PPS (100000), STEADY_SECONDS (10), MB (200: corpus size), OUT
# (bench/out), SHARED (../shared), KEEP_NS=1 to leave the namespace.
set -euo pipefail
export LC_ALL=C
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
OUT=${OUT:-$ROOT/bench/out}
SHARED=${SHARED:-$(cd "$ROOT/../shared" 2>/dev/null && pwd || true)}
RATES=${RATES:-20000 50000 100000 150000 200000 300000 top}
LIMIT=${LIMIT:-1000000}
STEADY_PPS=${STEADY_PPS:-100000}
STEADY_SECONDS=${STEADY_SECONDS:-10}
MB=${MB:-200}
NS=otzbench-$$
TX=otzbr0
RX=otzbc0

[ "$(id -u)" -eq 0 ] || { echo "bench/live.sh needs root (network namespace, AF_PACKET)" >&2; exit 1; }
for t in ip tcpreplay capinfos go; do
  command -v "$t" >/dev/null || { echo "missing $t" >&2; exit 1; }
done
mkdir -p "$OUT"

CORPUS="$OUT/corpus-$MB.pcap"
if [ ! -s "$CORPUS" ]; then
  [ -x "$SHARED/bench/make-corpus.sh" ] || { echo "no $CORPUS and make-corpus.sh not found under SHARED=$SHARED" >&2; exit 1; }
  echo "building $CORPUS ..."
  "$SHARED/bench/make-corpus.sh" "$CORPUS" "$MB" >&2
fi
(cd "$ROOT" && CGO_ENABLED=1 go build -trimpath -o "$OUT/otzone" ./cmd/otzone)
BIN="$OUT/otzone"

cleanup() {
  [ -n "${PID:-}" ] && kill -9 "$PID" 2>/dev/null || true
  [ "${KEEP_NS:-0}" = 1 ] || ip netns del "$NS" 2>/dev/null || true
}
trap cleanup EXIT
ip netns add "$NS"
in_ns() { ip netns exec "$NS" "$@"; }
in_ns sysctl -q -w net.ipv6.conf.all.disable_ipv6=1
in_ns sysctl -q -w net.ipv6.conf.default.disable_ipv6=1
in_ns ip link add "$TX" mtu 9000 type veth peer name "$RX" mtu 9000
in_ns ip link set "$TX" up
in_ns ip link set "$RX" up

PKTS=$(capinfos -T -r -c "$CORPUS" | cut -f2)
AVG=$(capinfos -T -r -z "$CORPUS" | cut -f2)
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "otzone: $(git -C "$ROOT" describe --always --dirty 2>/dev/null); $(tcpreplay --version 2>&1 | head -1)"
echo "corpus: $CORPUS ($PKTS packets, mean $AVG bytes); $LIMIT packets per rate"
echo

# start_capture DB: otzone capture in the namespace, waits until the socket is open.
start_capture() {
  local db=$1
  rm -f "$db" "$db-wal" "$db-shm" "$db.out" "$db.err"
  ip netns exec "$NS" "$BIN" --db "$db" --quiet capture -i "$RX" --flush 5s >"$db.out" 2>"$db.err" &
  PID=$!
  for _ in $(seq 100); do
    kill -0 "$PID" 2>/dev/null || { echo "otzone capture failed:" >&2; cat "$db.err" >&2; exit 1; }
    # The source row is written once the socket is open.
    if command -v sqlite3 >/dev/null; then
      [ "$(sqlite3 "file:$db?mode=ro" 'SELECT count(*) FROM sources' 2>/dev/null)" = 1 ] && break
    else
      sleep 2 && break
    fi
    sleep 0.1
  done
  sleep 0.2
}

stop_capture() {
  kill -TERM "$PID" # a background job of a script ignores SIGINT
  wait "$PID" || true
  PID=
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

printf '%-8s %12s %10s %10s %10s %10s %10s %8s\n' rate sent_pps Mbit/s sent captured k_drops app_drops loss%
BEST_PPS=0 BEST_MBPS=0
for R in $RATES; do
  DB="$OUT/live-bench.db"
  start_capture "$DB"
  if [ "$R" = top ]; then ARGS=(--topspeed); else ARGS=(--pps "$R"); fi
  REP=$(in_ns tcpreplay -q -i "$TX" "${ARGS[@]}" --limit "$LIMIT" "$CORPUS" 2>&1 | grep -v -e "^Warning in flows" -e "unsupported DLT")
  sleep 1
  stop_capture
  SENT=$(echo "$REP" | awk '/Successful packets:/ {print $3}')
  RPPS=$(echo "$REP" | awk '/Rated:/ {for (i=1;i<=NF;i++) if ($i ~ /pps/) print $(i-1)}' | head -1)
  RMBPS=$(echo "$REP" | awk '/Rated:/ {for (i=1;i<=NF;i++) if ($i ~ /Mbps/) print $(i-1)}' | head -1)
  CAP=$(awk '/^captured/ {print $2}' "$DB.out")
  KD=$(awk '/^kernel:/ {print $4}' "$DB.out")
  AD=$(awk -F'application drops: ' '/^kernel:/ {split($2,a,";"); print a[1]}' "$DB.out")
  LOSS=$(awk -v s="$SENT" -v c="$CAP" 'BEGIN { if (s > 0) printf "%.3f", 100 * (s - c) / s; else print "n/a" }')
  printf '%-8s %12s %10s %10s %10s %10s %10s %8s\n' "$R" "${RPPS%.*}" "$RMBPS" "$SENT" "$CAP" "$KD" "$AD" "$LOSS"
  if awk -v l="$LOSS" 'BEGIN { exit !(l < 0.1) }'; then
    if awk -v a="$RPPS" -v b="$BEST_PPS" 'BEGIN { exit !(a > b) }'; then BEST_PPS=${RPPS%.*} BEST_MBPS=$RMBPS; fi
  fi
done
echo
echo "highest rate with loss < 0.1 %: $BEST_PPS packets/s, $BEST_MBPS Mbit/s"

# CPU at a steady rate.
DB="$OUT/live-bench.db"
start_capture "$DB"
N=$((STEADY_PPS * STEADY_SECONDS))
T0=$(cpu_ticks "$PID"); W0=$(date +%s.%N)
REP=$(in_ns tcpreplay -q -i "$TX" --pps "$STEADY_PPS" --limit "$N" "$CORPUS" 2>&1 | grep -v -e "^Warning in flows" -e "unsupported DLT")
W1=$(date +%s.%N)
# Let otzone finish what is still in the ring, then count its CPU time
# against the time the traffic took.
sleep 3
T1=$(cpu_ticks "$PID")
stop_capture
HZ=$(getconf CLK_TCK)
RPPS=$(echo "$REP" | awk '/Rated:/ {for (i=1;i<=NF;i++) if ($i ~ /pps/) print $(i-1)}' | head -1)
awk -v t0="$T0" -v t1="$T1" -v w0="$W0" -v w1="$W1" -v hz="$HZ" -v pps="$RPPS" -v target="$STEADY_PPS" \
  'BEGIN { printf "steady %d packets/s (reached %.0f): otzone CPU %.1f %% of one core (user+sys for %.1f s of traffic)\n", target, pps, 100 * (t1 - t0) / hz / (w1 - w0), w1 - w0 }'
sed -n '1,2p' "$DB.out"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
