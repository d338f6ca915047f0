#!/usr/bin/env bash
# Labelled VPN / anonymizer / benign captures from REAL daemons inside network namespaces.
# Run as root. See captures/README.md. All traffic stays between two namespaces this script
# creates (joined by one veth pair, no default route, no NAT, nothing attached to the host's
# network); each scenario is recorded with tcpdump on the client-side veth.
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=/usr/bin/python3
TOOL="$HERE/pcaptool.py"

OUT="$HERE"
REPEAT=0
FIRST_REP=0
MIDFLOW=0
MIDFLOW_SKIP=30
ONLY=""
INSTALL=1
KEEP_TMP=0
DEMO=1

usage() {
  cat <<'EOF'
usage: sudo captures/generate.sh [options]
  --out DIR           where pcaps and labels.csv go (default: the captures/ folder itself)
  --repeat N          also run every scenario N more times with varied ports, ciphers, MTUs,
                      durations and link conditions (files *-rK.pcap); needs --out DIR other
                      than captures/ so the committed default set stays small
  --first-rep K       number the repetitions from K and skip the default set: a further set
                      whose ports, link conditions and tunnel workloads differ from 1..K-1
  --mid-flow          also write <name>-midflow.pcap copies of the tunnel captures with their
                      first packets removed (handshake absent), with adjusted label rows
  --mid-flow-skip K   packets removed by --mid-flow (default 30)
  --only REGEX        run only scenarios whose name matches REGEX (no demo capture then)
  --no-install        skip apt-get (packages already installed)
  --keep-tmp          keep the temporary folder with keys, configs and daemon logs
EOF
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) OUT=$2; shift 2 ;;
    --repeat) REPEAT=$2; shift 2 ;;
    --first-rep) FIRST_REP=$2; DEMO=0; shift 2 ;;
    --mid-flow) MIDFLOW=1; shift ;;
    --mid-flow-skip) MIDFLOW_SKIP=$2; shift 2 ;;
    --only) ONLY=$2; DEMO=0; shift 2 ;;
    --no-install) INSTALL=0; shift ;;
    --keep-tmp) KEEP_TMP=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done

[[ $(id -u) -eq 0 ]] || { echo "run as root (network namespaces, tcpdump, daemons)" >&2; exit 1; }
[[ $REPEAT =~ ^[0-9]+$ ]] || { echo "--repeat needs a number" >&2; exit 2; }
[[ $FIRST_REP =~ ^[0-9]+$ ]] || { echo "--first-rep needs a number" >&2; exit 2; }
[[ $FIRST_REP -eq 0 || $REPEAT -gt 0 ]] || { echo "--first-rep needs --repeat N (N > 0)" >&2; exit 2; }
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
if [[ ($REPEAT -gt 0 || $FIRST_REP -gt 0) && "$OUT" == "$HERE" ]]; then
  echo "--repeat writes a large set: name a folder with --out DIR (not captures/)" >&2; exit 2
fi

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

# ---------------------------------------------------------------- packages
PKGS=(iputils-ping ethtool openvpn wireguard-tools wireguard-go tor obfs4proxy tcpdump nginx-light openssh-server
      openssh-client dnsmasq-base iperf3 strongswan-charon strongswan-swanctl
      libcharon-extra-plugins libstrongswan-standard-plugins shadowsocks-libev python3 openssl
      curl bind9-dnsutils iproute2 nftables ocserv openconnect)
if [[ $INSTALL -eq 1 ]]; then
  missing=()
  for p in "${PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [[ ${#missing[@]} -gt 0 ]]; then
    log "installing ${missing[*]}"
    apt-get update
    # Package scripts must not start host-wide services (sshd, tor, nginx, dnsmasq ...): the
    # daemons this script needs run only inside its namespaces. A policy-rc.d that says no
    # is put in place for the install when the machine has none.
    own_policy=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
      printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && own_policy=1
    fi
    rc=0
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" || rc=$?
    [[ $own_policy -eq 1 ]] && rm -f /usr/sbin/policy-rc.d
    [[ $rc -eq 0 ]] || { echo "apt-get install failed" >&2; exit 1; }
  fi
fi

# ---------------------------------------------------------------- namespaces and cleanup
ID=$$
NS_C="tsgen-c-$ID"
NS_S="tsgen-s-$ID"
TMP=$(mktemp -d /tmp/tsgen.XXXXXX)
chmod 755 "$TMP"
PIDFILE="$TMP/pids"
: >"$PIDFILE"
RESULTS="$TMP/results"
: >"$RESULTS"
LABELS_NEW="$TMP/labels.rows"
: >"$LABELS_NEW"

kill_registered() {
  local pid
  [[ -s "$PIDFILE" ]] || return 0
  while read -r pid; do kill "$pid" 2>/dev/null || true; done <"$PIDFILE"
  sleep 0.5
  while read -r pid; do kill -9 "$pid" 2>/dev/null || true; done <"$PIDFILE"
  : >"$PIDFILE"
}

cleanup() {
  local rc=$?
  set +e
  kill_registered
  # Anything still running inside our own namespaces was started by this script.
  for ns in "$NS_C" "$NS_S"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
  done
  sleep 0.3
  ip netns del "$NS_C" 2>/dev/null
  ip netns del "$NS_S" 2>/dev/null
  if [[ $KEEP_TMP -eq 1 ]]; then log "kept $TMP"; else rm -rf "$TMP"; fi
  exit $rc
}
SCEN_PID=""
on_signal() {
  [[ -n $SCEN_PID ]] && kill "$SCEN_PID" 2>/dev/null
  exit 130
}
trap cleanup EXIT
trap on_signal INT TERM

inc() { ip netns exec "$NS_C" "$@"; }
ins() { ip netns exec "$NS_S" "$@"; }

# bg NS LOG CMD...: start a daemon inside namespace NS, remember its pid.
bg() {
  local ns=$1 logf=$2; shift 2
  ip netns exec "$ns" "$@" >"$logf" 2>&1 &
  echo $! >>"$PIDFILE"
}
# bg_isolated: same, in a private mount namespace with its own /run (daemons with fixed pid or
# socket paths there: charon, sshd); ip netns exec already unshares the mount namespace.
bg_isolated() {
  local ns=$1 logf=$2; shift 2
  ip netns exec "$ns" sh -c 'mount -t tmpfs tsgen-run /run && mkdir -p /run/sshd && exec "$@"' sh "$@" \
    >"$logf" 2>&1 &
  echo $! >>"$PIDFILE"
}

