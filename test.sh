#!/usr/bin/env bash
# ./test.sh — installs what is missing, builds, and runs the whole test suite:
# every xunit project, a dry run of every benchmark, and the formatting check.
# Tests that need ../shared or root run when those are present; under CI=true their absence fails.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/scripts/bootstrap.sh"
cd "$TS_ROOT"

# libpcap for capture, iproute2 for the network-namespace live tests, tcpreplay to send a capture
# across a veth at a fixed rate, tshark for capinfos (packet counts the corpus tests compare against).
ts_require_packages "${ts_runtime_packages[@]}" iproute2 tcpreplay tshark

ts_log "== restore and build (Release)"
dotnet restore TrafficSentinel.sln -nologo -v quiet
ts_build Release --no-restore

results="$TS_ROOT/.build/test-results"
rm -rf "$results"
mkdir -p "$results"
ts_log "== tests"
set +e
dotnet test TrafficSentinel.sln -c Release --no-build -nologo -tl:off \
  --blame-hang-timeout 10m --results-directory "$results" \
  --logger "console;verbosity=minimal" 2>&1 | tee "$results/console.log" | grep -vE '^\s*$' 
test_status=${PIPESTATUS[0]}
set -e

ts_log "== benchmarks (dry run: every benchmark builds and runs once)"
bench_status=0
(cd benchmarks/TrafficSentinel.Benchmarks && dotnet run -c Release --no-build -- --filter '*' --job Dry --join \
  --artifacts "$results/benchmarks" >"$results/benchmarks.log" 2>&1) || bench_status=$?
if [ "$bench_status" -ne 0 ] || grep -qE 'Benchmarks with issues|\[ERROR\]|Exception' "$results/benchmarks.log"; then
  ts_log "benchmark dry run FAILED (log: $results/benchmarks.log)"
  tail -40 "$results/benchmarks.log" >&2
  bench_status=1
fi

ts_log "== formatting (dotnet format --verify-no-changes)"
format_status=0
dotnet format TrafficSentinel.sln --verify-no-changes --no-restore -v quiet >"$results/format.log" 2>&1 || format_status=$?
if [ "$format_status" -ne 0 ]; then
  ts_log "dotnet format found changes to make (run: dotnet format TrafficSentinel.sln)"
  head -40 "$results/format.log" >&2
fi

# One closing line for humans and CI: sum every test assembly's counts.
read -r passed failed skipped < <(awk '
  /^(Passed|Failed)! +- +Failed:/ {
    gsub(/,/, ""); for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) }
  }
  END { print p + 0, f + 0, s + 0 }' "$results/console.log")
if [ "$bench_status" -ne 0 ]; then failed=$((failed + 1)); fi
if [ "$format_status" -ne 0 ]; then failed=$((failed + 1)); fi
echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$test_status" -ne 0 ] || [ "$bench_status" -ne 0 ] || [ "$format_status" -ne 0 ] || [ "$failed" -ne 0 ]; then
  exit 1
fi
if [ "$passed" -eq 0 ]; then
  echo "error: no test ran" >&2
  exit 1
fi
