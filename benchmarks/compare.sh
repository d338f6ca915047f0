#!/usr/bin/env bash
# benchmarks/compare.sh [RUNS] — end-to-end throughput of sentinel against libpcap itself,
# tcpdump and nDPI, in one run, on one file (issue 6).
#
# Builds (once, cached in .build/bench/) the ~1 GB benchmark capture with
# ../shared/bench/make-big-pcap.sh (the shared nDPI corpus repeated with addresses remapped per
# copy, so every copy is new flows), the bare libpcap loop ../shared/bench/pcapread.c and our
# benchmarks/pcapread-buffered.c (the same loop reading through a 1 MiB stdio buffer, as sentinel does), then
# times each tool RUNS times (default 3) with the file in the page cache and prints the median as a
# markdown table: packets/s, Gbit/s, and each tool's rate relative to sentinel's.
#   BIG_MB=1000      size of the capture
#   SHARED=../shared where the shared folder is
# Needs root for apt-get (tshark for mergecap/capinfos, libpcap0.8-dev, gcc, tcpdump, libndpi-bin, python3).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/bootstrap.sh"
cd "$TS_ROOT"

runs=${1:-3}
shared=${SHARED:-$TS_ROOT/../shared}
big_mb=${BIG_MB:-1000}
work="$TS_ROOT/.build/bench"
big="$work/big-${big_mb}.pcap"
mkdir -p "$work"

ts_require_packages "${ts_runtime_packages[@]}" libpcap0.8-dev gcc tcpdump tshark python3 libndpi-bin time

if [ ! -s "$big" ]; then
  ts_log "building $big (${big_mb} MB) from $shared/captures/ndpi ..."
  sh "$shared/bench/make-big-pcap.sh" "$shared/captures/ndpi" "$big" "$big_mb" >&2
fi
if [ ! -x "$work/pcapread" ] || [ "$shared/bench/pcapread.c" -nt "$work/pcapread" ]; then
  cc -O2 -Wall -o "$work/pcapread" "$shared/bench/pcapread.c" -lpcap
fi
if [ ! -x "$work/pcapread-buffered" ] || [ "$TS_ROOT/benchmarks/pcapread-buffered.c" -nt "$work/pcapread-buffered" ]; then
  cc -O2 -Wall -o "$work/pcapread-buffered" "$TS_ROOT/benchmarks/pcapread-buffered.c" -lpcap
fi
./sentinel --help >/dev/null   # builds sentinel in Release if needed
sentinel_dll="$TS_ROOT/.build/sentinel/sentinel.dll"

packets=$(capinfos -c -M -T "$big" | awk -F'\t' 'NR==2 {print $2}')
bytes=$(stat -c %s "$big")
cat "$big" > /dev/null   # into the page cache

# name|command
tools=(
  "sentinel replay (all detectors)|dotnet $sentinel_dll replay $big --no-progress -o jsonl:/dev/null"
)
if dotnet "$sentinel_dll" replay --help 2>/dev/null | grep -q -- '--no-ml'; then
  tools+=("sentinel replay (detectors + classifier)|dotnet $sentinel_dll replay $big --no-progress -o jsonl:/dev/null")
  tools[0]="sentinel replay (all detectors, --no-ml)|dotnet $sentinel_dll replay $big --no-progress --no-ml -o jsonl:/dev/null"
fi
tools+=(
  "sentinel replay (all detectors, --no-ml, --threads 1)|dotnet $sentinel_dll replay $big --no-progress --no-ml --threads 1 -o jsonl:/dev/null"
  "pcapread (bare pcap_next_ex loop, ../shared/bench)|$work/pcapread $big"
  "pcapread-buffered (the same loop, 1 MiB stdio buffer like sentinel)|$work/pcapread-buffered $big"
  "tcpdump -r FILE -w /dev/null|tcpdump -r $big -w /dev/null"
  "ndpiReader -t -q -i FILE|ndpiReader -t -q -i $big"
)

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

declare -A seconds rss
for entry in "${tools[@]}"; do
  name=${entry%%|*}
  cmd=${entry#*|}
  times=()
  mem=0
  for ((r = 1; r <= runs; r++)); do
    /usr/bin/time -o "$work/time.out" -f '%e %M' $cmd >/dev/null 2>&1
    out=$(tail -1 "$work/time.out")
    times+=("${out% *}")
    m=${out#* }
    [ "$m" -gt "$mem" ] && mem=$m
  done
  seconds[$name]=$(printf '%s\n' "${times[@]}" | median)
  rss[$name]=$mem
  ts_log "$name: ${times[*]} s"
done

base=${tools[0]%%|*}
base_pps=$(awk -v p="$packets" -v s="${seconds[$base]}" 'BEGIN {print p / s}')
echo
echo "$(uname -m), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $packets packets, $bytes bytes; median of $runs runs, file in page cache"
echo
echo "| tool | seconds | packets/s | Gbit/s | max RSS | rate vs sentinel |"
echo "|---|---:|---:|---:|---:|---:|"
for entry in "${tools[@]}"; do
  name=${entry%%|*}
  awk -v n="$name" -v s="${seconds[$name]}" -v p="$packets" -v b="$bytes" -v m="${rss[$name]}" -v base="$base_pps" 'BEGIN {
    pps = p / s; printf "| %s | %.2f | %.2f M | %.1f | %.0f MB | %.2f |\n", n, s, pps / 1e6, b * 8 / s / 1e9, m / 1024, pps / base }'
done