wait_for() {  # wait_for SECONDS CMD...: poll until CMD succeeds
  local t=$1; shift
  local i
  for ((i = 0; i < t * 10; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}
listening() {  # listening NS tcp|udp PORT
  ip netns exec "$1" ss -Hln"${2:0:1}" "sport = :$3" | grep -q .
}
log_has() { grep -q -- "$2" "$1"; }

setup_namespaces() {
  ip netns add "$NS_C"
  ip netns add "$NS_S"
  ip link add vc netns "$NS_C" type veth peer name vs netns "$NS_S"
  for ns in "$NS_C" "$NS_S"; do
    ip -n "$ns" link set lo up
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
      net.ipv6.conf.all.router_solicitations=0 net.ipv6.conf.default.router_solicitations=0 || true
  done
  ip -n "$NS_C" link set vc up
  ip -n "$NS_S" link set vs up
  # Fixed MACs so the Ethernet headers are the same on every run.
  ip -n "$NS_C" link set vc address 02:77:00:00:00:01
  ip -n "$NS_S" link set vs address 02:77:00:00:00:02
  # No segmentation/checksum offload: the veth then carries (and tcpdump sees) MTU-sized
  # packets with correct checksums, as on a real wire, instead of 64 kB GSO super-packets.
  ip netns exec "$NS_C" ethtool -K vc tx off rx off tso off gso off gro off >/dev/null 2>&1 || true
  ip netns exec "$NS_S" ethtool -K vs tx off rx off tso off gso off gro off >/dev/null 2>&1 || true
}

# ---------------------------------------------------------------- keys and certificates
mk_pki() {
  local d="$TMP/pki"
  mkdir -p "$d"
  cd "$d"
  openssl ecparam -name prime256v1 -genkey -noout -out ca.key 2>/dev/null
  openssl req -x509 -new -key ca.key -days 3650 -subj "/CN=TrafficSentinel test CA" -out ca.crt 2>/dev/null
  mkcert() {  # name CN eku
    openssl ecparam -name prime256v1 -genkey -noout -out "$1.key" 2>/dev/null
    openssl req -new -key "$1.key" -subj "/CN=$2" -out "$1.csr" 2>/dev/null
    printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyAgreement\nextendedKeyUsage=%s\nsubjectAltName=DNS:%s\n' "$3" "$2" >"$1.ext"
    openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -set_serial "0x$(printf %s "$1" | sha1sum | cut -c1-16)" \
      -days 3650 -extfile "$1.ext" -out "$1.crt" 2>/dev/null
  }
  mkcert ovpn-server ovpn-server.test serverAuth
  mkcert ovpn-client ovpn-client.test clientAuth
  mkcert web ts-web.test serverAuth
  mkcert example www.example.com serverAuth
  mkcert vpn vpn.ts-test serverAuth
  openvpn --genkey secret ta.key >/dev/null
  openvpn --genkey secret tc.key >/dev/null
  openvpn --genkey tls-crypt-v2-server v2srv.key >/dev/null
  openvpn --tls-crypt-v2 v2srv.key --genkey tls-crypt-v2-client v2cli.key >/dev/null
  # WireGuard keys are fixed: derived from constant seeds (deterministic handshakes' identities).
  wgkey() { printf 'trafficsentinel-%s' "$1" | openssl dgst -sha256 -binary | base64; }
  wgkey server >wg-server.key
  wgkey client >wg-client.key
  wg pubkey <wg-server.key >wg-server.pub
  wg pubkey <wg-client.key >wg-client.pub
  ssh-keygen -q -t ed25519 -N '' -C tsgen-host -f ssh-host >/dev/null
  ssh-keygen -q -t ed25519 -N '' -C tsgen-user -f ssh-user >/dev/null
  cp ssh-user.pub authorized_keys
  mkdir -p "$TMP/www"
  printf '<html><body>TrafficSentinel capture generator test page</body></html>\n' >"$TMP/www/index.html"
  # A fixed pseudo-random 64 kB file (seeded) for downloads.
  "$PY" -c 'import random,sys; r=random.Random(7); sys.stdout.buffer.write(bytes(r.getrandbits(8) for _ in range(65536)))' >"$TMP/www/blob.bin"
  # More seeded files for the tunnel workloads of the varied repetitions (a page's small
  # resources, a mid-sized image, a large download).
  "$PY" -c 'import random,sys
for name, size in (("small.bin", 2500), ("medium.bin", 24000), ("large.bin", 600000)):
    open(sys.argv[1] + "/" + name, "wb").write(random.Random(size).randbytes(size))' "$TMP/www"
  cd "$HERE"
}

# ---------------------------------------------------------------- per-scenario plumbing
SC_N=0        # scenario counter -> subnet 10.77.N.0/24 and fd77:0:0:N::/64
REP=0         # repetition (0 = default set)
CUR=""        # current scenario file stem
WORKLOAD=""   # what the current tunnel carried (tunnel_workload)
CIP=""; SIP=""; CIP6=""; SIP6=""
VETH_MTU=1500
LOSS=0        # percent, server->client, via nftables
RATE=""       # tbf rate on the server's veth, e.g. 20mbit

# vary LIST...: default element in the default set, otherwise one chosen by the repetition number.
vary() {
  local n=$#
  if [[ $REP -eq 0 ]]; then echo "$1"; else local a=("$@"); echo "${a[$(( (REP + SC_N) % n ))]}"; fi
}

begin() {  # begin NAME
  SC_N=$((SC_N + 1))
  CUR=$1
  [[ $REP -gt 0 ]] && CUR="$1-r$REP"
  CIP="10.77.$SC_N.1"; SIP="10.77.$SC_N.2"
  CIP6="fd77:0:0:$SC_N::1"; SIP6="fd77:0:0:$SC_N::2"
  # Two varied ports can coincide in a --repeat pass: never write one file name twice.
  if grep -qxF "$CUR" "$TMP/names" 2>/dev/null; then CUR="$CUR-s$SC_N"; fi
  echo "$CUR" >>"$TMP/names"
  # replace, not add: --repeat passes reuse the subnets.
  inc ip addr replace "$CIP/24" dev vc
  ins ip addr replace "$SIP/24" dev vs
  inc ip -6 addr replace "$CIP6/64" dev vc nodad
  ins ip -6 addr replace "$SIP6/64" dev vs nodad
  # Link conditions (varied only in --repeat).
  VETH_MTU=$(vary 1500 1400 1280 1500 9000)
  LOSS=$(vary 0 0 1 2 0)
  RATE=$(vary "" 50mbit "" 10mbit "")
  inc ip link set vc mtu "$VETH_MTU"
  ins ip link set vs mtu "$VETH_MTU"
  ins tc qdisc del dev vs root 2>/dev/null || true
  inc tc qdisc del dev vc root 2>/dev/null || true
  local delay
  delay=$(vary 0 20 5 50 0)
  if [[ $delay != 0 || $LOSS != 0 ]] && ins tc qdisc add dev vs root netem delay "${delay}ms" loss "${LOSS}%" 2>/dev/null; then
    inc tc qdisc add dev vc root netem delay "${delay}ms" 2>/dev/null || true
    COND="netem delay ${delay}ms loss ${LOSS}%"
  else
    # No netem in this kernel: rate via tbf, loss via an nftables random drop on the server side.
    COND=""
    if [[ -n $RATE ]]; then ins tc qdisc add dev vs root tbf rate "$RATE" burst 32k latency 100ms && COND="tbf $RATE"; fi
    ins nft delete table inet tsgen 2>/dev/null || true
    if [[ $LOSS != 0 ]]; then
      ins nft add table inet tsgen
      ins nft add chain inet tsgen out '{ type filter hook output priority 0; policy accept; }'
      ins nft add rule inet tsgen out oifname vs numgen random mod 100 lt "$LOSS" drop
      COND="$COND nft loss ${LOSS}%"
    fi
  fi
  [[ $VETH_MTU != 1500 ]] && COND="$COND mtu $VETH_MTU"
  COND=${COND# }
  log "scenario $CUR ($CIP <-> $SIP${COND:+, $COND})"
}

CAP_PID=""
cap_start() {  # cap_start [v6]: record only this scenario's client<->server IP traffic (no ARP/ND/ICMP)
  local a=$CIP b=$SIP
  [[ ${1:-} == v6 ]] && { a=$CIP6; b=$SIP6; }
  local filter="(ip or ip6) and host $a and host $b and not icmp and not icmp6"
  rm -f "$TMP/$CUR.pcap"
  ip netns exec "$NS_C" tcpdump -Z root -i vc -n -U --immediate-mode -s 0 -w "$TMP/$CUR.pcap" "$filter" >"$TMP/$CUR.tcpdump.log" 2>&1 &
  CAP_PID=$!
  echo "$CAP_PID" >>"$PIDFILE"
  wait_for 10 log_has "$TMP/$CUR.tcpdump.log" "listening on"
}
cap_stop() {
  sleep 0.5
  kill -INT "$CAP_PID" 2>/dev/null || true
  wait "$CAP_PID" 2>/dev/null || true
}

# finish TRUTH NOTE: stop daemons, keep the pcap (if it has packets) and its label rows.
finish() {
  local truth=$1 note=$2
  [[ -n $COND ]] && note="$note [$COND]"
  kill_registered
  ins nft delete table inet tsgen 2>/dev/null || true
  local n
  n=$("$PY" "$TOOL" label "$TMP/$CUR.pcap" "$truth" "$note" | tee "$TMP/$CUR.rows" | wc -l)
  if [[ $n -eq 0 ]]; then
    echo "FAIL $CUR: capture holds no flow" >>"$RESULTS"; return 1
  fi
  cat "$TMP/$CUR.rows" >>"$LABELS_NEW"
  cp "$TMP/$CUR.pcap" "$OUT/$CUR.pcap"
  echo "OK   $CUR ($n flows, $(stat -c %s "$OUT/$CUR.pcap") bytes)" >>"$RESULTS"
  [[ $truth != benign ]] && echo "$CUR" >>"$TMP/tunnels"
  return 0
}

# run NAME FUNCTION ARGS...: one scenario; a failure is recorded and the run goes on.
run() {
  local name=$1; shift
  # Skipped scenarios keep their place: a scenario always gets the same subnet.
  if [[ -n $ONLY && ! $name =~ $ONLY ]]; then SC_N=$((SC_N + 1)); return 0; fi
  # Not inside `if`: errexit would be off in the subshell there.
  local rc=0
  # In the background and waited for, so that INT/TERM reach the trap at once.
  set +e
  ( set -Eeuo pipefail; begin "$name"; "$@" ) &
  SCEN_PID=$!
  wait "$SCEN_PID"
  rc=$?
  SCEN_PID=""
  set -e
  if [[ $rc -ne 0 ]]; then
    echo "FAIL $name: $* (rerun with --keep-tmp --only '$name' and read the logs)" >>"$RESULTS"
    kill_registered
    log "scenario $name FAILED"
  fi
  # begin() ran in a subshell: advance the subnet counter here as well.
  SC_N=$((SC_N + 1))
}

# ---------------------------------------------------------------- tunnel scenarios
# tunnel_workload ADDR [SRC]: the traffic sent through a tunnel to the server's tunnel address
# ADDR (from the client's tunnel address SRC where routing alone would not pick it).
# The default set pings (the committed captures stay as they were); the varied repetitions
# pick one of several workloads, so that a model learns the tunnel's framing rather than the
# shape of one lab workload: pings of varied size and pace, page loads with pauses between
# them (an HTTP server on the tunnel address), a bulk download, or pings under page loads.
tunnel_workload() {
  local addr=$1 src=${2:-} kind
  local -a ping_src=() curl_src=()
  [[ -n $src ]] && { ping_src=(-I "$src"); curl_src=(--interface "$src"); }
  kind=$(vary ping web bulk mixed ping-sized web)  # 6, not 5 like the link conditions: no fixed pairs
  if [[ $kind != ping* ]]; then
    bg "$NS_S" "$TMP/$CUR/inner-http.log" "$PY" -m http.server --bind "$addr" --directory "$TMP/www" 8000
    wait_for 10 listening "$NS_S" tcp 8000
  fi
  get() { inc curl -s -o /dev/null --max-time 20 "${curl_src[@]}" "http://$addr:8000/$1"; }
  case $kind in
    ping)
      inc ping -q -c "$(vary 30 20 50 40)" -i 0.1 "${ping_src[@]}" "$addr" >/dev/null
      inc curl -s -o /dev/null --max-time 10 "${curl_src[@]}" "http://$addr:1/" || true  # refused inside the tunnel
      ;;
    ping-sized)
      inc ping -q -c "$(vary 40 60 25)" -i "$(vary 0.05 0.3 0.5)" -s "$(vary 400 1000 24 1200)" "${ping_src[@]}" "$addr" >/dev/null
      ;;
    web)
      local pause
      for pause in $(vary "0.4 1.2 0.2" "0.8 0.3 1.5 0.5" "1 0.2"); do
        get index.html; get small.bin; get medium.bin; get small.bin
        sleep "$pause"
      done
      ;;
    bulk)
      get index.html
      get large.bin
      if [[ $(vary 1 2) == 2 ]]; then get large.bin; fi
      ;;
    mixed)
      inc ping -q -c 30 -i 0.2 -s "$(vary 56 300 120)" "${ping_src[@]}" "$addr" >/dev/null &
      local ping_pid=$!
      sleep 0.5
      get medium.bin; sleep 0.7; get index.html; get blob.bin; sleep 0.4; get small.bin
      wait "$ping_pid" || true
      ;;
  esac
  WORKLOAD=$kind
}

