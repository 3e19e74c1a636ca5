#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine (packages, build) and runs every test: unit tests and
# integration tests against real PostgreSQL servers that the tests start and stop themselves;
# then the unit and integration tests again under ASan + UBSan, the concurrent ones under TSan
# (scripts/sanitize.sh), and each fuzz target for a minute (scripts/fuzz.sh). Any failure, any
# sanitizer report and any fuzzer crash fails it. Each stage's wall time is printed at the end.
# ROACHRUN_FUZZ_SECONDS (default 60) sets the time per fuzz target; arguments go to the first ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${ROACHRUN_BUILD_DIR:-build}
ctest_log=$(mktemp)

timings=()
# stage NAME COMMAND...: runs COMMAND and records how long it took.
stage() {
  local name=$1 start=$SECONDS
  shift
  echo "test.sh: == $name" >&2
  "$@"
  timings+=("$(printf '  %-44s %5ds' "$name" $((SECONDS - start)))")
}
report_timings() {
  local status=$?
  echo "test.sh: stage times (wall clock, $(nproc) cores):"
  printf '%s\n' "${timings[@]}"
  if [ "$status" -ne 0 ]; then
    echo "test.sh: FAILED in the stage after the last one listed (exit $status)"
  elif [ -s "$ctest_log" ]; then
    # The closing line: the summary of the ctest run of the normal build.
    grep -E '^[0-9]+% tests passed' "$ctest_log" | tail -1
  fi
  rm -f "$ctest_log"
}
trap report_timings EXIT

# The tutorial scenario as CI runs it, leaving a JUnit report for the CI system to read; the
# report must exist and be well-formed JUnit with counts that add up.
tutorial() {
  local report="$build_dir/reports/tutorial.xml"
  rm -f "$report"
  "$build_dir/bin/roachrun" run scenarios/bank-insecure.yaml --report "junit=$report" --report "json=$build_dir/reports/tutorial.json"
  test -s "$report"
  "$build_dir/tests/roachrun_junit_check" "$report"
}

normal_tests() {
  (cd "$build_dir" && ctest --output-on-failure --parallel "$(nproc)" "$@") | tee "$ctest_log"
}

stage "bootstrap (packages)" scripts/bootstrap.sh --tests  # --tests: Chromium too, for the HTML report's tests
stage "build" scripts/build.sh
stage "tutorial" tutorial
stage "tests (ctest)" normal_tests "$@"
stage "ASan+UBSan: build, unit + integration tests" scripts/sanitize.sh asan
stage "TSan: build, concurrent tests" scripts/sanitize.sh tsan
stage "fuzz: build, ${ROACHRUN_FUZZ_SECONDS:-60}s per target" scripts/fuzz.sh "${ROACHRUN_FUZZ_SECONDS:-60}"
