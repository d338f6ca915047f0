#!/usr/bin/env bash
# Installs what TrafficSentinel needs on Debian 12 and builds it. Sourced by ./sentinel and ./test.sh.
#   ts_require_packages PKG...   apt-get install the packages that are missing (root, or sudo)
#   ts_build CONFIG              dotnet restore + build the solution, quietly
set -euo pipefail

TS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

ts_log() { printf '%s\n' "$*" >&2; }

ts_require_packages() {
  local missing=()
  local pkg
  for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$pkg")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
      ts_log "error: these Debian packages are missing and installing them needs root: ${missing[*]}"
      return 1
    fi
  fi
  ts_log "installing Debian packages: ${missing[*]}"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ts_require_dotnet() {
  if ! command -v dotnet >/dev/null 2>&1; then
    ts_log "error: the .NET 10 SDK is not installed (https://learn.microsoft.com/dotnet/core/install/linux-debian)"
    return 1
  fi
}

# libpcap0.8 is the runtime SharpPcap loads (libpcap.so.0.8); nothing else is needed to replay.
ts_runtime_packages=(libpcap0.8)

ts_build() {
  local config="${1:-Release}"
  ts_require_dotnet
  (cd "$TS_ROOT" && dotnet build TrafficSentinel.sln -c "$config" -nologo -v quiet -clp:ErrorsOnly -tl:off "${@:2}")
}