# sc_openvpn PROTO PORT MODE: MODE = plain | tls-auth | tls-crypt | tls-crypt-v2
sc_openvpn() {
  local proto=$1 port=$2 mode=$3 p="$TMP/pki" d="$TMP/$CUR"
  mkdir -p "$d"
  local cipher tunmtu
  cipher=$(vary AES-256-GCM AES-128-GCM CHACHA20-POLY1305)
  tunmtu=$(vary 1500 1400 1500 1300)
  local sk ck
  case $mode in
    plain) sk=""; ck="" ;;
    tls-auth) sk="tls-auth $p/ta.key 0"; ck="tls-auth $p/ta.key 1" ;;
    tls-crypt) sk="tls-crypt $p/tc.key"; ck="tls-crypt $p/tc.key" ;;
    tls-crypt-v2) sk="tls-crypt-v2 $p/v2srv.key"; ck="tls-crypt-v2 $p/v2cli.key" ;;
  esac
  cat >"$d/server.conf" <<EOF
dev tun
proto $proto
local $SIP
port $port
server 10.78.$SC_N.0 255.255.255.0
topology subnet
ca $p/ca.crt
cert $p/ovpn-server.crt
key $p/ovpn-server.key
dh none
$sk
data-ciphers $cipher
tun-mtu $tunmtu
keepalive 10 60
verb 3
EOF
  cat >"$d/client.conf" <<EOF
