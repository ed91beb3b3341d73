#!/usr/bin/env bash
# Runs the whole test suite: Swift unit and integration tests (real files, inotify, SIGKILLed processes), then the
# Python suites: Schema/ on a throwaway PostgreSQL set up like a Supabase project (installed with apt-get if
# missing), the Supabase and Langfuse test servers, the agenttail binary shipping to them, the redaction suite
# (secret forms from tools' documentation, with detect-secrets as an oracle), and the fault suite (short mode;
# `scripts/soak.sh` runs its long mode).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
python3 -c "import psycopg2, flask, pytest, opentelemetry.proto, google.protobuf, websocket, prometheus_client" \
  2>/dev/null || python3 -m pip install -q --disable-pip-version-check psycopg2-binary flask pytest \
    opentelemetry-proto protobuf websocket-client prometheus-client
# detect-secrets: the source of the provider rules (scripts/secret-rules.py) and the redaction suite's oracle.
python3 -c "import importlib.metadata as m; assert m.version('detect-secrets') == '1.5.0'" 2>/dev/null \
  || python3 -m pip install -q --disable-pip-version-check detect-secrets==1.5.0

# The MCP suite drives `agenttail mcp` with the official MCP Python client.
python3 -c "import importlib.metadata as m; assert m.version('mcp') == '2.3.0'" 2>/dev/null \
  || python3 -m pip install -q --disable-pip-version-check mcp==2.3.0

# The fault suite also needs openssl (a private CA for the TLS test) and setpriv (a reader without root's rights).
command -v openssl >/dev/null && command -v setpriv >/dev/null || {
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq openssl util-linux
}

# The HTML report is rendered in a headless Chromium.
command -v chromium >/dev/null || {
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    chromium fonts-dejavu-core
}

swift build --build-tests
swift test --skip-build 2>&1 | tee .build/test-output.txt
python3 -m pytest -q -p no:cacheprovider Tests/Schema Tests/Servers Tests/EndToEnd Tests/Redaction Tests/Faults \
  Tests/Resources Tests/MCP Tests/Dashboard
