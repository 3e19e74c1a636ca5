#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine (packages, build) and runs every test: unit tests and
# integration tests against real PostgreSQL servers that the tests start and stop themselves.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
scripts/build.sh
cd "${ROACHRUN_BUILD_DIR:-build}"
ctest --output-on-failure --parallel "$(nproc)" "$@"