client
dev tun
proto $proto
remote $SIP $port
nobind
ca $p/ca.crt
cert $p/ovpn-client.crt
key $p/ovpn-client.key
remote-cert-tls server
$ck
data-ciphers $cipher
tun-mtu $tunmtu
verb 3
$([[ $proto == udp ]] && echo "explicit-exit-notify 1")
EOF
  bg "$NS_S" "$d/server.log" openvpn --config "$d/server.conf"
  wait_for 10 listening "$NS_S" "${proto:0:3}" "$port"
  cap_start
  bg "$NS_C" "$d/client.log" openvpn --config "$d/client.conf"
  wait_for 20 log_has "$d/client.log" "Initialization Sequence Completed"
  local client_pid
  client_pid=$(tail -n1 "$PIDFILE")
  tunnel_workload "10.78.$SC_N.1"
  kill "$client_pid"   # client: TERM -> explicit exit notification on UDP
  sleep 1
  cap_stop
  finish openvpn "OpenVPN $proto/$port $mode, $cipher, tun-mtu $tunmtu, openvpn 2.6 client+server, $WORKLOAD inside"
}

# sc_wireguard PORT [midflow] [v6]
sc_wireguard() {
  local port=$1 mid=${2:-} fam=${3:-v4} p="$TMP/pki" d="$TMP/$CUR"
  mkdir -p "$d"
  # UAPI sockets live in the host's /var/run/wireguard: names unique per run and scenario.
  local ifs="wg${ID}s$SC_N" ifc="wg${ID}c$SC_N" ep="$SIP:$port" capfam=""
  [[ $fam == v6 ]] && { ep="[$SIP6]:$port"; capfam=v6; }
  local mtu
  mtu=$(vary 1420 1380 1280 1420)
  export WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1
  bg "$NS_S" "$d/server.log" env WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 wireguard-go -f "$ifs"
  bg "$NS_C" "$d/client.log" env WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 wireguard-go -f "$ifc"
  wait_for 10 test -S "/var/run/wireguard/$ifs.sock"
  wait_for 10 test -S "/var/run/wireguard/$ifc.sock"
  ins wg set "$ifs" private-key "$p/wg-server.key" listen-port "$port" \
    peer "$(cat "$p/wg-client.pub")" allowed-ips "10.79.$SC_N.1/32"
  ins ip addr add "10.79.$SC_N.2/24" dev "$ifs"
  inc ip addr add "10.79.$SC_N.1/24" dev "$ifc"
  ins ip link set "$ifs" mtu "$mtu" up
  inc ip link set "$ifc" mtu "$mtu" up
  # The client's peer is configured last: its first handshake starts then.
  [[ $mid == midflow ]] || cap_start $capfam
  inc wg set "$ifc" private-key "$p/wg-client.key" listen-port "$((40000 + SC_N))" \
    peer "$(cat "$p/wg-server.pub")" allowed-ips "10.79.$SC_N.0/24" endpoint "$ep" persistent-keepalive 1
  if [[ $mid == midflow ]]; then
    # Handshake first, recording starts afterwards: the capture holds only transport data.
    inc ping -q -c 3 -i 0.2 "10.79.$SC_N.2" >/dev/null
    sleep 1
    cap_start $capfam
  fi
  tunnel_workload "10.79.$SC_N.2"
  sleep 1
  cap_stop
  local what="WireGuard udp/$port ${fam}, wireguard-go both ends, tunnel mtu $mtu, keepalive 1 s, $WORKLOAD inside"
  [[ $mid == midflow ]] && what="$what; recording started after the handshake (no handshake packets)"
  finish wireguard "$what"
}

