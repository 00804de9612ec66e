#!/usr/bin/env bash
# bench/live.sh: how fast `otzone capture` keeps up with live traffic.
#
# Sends the benchmark corpus (../shared/bench/make-corpus.sh, as bench/run.sh
# uses it) over a veth pair inside a network namespace of its own, while
# `otzone capture` (full pipeline: kernel ring, engine, every dissector,
# inventory, SQLite commits every 5 s) reads the other end.
#
# The sender is bench/blast (default): it loads the corpus' first LIMIT
# frames into memory once and sends them through an AF_PACKET socket with
# PACKET_QDISC_BYPASS, a batch per system call (sendmmsg, or the TX ring
# with BLAST_MODE=ring), paced to each rate or flat out ("top").
# SENDER=tcpreplay uses tcpreplay (--pps / --topspeed) instead, the
# standard tool, which sends one frame per system call.
#
# 1. Sender ceiling (blast only): flat out with nobody reading the other
#    end, then with a trivial reader (blast -sink: a TPACKET_V3 ring whose
#    blocks are counted and released) — what the sender and the kernel can
#    do without otzone.
# 2. For each rate in RATES (packets/s; "top" = flat out) it sends LIMIT
#    frames and compares what otzone processed with what was sent: the rate
#    actually reached, loss (kernel drops, application drops, frames never
#    seen), the CPU used by otzone and by the sender (user+sys, % of one
#    core) and each CPU's busy share (/proc/stat), and the highest rate
#    with loss under 0.1 %, in packets/s and Mbit/s (frame bytes, as
#    tcpreplay counts them).
# 3. Drain (blast only): otzone stopped with SIGSTOP while the sender
#    queues DRAIN_N frames in its ring, then resumed: the rate at which it
#    works through them is its own ceiling, with no sender on the CPUs.
# 4. Then it sends at a steady STEADY_PPS for STEADY_SECONDS and reports
#    otzone's CPU use (user+sys from /proc, percent of one core).
#
# Needs root, ip (iproute2), capinfos, go, tcpreplay for SENDER=tcpreplay
# (sqlite3 to see when the capture is ready, else it waits 2 s). Nothing
# leaves the namespace: no address, no route, IPv6 disabled; blast refuses
# any interface that is not a veth in a namespace made by ip netns add.
#
# Env: SENDER (blast), BLAST_MODE (mmsg | ring), BLAST_THREADS (2: sender
# threads in the rate sweep, frames dealt out by host pair; step 1 measures
# 1 and 2), RATES ("100000 200000 300000 400000 500000 top"), LIMIT
# (1000000: more than the 64 MiB ring holds, so a burst cannot hide loss),
# STEADY_PPS (100000), STEADY_SECONDS (10), CEILING=0 skips step 1, DRAIN_N
# (1000000; 0 skips step 3), MB (200: corpus size), OUT (bench/out), SHARED
# (../shared), KEEP_NS=1 to leave the namespace, PROFILE=FILE writes a CPU
# profile of otzone during the steady run.
set -euo pipefail
export LC_ALL=C
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
OUT=${OUT:-$ROOT/bench/out}
SHARED=${SHARED:-$(cd "$ROOT/../shared" 2>/dev/null && pwd || true)}
SENDER=${SENDER:-blast}
BLAST_MODE=${BLAST_MODE:-mmsg}
BLAST_THREADS=${BLAST_THREADS:-2}
if [ "$SENDER" = tcpreplay ]; then
  RATES=${RATES:-20000 50000 100000 150000 200000 300000 top}
else
  RATES=${RATES:-100000 200000 300000 400000 500000 top}
fi
LIMIT=${LIMIT:-1000000}
STEADY_PPS=${STEADY_PPS:-100000}
STEADY_SECONDS=${STEADY_SECONDS:-10}
CEILING=${CEILING:-1}
MB=${MB:-200}
NS=otzbench-$$
TX=otzbr0
RX=otzbc0

