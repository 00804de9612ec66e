#!/usr/bin/env bash
# bench/run.sh [MB...]
#
# Times otzone's capture ingestion against standard tools on a realistic
# corpus (built by ../shared/bench/make-corpus.sh from the shared ICS
# captures: all protocols interleaved, replicated with randomised addresses
# until MB mebibytes; default 200). For every size it runs, RUNS times each
# (default 3, interleaved, page cache warm), under GNU time -v:
#
#   otzone      otzone --db DB --quiet ingest FILE   (fresh DB each run: decode,
#               dissect, inventory merge, SQLite commit; the end-to-end number)
#   engine      go test -tags enginebench -bench BenchmarkEngineFile (reader +
#               engine + every dissector, observations dropped: no inventory, no DB)
#   tcpdump     tcpdump -nr FILE -w /dev/null
#   tshark      tshark -n $TSHARK_OPTS -r FILE -T fields -e ip.src -e ip.dst
#               -e tcp.dstport -e modbus.func_code > /dev/null
#
# and prints median wall time, packets/s, CPU (user+sys) seconds and peak RSS.
# The machine may be shared: CPU seconds are the fairer comparison when
# the load average is high, and the script prints the load.
#
# Env: RUNS (3), OUT (bench/out), SHARED (../shared), TSHARK_OPTS
# (default "--disable-protocol pn_io", as ../shared/bench/run-baselines.sh:
# Wireshark 4.0's PROFINET IO-CM dissector is superlinear on this corpus),
# SKIP_TSHARK=1 to leave tshark out, TSHARK_RUNS=N to run it only N times
# (it is by far the slowest).
# Needs: go, tshark/editcap/mergecap/capinfos, tcprewrite, tcpdump, GNU time.
set -euo pipefail
export LC_ALL=C
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
OUT=${OUT:-$ROOT/bench/out}
SHARED=${SHARED:-$(cd "$ROOT/../shared" 2>/dev/null && pwd || true)}
RUNS=${RUNS:-3}
TSHARK_OPTS=${TSHARK_OPTS---disable-protocol pn_io}
SIZES=("$@")
[ ${#SIZES[@]} -eq 0 ] && SIZES=(200)
mkdir -p "$OUT"

[ -x "$SHARED/bench/make-corpus.sh" ] || { echo "make-corpus.sh not found under SHARED=$SHARED" >&2; exit 1; }

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB RAM"
echo "tools: $(go version); $(tshark --version 2>/dev/null | head -1); $(tcpdump --version 2>&1 | head -1)"
echo "otzone: $(git -C "$ROOT" describe --always --dirty 2>/dev/null)"

# otzone binary and the engine benchmark binary.
(cd "$ROOT" && CGO_ENABLED=1 go build -trimpath -o "$OUT/otzone" ./cmd/otzone)
(cd "$ROOT" && go test -c -tags enginebench -o "$OUT/engine.test" ./discovery)

for MB in "${SIZES[@]}"; do
  FILE="$OUT/corpus-$MB.pcap"
  if [ ! -s "$FILE" ]; then
    echo "building $FILE ..."
    "$SHARED/bench/make-corpus.sh" "$FILE" "$MB" >&2
  fi
  PKTS=$(capinfos -T -r -c "$FILE" | cut -f2)
  BYTES=$(stat -c %s "$FILE")
  echo
  echo "== corpus $FILE: $PKTS packets, $BYTES bytes; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  cat "$FILE" > /dev/null
  DB="$OUT/bench-$MB.db"
  declare -A CMDS=(
    [1_otzone]="rm -f '$DB' '$DB-wal' '$DB-shm'; '$OUT/otzone' --db '$DB' --quiet ingest '$FILE' > /dev/null"
    [2_engine]="OTZONE_BENCH_FILE='$FILE' '$OUT/engine.test' -test.run '^\$' -test.bench '^BenchmarkEngineFile\$' -test.benchtime 1x > /dev/null"
    [3_tcpdump]="tcpdump -nr '$FILE' -w /dev/null 2>/dev/null"
  )
  if [ -z "${SKIP_TSHARK:-}" ]; then
    CMDS[4_tshark]="tshark -n $TSHARK_OPTS -r '$FILE' -T fields -e ip.src -e ip.dst -e tcp.dstport -e modbus.func_code > /dev/null 2>&1"
  fi
  NAMES=$(printf '%s\n' "${!CMDS[@]}" | sort)
  declare -A WALL CPU RSS
  for n in $NAMES; do WALL[$n]=""; CPU[$n]=""; RSS[$n]=""; done
  for ((i = 1; i <= RUNS; i++)); do
    for n in $NAMES; do
      if [ "$n" = 4_tshark ] && [ "$i" -gt "${TSHARK_RUNS:-$RUNS}" ]; then continue; fi
      out=$( { /usr/bin/time -v bash -c "${CMDS[$n]}" 2>&1 >/dev/null; } 2>&1 )
      w=$(echo "$out" | awk -F': ' '/Elapsed \(wall clock\)/ { k = split($2, t, ":"); s = 0; for (j = 1; j <= k; j++) s = s * 60 + t[j]; print s }')
      c=$(echo "$out" | awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } END { print u + s }')
      r=$(echo "$out" | awk -F': ' '/Maximum resident set size/ { print $2 }')
      WALL[$n]+="$w " CPU[$n]+="$c " RSS[$n]+="$r "
      echo "  ${n#*_} run $i: wall ${w}s, cpu ${c}s, peak RSS ${r} KiB (load $(cut -d' ' -f1 /proc/loadavg))"
    done
  done
  med() { printf '%s\n' $1 | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
  for n in $NAMES; do
    [ -n "${WALL[$n]}" ] || continue
    w=$(med "${WALL[$n]}"); c=$(med "${CPU[$n]}"); r=$(med "${RSS[$n]}")
    awk -v n="${n#*_}" -v w="$w" -v c="$c" -v r="$r" -v p="$PKTS" -v b="$BYTES" -v mb="$MB" 'BEGIN {
      printf "RESULT %4s MiB %-8s wall %8.2f s %11.0f pkt/s %7.1f MB/s | cpu %8.2f s %11.0f pkt/cpu-s | peak RSS %7.1f MiB\n",
        mb, n, w, (w > 0 ? p / w : 0), (w > 0 ? b / 1e6 / w : 0), c, (c > 0 ? p / c : 0), r / 1024 }'
  done
  unset CMDS WALL CPU RSS
done