# sc_tor ORPORT [obfs4 PTPORT]
sc_tor() {
  local orport=$1 pt=${2:-} ptport=${3:-} d="$TMP/$CUR"
  mkdir -p "$d/bridge" "$d/client"
  chmod 700 "$d/bridge" "$d/client"
  cat >"$d/bridge.torrc" <<EOF
DataDirectory $d/bridge
BridgeRelay 1
ORPort $SIP:$orport
Address $SIP
AssumeReachable 1
PublishServerDescriptor 0
ExitRelay 0
SocksPort 0
Nickname tsgenbridge$SC_N
ContactInfo none
Log notice file $d/bridge.log
EOF
  if [[ $pt == obfs4 ]]; then
    cat >>"$d/bridge.torrc" <<EOF
ServerTransportPlugin obfs4 exec /usr/bin/obfs4proxy
ServerTransportListenAddr obfs4 $SIP:$ptport
ExtORPort auto
EOF
  fi
  bg "$NS_S" "$d/bridge.out" tor -f "$d/bridge.torrc"
  wait_for 60 test -s "$d/bridge/fingerprint"
  wait_for 30 listening "$NS_S" tcp "$orport"
  local fp line
  fp=$(awk '{print $2}' "$d/bridge/fingerprint")
  line="$SIP:$orport $fp"
  if [[ $pt == obfs4 ]]; then
    wait_for 30 test -s "$d/bridge/pt_state/obfs4_bridgeline.txt"
    wait_for 30 listening "$NS_S" tcp "$ptport"
    local cert
    cert=$(grep -o 'cert=[^ ]*' "$d/bridge/pt_state/obfs4_bridgeline.txt" | head -n1)
    line="obfs4 $SIP:$ptport $fp $cert iat-mode=0"
  fi
  cat >"$d/client.torrc" <<EOF
DataDirectory $d/client
UseBridges 1
Bridge $line
SocksPort 127.0.0.1:9050
ClientUseIPv6 0
Log notice file $d/client.log
EOF
  [[ $pt == obfs4 ]] && echo "ClientTransportPlugin obfs4 exec /usr/bin/obfs4proxy" >>"$d/client.torrc"
  cap_start
  bg "$NS_C" "$d/client.out" tor -f "$d/client.torrc"
  # Link handshake, then the bridge descriptor over a BEGIN_DIR circuit; the bridge has no
  # consensus to give (it cannot reach any directory authority), so the client stops there.
  wait_for 40 log_has "$d/client.log" "new bridge descriptor"
  sleep "$(vary 3 2 5 4)"
  cap_stop
  local what="Tor client -> bridge relay ORPort $orport (link handshake, bridge descriptor fetch), tor 0.4.9"
  [[ $pt == obfs4 ]] && what="Tor client -> bridge via obfs4 on port $ptport (obfs4proxy both ends), tor 0.4.9"
  finish tor "$what"
}

sc_ipsec() {
  local d="$TMP/$CUR"
  mkdir -p "$d"
  local ike esp
  ike=$(vary aes256-sha256-ecp256 aes128-sha256-modp2048 aes256gcm16-prfsha384-ecp384)
  esp=$(vary aes256gcm16 aes128-sha256 aes256-sha512)
  for side in c s; do
    local me peer myts peerts myid peerid
    if [[ $side == c ]]; then me=$CIP; peer=$SIP; myts="10.80.$SC_N.1"; peerts="10.80.$SC_N.2"; myid=client.tsgen; peerid=server.tsgen
    else me=$SIP; peer=$CIP; myts="10.80.$SC_N.2"; peerts="10.80.$SC_N.1"; myid=server.tsgen; peerid=client.tsgen; fi
    cat >"$d/strongswan-$side.conf" <<EOF
charon {
  load = random nonce openssl pem pkcs1 x509 pubkey revocation constraints kdf sha2 hmac aes gmp kernel-libipsec kernel-netlink socket-default vici updown
  filelog { log { path = $d/charon-$side.log
      default = 1
      ike = 2 } }
  plugins {
    vici { socket = unix://$d/charon-$side.vici }
    kernel-libipsec { allow_peer_ts = yes }
  }
}
EOF
    cat >"$d/swanctl-$side.conf" <<EOF
connections {
  ts {
    version = 2
    local_addrs = $me
    remote_addrs = $peer
    encap = yes
    proposals = $ike
    local { auth = psk
            id = $myid }
    remote { auth = psk
             id = $peerid }
    children {
      ts { local_ts = $myts/32
           remote_ts = $peerts/32
           esp_proposals = $esp
           mode = tunnel } }
  }
}
secrets {
  ike-ts { id-a = client.tsgen
           id-b = server.tsgen
           secret = "trafficsentinel-test-psk" }
}
EOF
  done
  inc ip addr replace "10.80.$SC_N.1/32" dev lo
  ins ip addr replace "10.80.$SC_N.2/32" dev lo
  bg_isolated "$NS_S" "$d/charon-s.out" env STRONGSWAN_CONF="$d/strongswan-s.conf" /usr/lib/ipsec/charon
  bg_isolated "$NS_C" "$d/charon-c.out" env STRONGSWAN_CONF="$d/strongswan-c.conf" /usr/lib/ipsec/charon
  wait_for 15 test -S "$d/charon-s.vici"
  wait_for 15 test -S "$d/charon-c.vici"
  ins swanctl --load-all --file "$d/swanctl-s.conf" --uri "unix://$d/charon-s.vici" >"$d/load-s.log"
  inc swanctl --load-all --file "$d/swanctl-c.conf" --uri "unix://$d/charon-c.vici" >"$d/load-c.log"
  cap_start
  inc swanctl --initiate --child ts --timeout 20 --uri "unix://$d/charon-c.vici" >"$d/initiate.log"
  if [[ $REP -eq 0 ]]; then
    inc ping -q -c 30 -i 0.1 -I "10.80.$SC_N.1" "10.80.$SC_N.2" >/dev/null
    WORKLOAD=ping
  else
    tunnel_workload "10.80.$SC_N.2" "10.80.$SC_N.1"
  fi
  inc swanctl --terminate --ike ts --timeout 10 --uri "unix://$d/charon-c.vici" >"$d/terminate.log" || true
  cap_stop
  finish ipsec "IKEv2 PSK ($ike) + ESP in UDP ($esp), strongSwan 5.9 charon with userspace ESP (kernel-libipsec) both ends, $WORKLOAD inside"
}

sc_shadowsocks() {
  local port=$1 d="$TMP/$CUR"
  mkdir -p "$d"
  local method
  method=$(vary chacha20-ietf-poly1305 aes-256-gcm aes-128-gcm)
  bg "$NS_S" "$d/http.log" "$PY" -m http.server --bind 127.0.0.1 --directory "$TMP/www" 8000
  bg "$NS_S" "$d/server.log" ss-server -s "$SIP" -p "$port" -k trafficsentinel-test -m "$method" -u
  bg "$NS_C" "$d/local.log" ss-local -s "$SIP" -p "$port" -b 127.0.0.1 -l 1080 -k trafficsentinel-test -m "$method"
  wait_for 10 listening "$NS_S" tcp "$port"
  wait_for 10 listening "$NS_C" tcp 1080
  wait_for 10 listening "$NS_S" tcp 8000
  cap_start
  # The server fetches from its own loopback: only the Shadowsocks connections cross the veth.
  inc curl -s -o /dev/null --max-time 10 --socks5-hostname 127.0.0.1:1080 http://127.0.0.1:8000/index.html
  inc curl -s -o /dev/null --max-time 10 --socks5-hostname 127.0.0.1:1080 http://127.0.0.1:8000/blob.bin
  cap_stop
  finish shadowsocks "Shadowsocks AEAD $method tcp/$port, shadowsocks-libev ss-local -> ss-server, two HTTP fetches"
}

# sc_anyconnect PORT: the AnyConnect protocol as ocserv and openconnect speak it: an HTTPS login,
# then the CSTP tunnel over TLS and (unless the variation says not) a DTLS data channel on the
# same UDP port: DTLS 1.2 with a PSK from the session, or Cisco's pre-standard DTLS 0.9.
sc_anyconnect() {
  local port=$1 p="$TMP/pki" d="$TMP/$CUR"
  mkdir -p "$d"
  local dtls
  dtls=$(vary dtls1.2 legacy none dtls1.2)
  printf 'trafficsentinel-test\ntrafficsentinel-test\n' | ocpasswd -c "$d/passwd" tsuser
  cat >"$d/ocserv.conf" <<OCSERV
auth = "plain[passwd=$d/passwd]"
tcp-port = $port
udp-port = $port
listen-host = $SIP
run-as-user = root
run-as-group = root
socket-file = $d/ocserv.sock
isolate-workers = false
server-cert = $p/vpn.crt
server-key = $p/vpn.key
max-clients = 4
keepalive = 32400
dpd = 90
try-mtu-discovery = false
tls-priorities = "NORMAL:%SERVER_PRECEDENCE"
auth-timeout = 240
max-ban-score = 0
cookie-timeout = 300
rekey-time = 172800
use-occtl = false
pid-file = $d/ocserv.pid
device = vpns
predictable-ips = true
ipv4-network = 10.81.$SC_N.0
ipv4-netmask = 255.255.255.0
ping-leases = false
cisco-client-compat = true
dtls-legacy = true
OCSERV
  # openconnect's connect hook: the tunnel's address and one route (no DNS, no default route).
  cat >"$d/vpnc-script" <<HOOK
#!/bin/sh
[ "\$reason" = connect ] || exit 0
ip addr add "\$INTERNAL_IP4_ADDRESS/32" dev "\$TUNDEV"
ip link set "\$TUNDEV" mtu "\${INTERNAL_IP4_MTU:-1400}" up
ip route add 10.81.$SC_N.0/24 dev "\$TUNDEV"
HOOK
  chmod +x "$d/vpnc-script"
  local pin
  pin=$(openssl x509 -in "$p/vpn.crt" -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64)
  local -a opts=(--passwd-on-stdin -u tsuser --servercert "pin-sha256:$pin" --script "$d/vpnc-script" --non-inter)
  case $dtls in
    legacy) opts+=(--dtls-ciphers AES256-SHA) ;;
    none) opts+=(--no-dtls) ;;
  esac
  bg "$NS_S" "$d/ocserv.log" ocserv -f -c "$d/ocserv.conf"
  wait_for 10 listening "$NS_S" tcp "$port"
  cap_start
  ip netns exec "$NS_C" openconnect "${opts[@]}" "https://$SIP:$port/" <<<"trafficsentinel-test" >"$d/client.log" 2>&1 &
  local client_pid=$!
  echo "$client_pid" >>"$PIDFILE"
  wait_for 20 log_has "$d/client.log" "Configured as"
  if [[ $dtls != none ]]; then wait_for 5 log_has "$d/client.log" "Established DTLS"; fi
  tunnel_workload "10.81.$SC_N.1"
  kill "$client_pid"   # TERM: openconnect says goodbye to the server and removes its tun device
  wait "$client_pid" 2>/dev/null || true
  sleep 0.5
  cap_stop
  local how="DTLS 1.2 (PSK) data channel"
  [[ $dtls == legacy ]] && how="Cisco pre-standard DTLS 0.9 data channel"
  [[ $dtls == none ]] && how="no DTLS, all data over the TLS CSTP channel"
  finish anyconnect "AnyConnect protocol on port $port (TLS login + CSTP, $how), ocserv 1.1 + openconnect 9.01, $WORKLOAD inside"
}

