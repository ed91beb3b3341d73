#!/usr/bin/env bash
# Catch-up benchmark against syslog-ng on a generated Mini-Agent corpus (see scripts/bench/bench.py):
#   scripts/bench.sh [SIZE_MB]      (default 200; the corpus is kept in /tmp/agenttail-bench for later runs)
# Builds agenttail in release mode and installs syslog-ng (with its HTTP module) and GNU time when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
need=()
command -v syslog-ng >/dev/null || need+=(syslog-ng-core syslog-ng-mod-http)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
swift build -c release --product agenttail
python3 scripts/bench/bench.py --size-mb "${1:-200}"
