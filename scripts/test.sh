#!/usr/bin/env bash
# Runs the whole test suite: Swift unit and integration tests (real files, inotify, SIGKILLed processes), then the
# Python suites: Schema/ on a throwaway PostgreSQL set up like a Supabase project (installed with apt-get if
# missing), the Supabase and Langfuse test servers, and the agenttail binary shipping to them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
python3 -c "import psycopg2, flask, pytest, opentelemetry.proto, google.protobuf" 2>/dev/null \
  || python3 -m pip install -q --disable-pip-version-check psycopg2-binary flask pytest opentelemetry-proto protobuf

swift build --build-tests
swift test --skip-build 2>&1 | tee .build/test-output.txt
python3 -m pytest -q -p no:cacheprovider Tests/Schema Tests/Servers Tests/EndToEnd