# ---------------------------------------------------------------- benign scenarios
start_nginx() {  # start_nginx ADDR [cert-stem] [tls versions]
  local addr=$1 cert=${2:-web} protos=${3:-"TLSv1.2 TLSv1.3"} d="$TMP/$CUR"
  mkdir -p "$d/nginx"
  cat >"$d/nginx.conf" <<EOF
user root;
daemon off;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/nginx.err;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $d/nginx/body;
  proxy_temp_path $d/nginx/proxy;
  fastcgi_temp_path $d/nginx/fcgi;
  uwsgi_temp_path $d/nginx/uwsgi;
  scgi_temp_path $d/nginx/scgi;
  server {
    listen $addr:80;
    listen $addr:443 ssl;
    ssl_certificate $TMP/pki/$cert.crt;
    ssl_certificate_key $TMP/pki/$cert.key;
    ssl_protocols $protos;
    root $TMP/www;
  }
}
EOF
  bg "$NS_S" "$d/nginx.out" nginx -c "$d/nginx.conf" -p "$d/nginx"
  wait_for 10 listening "$NS_S" tcp 443
}

sc_https() {  # sc_https 1.2|1.3 [v6]
  local ver=$1 fam=${2:-v4} addr=$SIP host=ts-web.test
  [[ $fam == v6 ]] && addr="[$SIP6]"
  if [[ $fam == v6 ]]; then start_nginx "[$SIP6]"; else start_nginx "$SIP"; fi
  cap_start "$([[ $fam == v6 ]] && echo v6)"
  # The default pass: three short connections. The varied passes also load pages over one
  # keep-alive connection with pauses between them, or download in bulk, like the tunnels'
  # workloads (tunnel_workload), so that page loads and downloads are not a tunnel trait.
  local -a tls=(-s --max-time 20 -k --resolve "$host:443:$addr" --tlsv"$ver" --tls-max "$ver")
  local kind i pause what
  kind=$(vary short pages bulk pages-paced)
  case $kind in
    short)
      for i in 1 2; do inc curl "${tls[@]}" -o /dev/null "https://$host/index.html"; done
      inc curl "${tls[@]}" -o /dev/null "https://$host/blob.bin"
      what="3 connections"
      ;;
    pages)
      inc curl "${tls[@]}" "https://$host/index.html" "https://$host/small.bin" "https://$host/medium.bin" \
        "https://$host/small.bin" "https://$host/index.html" "https://$host/medium.bin" >/dev/null
      what="one keep-alive connection, 6 requests"
      ;;
    bulk)
      inc curl "${tls[@]}" "https://$host/index.html" "https://$host/large.bin" >/dev/null
      what="one connection, a 600 kB download"
      ;;
    pages-paced)
      for pause in $(vary "0.4 1.2 0.2" "0.8 0.3 1.5"); do
        inc curl "${tls[@]}" "https://$host/index.html" "https://$host/small.bin" "https://$host/medium.bin" >/dev/null
        sleep "$pause"
      done
      what="page loads with pauses, a connection each"
      ;;
  esac
  cap_stop
  finish benign "HTTPS TLS $ver $fam, nginx 1.22 + curl, SNI ts-web.test (certificate from the test CA), $what"
}

