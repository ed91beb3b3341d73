#!/usr/bin/env bash
# Benchmarks agenttail against syslog-ng on generated Mini-Agent logs, prints the tables and ratios, and ends with
# every target and whether it is met (see scripts/bench/bench.py): catch-up on four corpus shapes with its floors,
# catch-up with the Supabase and Langfuse sinks on, live latency and CPU, many files, idle, reports, records.
#   scripts/bench.sh                          everything, on 200 MB corpora
#   scripts/bench.sh --only catchup --sizes 200,1000 --shapes mix,huge,small,long
#   scripts/bench.sh --help                   every option
# Builds agenttail in release mode and installs syslog-ng (with its HTTP module), GNU time and the Python packages of
# the Langfuse test server (live latency ships to it) when missing. Generated corpora are kept in /tmp/agenttail-bench
# for later runs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
python3 -c "import flask, opentelemetry.proto, google.protobuf" 2>/dev/null \
  || python3 -m pip install -q --disable-pip-version-check flask opentelemetry-proto protobuf
need=()
command -v syslog-ng >/dev/null || need+=(syslog-ng-core syslog-ng-mod-http)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
swift build -c release --product agenttail
swift build -c release --product agenttail-floors
python3 scripts/bench/bench.py "$@"
