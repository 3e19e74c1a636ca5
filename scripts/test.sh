#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine (packages, build) and runs every test: unit tests and
# integration tests against real PostgreSQL servers that the tests start and stop themselves.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
scripts/build.sh
build_dir=${ROACHRUN_BUILD_DIR:-build}

# The tutorial scenario as CI runs it, leaving a JUnit report for the CI system to read; the
# report must exist and be well-formed JUnit with counts that add up.
report="$build_dir/reports/tutorial.xml"
rm -f "$report"
"$build_dir/bin/roachrun" run scenarios/bank-insecure.yaml --report "junit=$report" --report "json=$build_dir/reports/tutorial.json"
test -s "$report"
"$build_dir/tests/roachrun_junit_check" "$report"

# Last, so its summary is the closing line.
cd "$build_dir"
ctest --output-on-failure --parallel "$(nproc)" "$@"