sc_http() {
  start_nginx "$SIP"
  cap_start
  inc curl -s -o /dev/null --max-time 10 "http://$SIP/index.html"
  inc curl -s -o /dev/null --max-time 10 "http://$SIP/blob.bin"
  inc curl -s -o /dev/null --max-time 10 "http://$SIP/missing"
  cap_stop
  finish benign "HTTP/1.1, nginx 1.22 + curl"
}

sc_dns() {
  local d="$TMP/$CUR"
  mkdir -p "$d"
  bg "$NS_S" "$d/dnsmasq.log" dnsmasq --no-daemon -C /dev/null --no-resolv --no-hosts --pid-file= \
    --listen-address="$SIP" --bind-interfaces --port=53 --user=root \
    --address=/example.test/10.77.250.5 --address=/example.test/fd77::250:5 \
    --txt-record=info.example.test,"trafficsentinel capture generator" --log-queries
  wait_for 10 listening "$NS_S" udp 53
  cap_start
  local q
  for q in "www.example.test A" "www.example.test AAAA" "mail.example.test MX" "info.example.test TXT" "api.example.test A"; do
    inc dig +time=2 +tries=1 @"$SIP" $q >/dev/null
  done
  inc dig +tcp +time=2 +tries=1 @"$SIP" www.example.test A >/dev/null
  cap_stop
  finish benign "DNS over UDP and TCP, dnsmasq 2.90 + dig"
}

sc_ssh() {
  local d="$TMP/$CUR" p="$TMP/pki"
  mkdir -p "$d"
  cat >"$d/sshd_config" <<EOF
ListenAddress $SIP
Port 22
HostKey $p/ssh-host
AuthorizedKeysFile $p/authorized_keys
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
PidFile none
EOF
  bg_isolated "$NS_S" "$d/sshd.log" /usr/sbin/sshd -D -e -f "$d/sshd_config"
  wait_for 10 listening "$NS_S" tcp 22
  cap_start
  inc ssh -i "$p/ssh-user" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes \
    -o ConnectTimeout=5 "root@$SIP" "uname -s; head -c 100000 /dev/zero" >/dev/null 2>"$d/ssh.err"
  cap_stop
  finish benign "SSH-2, OpenSSH 9.2 sshd + ssh, key login, command + 100 kB output"
}

sc_iperf() {  # sc_iperf tcp|udp
  local proto=$1 d="$TMP/$CUR" port
  mkdir -p "$d"
  port=$(vary 5201 5202 5201)
  bg "$NS_S" "$d/server.log" iperf3 -s -1 -B "$SIP" -p "$port"
  wait_for 10 listening "$NS_S" tcp "$port"
  cap_start
  local dur rate
  dur=$(vary 2 3 2 4)
  rate=$(vary 1M 2M 3M)
  if [[ $proto == udp ]]; then
    inc iperf3 -c "$SIP" -p "$port" -u -b "$rate" -l 1200 -t "$dur" >"$d/client.log"
  else
    inc iperf3 -c "$SIP" -p "$port" -b "$rate" -t "$dur" >"$d/client.log"
  fi
  cap_stop
  finish benign "bulk $proto, iperf3 3.12 at $rate for ${dur}s (TCP control connection + data)"
}

sc_tls_lookalike() {  # sc_tls_lookalike PORT CERT: openssl s_server on PORT
  local port=$1 cert=$2 sni=${3:-} d="$TMP/$CUR"
  mkdir -p "$d"
  bg "$NS_S" "$d/s_server.log" openssl s_server -accept "$SIP:$port" -cert "$TMP/pki/$cert.crt" \
    -key "$TMP/pki/$cert.key" -www -quiet
  wait_for 10 listening "$NS_S" tcp "$port"
  cap_start
  local i
  for i in 1 2 3; do
    if [[ -n $sni ]]; then
      inc curl -s -o /dev/null --max-time 5 -k --resolve "$sni:$port:$SIP" "https://$sni:$port/"
    else
      inc curl -s -o /dev/null --max-time 5 -k "https://$SIP:$port/"
    fi
  done
  cap_stop
  if [[ -n $sni ]]; then
    finish benign "look-alike: TLS to a server with a certificate for $sni (SNI $sni), openssl s_server + curl"
  else
    finish benign "look-alike: plain TLS web server on OpenVPN's port $port, openssl s_server + curl"
  fi
}

sc_random_udp() {  # random payloads on WireGuard's port, with WireGuard-like sizes
  local port=$1 d="$TMP/$CUR"
  mkdir -p "$d"
  bg "$NS_S" "$d/server.log" "$PY" -c '
import random, socket, sys
r = random.Random(2)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
while True:
    data, peer = s.recvfrom(4096)
    s.sendto(bytes(r.getrandbits(8) for _ in range(r.choice([92, 64, 128, 300]))), peer)
' "$SIP" "$port"
  wait_for 10 listening "$NS_S" udp "$port"
  cap_start
  inc "$PY" -c '
import random, socket, sys, time
r = random.Random(1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 0))
s.settimeout(1)
for i in range(30):
    s.sendto(bytes(r.getrandbits(8) for _ in range(r.choice([148, 32, 96, 200, 1200]))), (sys.argv[2], int(sys.argv[3])))
    try: s.recvfrom(4096)
    except OSError: pass
    time.sleep(0.05)
' "$CIP" "$SIP" "$port"
  cap_stop
  finish benign "look-alike: seeded random UDP payloads on WireGuard's port $port (sizes 148/92 among them), python3"
}

