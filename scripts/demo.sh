#!/usr/bin/env bash
# Builds agenttail and runs it once over the sample Mini-Agent logs in examples/logs, into an embedded store
# under demo/, then prints what it found. No credentials, no network.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build --product agenttail
rm -rf demo && mkdir -p demo/logs
cp examples/logs/*.log demo/logs/
# The samples are finished runs: date them in the past so that silence has concluded them, as for old logs.
touch -d '2 hours ago' demo/logs/*.log
AGENTTAIL_DEMO_LOGS="$PWD/demo/logs" .build/debug/agenttail run --once --config examples/agenttail.yaml --log-level warning
echo
echo "Rows of one session, as JSON lines:"
.build/debug/agenttail parse demo/logs/03_failing_tool_missing_file.log | cut -c1-160
echo
echo "The report of these runs (agenttail report --help for periods, groups and formats):"
.build/debug/agenttail report --config examples/agenttail.yaml --from 2026-11-01
echo
echo "Query the store yourself: sqlite3 demo/events.sqlite 'SELECT tool_name, success, duration_ms FROM tool_executions'"
echo "Look at them in a browser: .build/debug/agenttail ui --config examples/agenttail.yaml (then open http://127.0.0.1:8377/)"
