#!/usr/bin/env bash
# Runs the whole test suite: unit tests, then integration tests (real files, inotify, SIGKILLed processes).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build --build-tests
swift test --skip-build 2>&1 | tee .build/test-output.txt
