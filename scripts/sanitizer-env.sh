# Sourced by scripts/sanitize.sh and scripts/fuzz.sh: the sanitizer build trees and how their
# programs report. Not a command of its own.

# build-asan/: clang, ASan + UBSan, instrumented for libFuzzer too (ROACHRUN_FUZZ), so the unit and
# integration tests and the fuzz targets share one build. build-tsan/: gcc, ThreadSanitizer (no
# fuzzing there, and the gcc path of ROACHRUN_SANITIZE stays exercised).
asan_dir=${ROACHRUN_ASAN_DIR:-build-asan}
tsan_dir=${ROACHRUN_TSAN_DIR:-build-tsan}

# configure_tree DIR CMAKE_ARGS...: configures once (Ninja when there is one), later calls reuse it.
configure_tree() {
  local dir=$1
  shift
  local generator=()
  if [ ! -f "$dir/CMakeCache.txt" ] && command -v ninja >/dev/null; then
    generator=(-G Ninja)
  fi
  cmake -S . -B "$dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >&2
}

configure_asan() {
  configure_tree "$asan_dir" -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
    -DROACHRUN_SANITIZE=address,undefined -DROACHRUN_FUZZ=ON
}

configure_tsan() {
  configure_tree "$tsan_dir" -DCMAKE_C_COMPILER=gcc -DCMAKE_CXX_COMPILER=g++ -DROACHRUN_SANITIZE=thread
}

# sanitizer_options REPORT_DIR: exports the options every instrumented process reads -- the test
# binaries and every roachrun they start, which inherit the environment (tests/support/command.cpp).
# A report stops the process (halt_on_error) with exit code 86, which no test expects, and is also
# written to REPORT_DIR/<sanitizer>.<pid>: a report from a roachrun whose failure a test tolerated
# still fails the stage (check_reports).
sanitizer_options() {
  local dir=$1
  rm -rf "$dir"
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  local symbolizer
  symbolizer=$(command -v llvm-symbolizer-14 || command -v llvm-symbolizer || true)
  # handle_segv=0: a process that crashes dies of SIGSEGV as it would without the sanitizer, so
  # the fixture plugins that crash in their initializers are reported as crashed by the plugin
  # scanner (the tests check that); ASan's own checks of memory accesses are not affected.
  export ASAN_OPTIONS="halt_on_error=1:exitcode=86:detect_leaks=1:check_initialization_order=1:handle_segv=0:log_path=$dir/asan"
  export UBSAN_OPTIONS="halt_on_error=1:exitcode=86:print_stacktrace=1:log_path=$dir/ubsan"
  export LSAN_OPTIONS="exitcode=86:log_path=$dir/lsan"
  export TSAN_OPTIONS="halt_on_error=1:exitcode=86:second_deadlock_stack=1:handle_segv=0:log_path=$dir/tsan"
  # An instrumented scanner loading an instrumented plugin takes several times the normal 1 s
  # limit on a loaded machine; a timeout here would be the sanitizer's slowness, not a hang.
  export ROACHRUN_PLUGIN_SCAN_TIMEOUT=${ROACHRUN_PLUGIN_SCAN_TIMEOUT:-10s}
  if [ -n "$symbolizer" ]; then
    export ASAN_SYMBOLIZER_PATH=$symbolizer TSAN_SYMBOLIZER_PATH=$symbolizer
  fi
}

# check_reports REPORT_DIR: prints every report written there; fails if there is one.
check_reports() {
  local dir=$1 reports
  reports=$(find "$dir" -type f | sort)
  if [ -z "$reports" ]; then
    return 0
  fi
  local f
  for f in $reports; do
    echo "==== sanitizer report $f" >&2
    cat "$f" >&2
  done
  echo "sanitizers: $(echo "$reports" | wc -l) report(s) in $dir" >&2
  return 1
}