[ "$(id -u)" -eq 0 ] || { echo "bench/live.sh needs root (network namespace, AF_PACKET)" >&2; exit 1; }
case $SENDER in blast|tcpreplay) ;; *) echo "SENDER=$SENDER: want blast or tcpreplay" >&2; exit 1 ;; esac
case $BLAST_MODE in mmsg|ring) ;; *) echo "BLAST_MODE=$BLAST_MODE: want mmsg or ring" >&2; exit 1 ;; esac
for t in ip capinfos go; do
  command -v "$t" >/dev/null || { echo "missing $t" >&2; exit 1; }
done
[ "$SENDER" = blast ] || command -v tcpreplay >/dev/null || { echo "missing tcpreplay" >&2; exit 1; }
mkdir -p "$OUT"

CORPUS="$OUT/corpus-$MB.pcap"
if [ ! -s "$CORPUS" ]; then
  [ -x "$SHARED/bench/make-corpus.sh" ] || { echo "no $CORPUS and make-corpus.sh not found under SHARED=$SHARED" >&2; exit 1; }
  echo "building $CORPUS ..."
  "$SHARED/bench/make-corpus.sh" "$CORPUS" "$MB" >&2
fi
(cd "$ROOT" && CGO_ENABLED=1 go build -trimpath -o "$OUT/otzone" ./cmd/otzone)
(cd "$ROOT" && go build -trimpath -o "$OUT/blast" ./bench/blast)
BIN="$OUT/otzone"
BLAST="$OUT/blast"

