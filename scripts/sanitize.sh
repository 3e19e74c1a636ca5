#!/usr/bin/env bash
# Builds and runs the tests under the sanitizers, failing on any report (README "Testing").
#   scripts/sanitize.sh          both stages
#   scripts/sanitize.sh asan     AddressSanitizer + UndefinedBehaviorSanitizer (and LeakSanitizer):
#                                the unit and integration tests, in build-asan/ (clang)
#   scripts/sanitize.sh tsan     ThreadSanitizer: the concurrent parts, in build-tsan/ (gcc)
# Extra arguments after the stage go to ctest (asan) or the test binaries (tsan), e.g.
# `scripts/sanitize.sh asan -R unit`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh  # clang-14 and the sanitizer runtimes (idempotent, cheap)
source scripts/sanitizer-env.sh

# The concurrent parts: the workload's clients, Ctrl-C and SIGTERM during a run (every
# connection's statement cancelled), a connection lost and reopened mid-step, the branches of a parallel block; all of the unit tests
# (the cancel registry, the retry loop's threads; seconds).
tsan_integration_filter='Workload*:*/WorkloadInterrupt.*:LocalInterrupt.*:StepReconnect*:RunReconnecting.*:EnsureSession.*:OpenThroughOutage.*:ScenarioLanguage.*'

# The plugins' own unit tests (roachrun_plugin_test in plugins/*/CMakeLists.txt): the event
# engine's fibers and their switches are tested there, so both stages run them. CMake builds them
# all as the target roachrun_plugin_tests and lists them in the tree's plugin-tests.txt.

# run_plugin_tests DIR GTEST_ARGS...: each plugin test binary of that tree; fails if one does,
# or if the list is missing or empty (a plugin test would then go unrun without a word).
run_plugin_tests() {
  local dir=$1 status=0 t count=0
  shift
  [ -s "$dir/plugin-tests.txt" ] || { echo "sanitize: $dir/plugin-tests.txt is missing or empty" >&2; return 1; }
  while read -r t; do
    [ -n "$t" ] || continue
    count=$((count + 1))
    "$dir/bin/$t" --gtest_color=no --gtest_brief=1 "$@" </dev/null || status=$?
  done <"$dir/plugin-tests.txt"
  echo "sanitize: ran $count plugin test programs from $dir/plugin-tests.txt" >&2
  return $status
}

run_asan() {
  configure_asan
  cmake --build "$asan_dir" --parallel "$(nproc)" --target roachrun_unit_tests roachrun_integration_tests roachrun_plugin_tests >&2
  sanitizer_options "$asan_dir/sanitizer-reports"
  local status=0
  # The ctest entries of the normal build: `integration` leaves the fault, formation and local_nodes tests out.
  (cd "$asan_dir" && ctest --output-on-failure --parallel "$(nproc)" -R '^(unit|integration)$' "$@") || status=$?
  run_plugin_tests "$asan_dir" || status=$?
  check_reports "$asan_dir/sanitizer-reports" || status=1
  return $status
}

run_tsan() {
  configure_tsan
  cmake --build "$tsan_dir" --parallel "$(nproc)" --target roachrun_unit_tests roachrun_integration_tests roachrun_plugin_tests >&2
  sanitizer_options "$tsan_dir/sanitizer-reports"
  local status=0
  "$tsan_dir/bin/roachrun_unit_tests" --gtest_color=no "$@" || status=$?
  run_plugin_tests "$tsan_dir" "$@" || status=$?
  "$tsan_dir/bin/roachrun_integration_tests" --gtest_color=no --gtest_filter="$tsan_integration_filter" "$@" || status=$?
  check_reports "$tsan_dir/sanitizer-reports" || status=1
  return $status
}

stage=${1:-all}
[ $# -gt 0 ] && shift
case $stage in
  asan) run_asan "$@" ;;
  tsan) run_tsan "$@" ;;
  all)
    status=0
    run_asan || status=$?
    run_tsan || status=$?
    exit $status
    ;;
  *) echo "usage: scripts/sanitize.sh [asan|tsan|all] [ctest or gtest arguments...]" >&2; exit 2 ;;
esac
