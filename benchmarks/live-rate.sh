#!/usr/bin/env bash
# benchmarks/live-rate.sh [PCAP] [RATES...] — the packet rate `sentinel live` sustains with zero kernel
# drops (issue 6). For each rate (packets/s; 0 = tcpreplay's top speed) it makes a network namespace
# joined to this one by a veth pair, starts `sentinel live` on this end, sends PCAP from the namespace
# with tcpreplay (LOOPS times, default 2000 for the ~500-packet demo capture: about 1 M packets), stops
# the sensor with SIGTERM and reads its summary: packets seen and the kernel's received/dropped counts.
# Root only; all traffic stays on the veth pair it creates and removes.
#   LOOPS=2000  EXTRA="--no-ml"   (options passed to sentinel live)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/bootstrap.sh"
cd "$TS_ROOT"

pcap=${1:-captures/demo-mixed.pcap}
shift || true
rates=("$@")
[ ${#rates[@]} -gt 0 ] || rates=(100000 200000 0)
loops=${LOOPS:-2000}
extra=${EXTRA:-}
ns="ts-rate-$$"
host="tsrh$$"
peer="tsrp$$"
log="$TS_ROOT/.build/live-rate.$$.log"

ts_require_packages "${ts_runtime_packages[@]}" iproute2 tcpreplay
./sentinel --help >/dev/null
cleanup() {
  [ -n "${sensor:-}" ] && kill -TERM "$sensor" 2>/dev/null || true
  ip link del "$host" 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
}
trap cleanup EXIT INT TERM
ip netns add "$ns"
ip link add "$host" type veth peer name "$peer"
ip link set "$peer" netns "$ns"
sysctl -qw "net.ipv6.conf.$host.disable_ipv6=1"
ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$peer.disable_ipv6=1"
ip link set "$host" up
ip netns exec "$ns" ip link set "$peer" up

echo "| offered (tcpreplay) | sent | seen by sentinel | kernel received | kernel dropped |"
echo "|---:|---:|---:|---:|---:|"
for rate in "${rates[@]}"; do
  # shellcheck disable=SC2086
  dotnet "$TS_ROOT/.build/sentinel/sentinel.dll" live -i "$host" --stats-interval 0 -o jsonl:/dev/null $extra >/dev/null 2>"$log" &
  sensor=$!
  for _ in $(seq 100); do grep -q 'capturing on' "$log" 2>/dev/null && break; sleep 0.1; done
  if [ "$rate" = 0 ]; then speed=--topspeed; else speed="--pps=$rate"; fi
  out=$(ip netns exec "$ns" tcpreplay -q -i "$peer" "$speed" --loop="$loops" "$pcap" 2>&1)
  sleep 1
  kill -TERM "$sensor"
  wait "$sensor" || true
  sensor=
  offered=$(printf '%s\n' "$out" | awk '/Rated:/ {printf "%.0f pps (%s Mbit/s)", $(NF-1), $(NF-3)}')
  sent=$(printf '%s\n' "$out" | awk '/Actual:/ {print $2}')
  seen=$(awk '/^input/ {print $4}' "$log")
  kernel=$(awk '/^kernel/ {print $2 "|" $4}' "$log")
  echo "| $offered | $sent | $seen | ${kernel%|*} | ${kernel#*|} |"
done
rm -f "$log"
