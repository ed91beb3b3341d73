#!/usr/bin/env bash
# Soak test: agenttail is started, fed log pieces and killed with SIGKILL over and over for SECONDS seconds
# (default 600) while both remote test servers flap, with a new generation of 12 Mini-Agent runs whenever one is
# written out; then everything is drained and compared with one clean run. Prints the figures: kills survived, rows
# and events checked, lost, duplicated, changed, dead letters expected vs found. The outage test of the same file
# runs after it.
#   scripts/soak.sh [SECONDS]
# Uses the binary in AGENTTAIL_BIN (default .build/debug/agenttail: run `swift build` first). A failure prints its
# seed; AGENTTAIL_FAULT_SEED=N scripts/soak.sh replays it.
set -euo pipefail
cd "$(dirname "$0")/.."
AGENTTAIL_SOAK_SECONDS=${1:-600} python3 -m pytest -q -s -p no:cacheprovider Tests/Faults/test_faults_kills.py