cleanup() {
  [ -n "${PID:-}" ] && kill -9 "$PID" 2>/dev/null || true
  [ -n "${SINK:-}" ] && kill -9 "$SINK" 2>/dev/null || true
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
if [ "$SENDER" = blast ]; then
  echo "otzone: $(git -C "$ROOT" describe --always --dirty 2>/dev/null); sender: bench/blast ($BLAST_MODE, PACKET_QDISC_BYPASS, frames in memory, $BLAST_THREADS thread(s) in the sweep)"
else
  echo "otzone: $(git -C "$ROOT" describe --always --dirty 2>/dev/null); sender: $(tcpreplay --version 2>&1 | head -1)"
fi
echo "corpus: $CORPUS ($PKTS packets, mean $AVG bytes); $LIMIT packets per rate"
echo

# cpu_snap: per-CPU busy and total jiffies ("busy0 total0 busy1 total1 ...").
cpu_snap() { awk '/^cpu[0-9]/ { b = $2 + $3 + $4 + $7 + $8 + $9; t = b + $5 + $6; printf "%d %d ", b, t }' /proc/stat; }
# cpu_busy BEFORE AFTER: "cpu0 87% cpu1 45%".
cpu_busy() {
  awk -v a="$1" -v b="$2" 'BEGIN { n = split(a, x, " "); split(b, y, " ")
    for (i = 1; i < n; i += 2) { dt = y[i+1] - x[i+1]; printf "%scpu%d %.0f%%", (i > 1 ? " " : ""), (i - 1) / 2, (dt > 0 ? 100 * (y[i] - x[i]) / dt : 0) } }'
}
# softirq_ticks: softirq time of all CPUs (/proc/stat): on a veth mostly the
# receive path the kernel runs in the sender's context (ticks there count in
# the sender's system time too, so it is a share of snd_cpu%, not added).
HZ=$(getconf CLK_TCK)
softirq_ticks() { awk '/^cpu / { print $8 }' /proc/stat; }
kv() { echo "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2 }'; }

# send RATE COUNT: sends COUNT frames at RATE packets/s ("top": flat out) and
# sets SENT, RPPS, RMBPS, SCPU (sender user+sys seconds, or "n/a").
send() {
  local rate=$1 count=$2 rep
  if [ "$SENDER" = blast ]; then
    local args=(-i "$TX" -n "$count" -count "$count" -threads "${THREADS:-$BLAST_THREADS}")
    [ "$BLAST_MODE" = mmsg ] && args+=(-mmsg)
    [ "$rate" = top ] || args+=(-pps "$rate")
    rep=$(in_ns "$BLAST" "${args[@]}" "$CORPUS" 2>/dev/null)
    SENT=$(kv "$rep" tx_packets) RPPS=$(kv "$rep" pps) RMBPS=$(kv "$rep" mbps)
    SCPU=$(awk -v u="$(kv "$rep" user)" -v s="$(kv "$rep" sys)" 'BEGIN { printf "%.2f", u + s }')
    SSEC=$(kv "$rep" seconds)
  else
    local args=(--pps "$rate")
    [ "$rate" = top ] && args=(--topspeed)
    rep=$(in_ns tcpreplay -q -i "$TX" "${args[@]}" --limit "$count" "$CORPUS" 2>&1 | grep -v -e "^Warning in flows" -e "unsupported DLT")
    SENT=$(echo "$rep" | awk '/Successful packets:/ {print $3}')
    RPPS=$(echo "$rep" | awk '/Rated:/ {for (i=1;i<=NF;i++) if ($i ~ /pps/) print $(i-1)}' | head -1)
    RMBPS=$(echo "$rep" | awk '/Rated:/ {for (i=1;i<=NF;i++) if ($i ~ /Mbps/) print $(i-1)}' | head -1)
    SSEC=$(echo "$rep" | awk '/Actual:/ {for (i=1;i<=NF;i++) if ($i == "seconds") print $(i-1)}' | head -1)
    SCPU=n/a
  fi
  RPPS=${RPPS%.*}
}

if [ "$SENDER" = blast ] && [ "$CEILING" = 1 ]; then
  echo "sender ceiling (flat out, $LIMIT frames):"
  printf '  %-30s %10s %8s %10s %10s %13s %14s %s\n' reader pps Mbit/s sent received sender_us/pkt softirq_us/pkt CPUs
  for TH in 1 2; do
    C0=$(cpu_snap); Q0=$(softirq_ticks); THREADS=$TH send top "$LIMIT"; C1=$(cpu_snap); Q1=$(softirq_ticks)
    printf '  %-30s %10s %8s %10s %10s %13s %14s %s\n' "none, $TH sender thread(s)" "$RPPS" "$RMBPS" "$SENT" - \
      "$(awk -v c="$SCPU" -v n="$SENT" 'BEGIN { printf "%.2f", 1e6 * c / n }')" \
      "$(awk -v a="$Q0" -v b="$Q1" -v hz="$HZ" -v n="$SENT" 'BEGIN { printf "%.2f", 1e6 * (b - a) / hz / n }')" "$(cpu_busy "$C0" "$C1")"
    in_ns "$BLAST" -sink -i "$RX" -idle 1s >"$OUT/live-sink.out" 2>"$OUT/live-sink.err" &
    SINK=$!
    for _ in $(seq 50); do grep -q listening "$OUT/live-sink.err" 2>/dev/null && break; sleep 0.1; done
    C0=$(cpu_snap); Q0=$(softirq_ticks); THREADS=$TH send top "$LIMIT"; C1=$(cpu_snap); Q1=$(softirq_ticks)
    wait "$SINK" || true
    SINK=
    SREP=$(cat "$OUT/live-sink.out")
    printf '  %-30s %10s %8s %10s %10s %13s %14s %s\n' "trivial ring, $TH sender thread(s)" "$RPPS" "$RMBPS" "$SENT" "$(kv "$SREP" received)" \
      "$(awk -v c="$SCPU" -v n="$SENT" 'BEGIN { printf "%.2f", 1e6 * c / n }')" \
      "$(awk -v a="$Q0" -v b="$Q1" -v hz="$HZ" -v n="$SENT" 'BEGIN { printf "%.2f", 1e6 * (b - a) / hz / n }')" "$(cpu_busy "$C0" "$C1")"
    echo "    trivial reader: kernel drops $(kv "$SREP" kernel_drops), its CPU $(kv "$SREP" user)+$(kv "$SREP" sys) s"
  done
  echo
fi

# start_capture DB: otzone capture in the namespace, waits until the socket is open.
start_capture() {
  local db=$1
  shift
  rm -f "$db" "$db-wal" "$db-shm" "$db.out" "$db.err"
  ip netns exec "$NS" env ${OTZ_PROFILE:+OTZONE_CPUPROFILE=$OTZ_PROFILE} "$BIN" --db "$db" --quiet capture -i "$RX" --flush 5s "$@" >"$db.out" 2>"$db.err" &
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
# child_cpu VAR: sets VAR to the user+sys seconds of every child this shell
# has reaped (times runs in this shell, not in a command substitution's
# subshell, which has children of its own).
child_cpu() {
  times >"$OUT/live-times.txt"
  printf -v "$1" '%s' "$(awk 'NR == 2 { t = 0; for (i = 1; i <= 2; i++) { split($i, a, "m"); t += a[1] * 60 + a[2] }; print t }' "$OUT/live-times.txt")"
}

printf '%-8s %9s %8s %9s %9s %8s %8s %7s %8s %8s %8s  %s\n' rate sent_pps Mbit/s sent captured k_drops app_drops loss% otz_cpu% snd_cpu% softirq% CPUs
BEST_PPS=0 BEST_MBPS=0
for R in $RATES; do
  DB="$OUT/live-bench.db"
  start_capture "$DB"
  T0=$(cpu_ticks "$PID"); C0=$(cpu_snap); Q0=$(softirq_ticks)
  send "$R" "$LIMIT"
  C1=$(cpu_snap); Q1=$(softirq_ticks)
  # Let otzone finish what is still in the ring; its CPU counts against
  # the time the traffic took.
  sleep 1
  T1=$(cpu_ticks "$PID")
  stop_capture
  CAP=$(awk '/^captured/ {print $2}' "$DB.out")
  KD=$(awk '/^kernel:/ {print $4}' "$DB.out")
  AD=$(awk -F'application drops: ' '/^kernel:/ {split($2,a,";"); print a[1]}' "$DB.out")
  LOSS=$(awk -v s="$SENT" -v c="$CAP" 'BEGIN { if (s > 0) printf "%.3f", 100 * (s - c) / s; else print "n/a" }')
  OCPU=$(awk -v t0="$T0" -v t1="$T1" -v hz="$HZ" -v s="$SSEC" 'BEGIN { if (s > 0) printf "%.0f", 100 * (t1 - t0) / hz / s; else print "n/a" }')
  SCPUP=$(awk -v c="$SCPU" -v s="$SSEC" 'BEGIN { if (c != "n/a" && s > 0) printf "%.0f", 100 * c / s; else print "n/a" }')
  SIRQ=$(awk -v a="$Q0" -v b="$Q1" -v hz="$HZ" -v s="$SSEC" 'BEGIN { if (s > 0) printf "%.0f", 100 * (b - a) / hz / s; else print "n/a" }')
  printf '%-8s %9s %8s %9s %9s %8s %8s %7s %8s %8s %8s  %s\n' "$R" "$RPPS" "$RMBPS" "$SENT" "$CAP" "$KD" "$AD" "$LOSS" "$OCPU" "$SCPUP" "$SIRQ" "$(cpu_busy "$C0" "$C1")"
  if awk -v l="$LOSS" 'BEGIN { exit !(l < 0.1) }'; then
    if awk -v a="$RPPS" -v b="$BEST_PPS" 'BEGIN { exit !(a > b) }'; then BEST_PPS=$RPPS BEST_MBPS=$RMBPS; fi
  fi
done
echo "(otz_cpu%, snd_cpu%: user+sys of otzone and of the sender over the sending time, % of one core; softirq%: softirq time of all CPUs then, % of one core, mostly the receive path run in the sender's context and so a share of snd_cpu%; CPUs: each CPU's busy share then, all processes)"
echo
echo "highest rate with loss < 0.1 %: $BEST_PPS packets/s, $BEST_MBPS Mbit/s"

# otzone's own ceiling, without a sender competing for the CPUs: stop
# otzone (SIGSTOP), let the sender fill its ring with DRAIN_N frames, resume
# it and time how long it takes to process them (until its CPU time stops
# growing). A corpus frame takes about 210 bytes of ring, so the ring is
# made 512 MiB for this step (the default 64 MiB holds about 300 000);
# its size does not change what a frame costs to process.
if [ "$SENDER" = blast ] && [ "${DRAIN_N:-1000000}" -gt 0 ]; then
  DN=${DRAIN_N:-1000000}
  DB="$OUT/live-bench.db"
  start_capture "$DB" --buffer-size 512MiB
  kill -STOP "$PID"
  send top "$DN"
  sleep 0.3 # the last block retires after at most 100 ms
  T0=$(cpu_ticks "$PID"); W0=$(date +%s.%N)
  kill -CONT "$PID"
  LAST=$T0 WL=$W0 QUIET=0
  while [ "$QUIET" -lt 10 ]; do
    sleep 0.05
    T=$(cpu_ticks "$PID")
    if [ "$T" != "$LAST" ]; then LAST=$T WL=$(date +%s.%N) QUIET=0; else QUIET=$((QUIET + 1)); fi
  done
  # What the final commit (and the asset count) costs: otzone's whole CPU
  # time, added to the shell's children's when it is reaped, less what it
  # had used before SIGTERM.
  child_cpu K0
  stop_capture
  child_cpu K1
  CAP=$(awk '/^captured/ {print $2}' "$DB.out")
  KD=$(awk '/^kernel:/ {print $4}' "$DB.out")
  awk -v n="$CAP" -v s="$SENT" -v kd="$KD" -v t0="$T0" -v t1="$LAST" -v w0="$W0" -v w1="$WL" -v hz="$HZ" \
    'BEGIN { printf "drain: %d of %d queued frames (%d kernel drops) processed in %.2f s (+-0.05) after SIGCONT: %.0f packets/s; %.2f CPU-s (%.2f us per packet, %.0f %% of one core)\n", n, s, kd, w1 - w0, n / (w1 - w0), (t1 - t0) / hz, 1e6 * (t1 - t0) / hz / n, 100 * (t1 - t0) / hz / (w1 - w0) }'
  awk -v k0="$K0" -v k1="$K1" -v t1="$LAST" -v hz="$HZ" -v n="$CAP" \
    'BEGIN { c = (k1 - k0) - t1 / hz; printf "drain: then the final commit and count: %.2f CPU-s (%.2f us per packet; the drain figure above leaves it out)\n", c, 1e6 * c / n }'
fi

# CPU at a steady rate.
DB="$OUT/live-bench.db"
OTZ_PROFILE=${PROFILE:-} start_capture "$DB"
N=$((STEADY_PPS * STEADY_SECONDS))
T0=$(cpu_ticks "$PID")
send "$STEADY_PPS" "$N"
sleep 3
T1=$(cpu_ticks "$PID")
stop_capture
awk -v t0="$T0" -v t1="$T1" -v s="$SSEC" -v hz="$HZ" -v pps="$RPPS" -v target="$STEADY_PPS" -v n="$SENT" \
  'BEGIN { printf "steady %d packets/s (reached %.0f): otzone CPU %.1f %% of one core (user+sys, including finishing the ring, for %.1f s of traffic), %.2f us per packet\n", target, pps, 100 * (t1 - t0) / hz / s, s, 1e6 * (t1 - t0) / hz / n }'
sed -n '1,2p' "$DB.out"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