# ---------------------------------------------------------------- the scenario list
all_scenarios() {
  local p1 p2 p3
  p1=$(vary 1194 1195 443 53 1194)
  run "openvpn-udp-$p1-plain"        sc_openvpn udp "$p1" plain
  run "openvpn-udp-$p1-tls-auth"     sc_openvpn udp "$p1" tls-auth
  run "openvpn-udp-$p1-tls-crypt"    sc_openvpn udp "$p1" tls-crypt
  run "openvpn-udp-$p1-tls-crypt-v2" sc_openvpn udp "$p1" tls-crypt-v2
  p2=$(vary 1194 443 8443 1194)
  run "openvpn-tcp-$p2-plain"        sc_openvpn tcp "$p2" plain
  run "openvpn-tcp-$p2-tls-crypt-v2" sc_openvpn tcp "$p2" tls-crypt-v2
  p3=$(vary 443 53 80 443)
  run "openvpn-tcp-$p3-tls-auth"     sc_openvpn tcp "$p3" tls-auth
  run "openvpn-tcp-$p3-tls-crypt"    sc_openvpn tcp "$p3" tls-crypt
  p3=$(vary 53 443 123 53)
  run "openvpn-udp-$p3-tls-crypt"    sc_openvpn udp "$p3" tls-crypt
  run "openvpn-udp-$p3-tls-auth"     sc_openvpn udp "$p3" tls-auth
  p1=$(vary 443 8443 1194); p2=$(vary 53 8080 1195)
  run "openvpn-udp-$p1-tls-crypt-v2" sc_openvpn udp "$p1" tls-crypt-v2
  run "openvpn-tcp-$p2-plain"        sc_openvpn tcp "$p2" plain
  p1=$(vary 51820 51821 443 51820); p2=$(vary 443 53 4500); p3=$(vary 53 123 51820)
  run "wireguard-udp-$p1"            sc_wireguard "$p1"
  run "wireguard-udp-$p2"            sc_wireguard "$p2"
  run "wireguard-udp-$p3"            sc_wireguard "$p3"
  run "wireguard-udp6-$p1"           sc_wireguard "$p1" "" v6
  run "wireguard-udp-$p1-after-handshake" sc_wireguard "$p1" midflow
  p1=$(vary 9001 443 8080 9001); p2=$(vary 9443 443 80)
  run "tor-bridge-$p1"               sc_tor "$p1"
  # The bridge's own ORPort (unused by this client) must not take the obfs4 port.
  run "tor-obfs4-$p2"                sc_tor 9002 obfs4 "$p2"
  run "ipsec-ikev2-udp-500-4500"     sc_ipsec
  p1=$(vary 8388 443 8080)
  run "shadowsocks-tcp-$p1"          sc_shadowsocks "$p1"
  run "benign-https-tls12"           sc_https 1.2
  run "benign-https-tls13"           sc_https 1.3
  run "benign-https6-tls13"          sc_https 1.3 v6
  run "benign-http"                  sc_http
  run "benign-dns"                   sc_dns
  run "benign-ssh"                   sc_ssh
  run "benign-iperf3-tcp"            sc_iperf tcp
  run "benign-iperf3-udp"            sc_iperf udp
  run "lookalike-tls-1194"           sc_tls_lookalike 1194 web
  run "lookalike-tls-www-example-com" sc_tls_lookalike 443 example www.example.com
  run "lookalike-random-udp-51820"   sc_random_udp 51820
  # Last, so that adding it moved no other scenario's subnet or variations.
  p1=$(vary 443 8443 4443)
  run "anyconnect-$p1"               sc_anyconnect "$p1"
}

# ---------------------------------------------------------------- main
setup_namespaces
mk_pki
: >"$TMP/tunnels"
LAST_REP=$REPEAT
[[ $FIRST_REP -gt 0 ]] && LAST_REP=$((FIRST_REP + REPEAT - 1))
for ((REP = FIRST_REP; REP <= LAST_REP; REP++)); do
  SC_N=0
  # Each repetition re-adds its scenarios' addresses: drop the previous repetition's first.
  ip -n "$NS_C" addr flush dev vc scope global; ip -n "$NS_S" addr flush dev vs scope global
  log "=== repetition $REP of $LAST_REP"
  all_scenarios
done

if [[ $MIDFLOW -eq 1 && -s "$TMP/tunnels" ]]; then
  { "$PY" "$TOOL" header; cat "$LABELS_NEW"; } >"$TMP/labels.sofar"
  while read -r stem; do
    [[ $stem == *after-handshake* ]] && continue
    if "$PY" "$TOOL" midflow "$OUT/$stem.pcap" "$OUT/$stem-midflow.pcap" "$MIDFLOW_SKIP" "$TMP/labels.sofar" \
        "mid-flow copy of $stem.pcap: first $MIDFLOW_SKIP packets removed" >"$TMP/mid.rows"; then
      cat "$TMP/mid.rows" >>"$LABELS_NEW"
      [[ -f "$OUT/$stem-midflow.pcap" ]] && echo "OK   $stem-midflow (mid-flow copy)" >>"$RESULTS"
    fi
  done <"$TMP/tunnels"
fi

if [[ $DEMO -eq 1 ]]; then
  parts=()
  for stem in openvpn-udp-1194-tls-crypt wireguard-udp-51820 tor-bridge-9001 benign-https-tls13 benign-dns benign-ssh lookalike-tls-1194; do
    [[ -f "$OUT/$stem.pcap" ]] && parts+=("$OUT/$stem.pcap")
  done
  if [[ ${#parts[@]} -gt 0 ]]; then
    { "$PY" "$TOOL" header; cat "$LABELS_NEW"; } >"$TMP/labels.sofar"
    "$PY" "$TOOL" merge "$OUT/demo-mixed.pcap" "$TMP/labels.sofar" "${parts[@]}" >>"$LABELS_NEW"
    echo "OK   demo-mixed (${#parts[@]} scenarios merged)" >>"$RESULTS"
  fi
fi

# labels.csv: rows of files written by this run replace older rows of the same files.
if [[ -f "$OUT/labels.csv" ]]; then
  "$PY" - "$OUT/labels.csv" "$LABELS_NEW" >"$TMP/labels.old" <<'EOF'
import csv, sys
new = {r[0] for r in csv.reader(open(sys.argv[2]))}
w = csv.writer(sys.stdout, lineterminator="\n")
for r in list(csv.reader(open(sys.argv[1])))[1:]:
    if r[0] not in new:
        w.writerow(r)
EOF
else
  : >"$TMP/labels.old"
fi
{ "$PY" "$TOOL" header; cat "$TMP/labels.old" "$LABELS_NEW" | sort -t, -k1,1 -s; } >"$OUT/labels.csv"

echo "---- results" >&2
cat "$RESULTS" >&2
"$PY" "$TOOL" check "$OUT" >&2 || true
grep -q '^FAIL' "$RESULTS" && exit 3
exit 0
