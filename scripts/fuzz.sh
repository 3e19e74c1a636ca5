#!/usr/bin/env bash
# scripts/fuzz.sh [SECONDS]: runs each libFuzzer target of tests/fuzz/ for SECONDS (default 60)
# and fails if any of them crashed, hit a sanitizer report, hung (-timeout) or ran out of memory.
# Builds the targets in build-asan/ (clang, ASan + UBSan; shared with scripts/sanitize.sh asan).
#   build-asan/fuzz/<target>/corpus/   the corpus: the seeds (tests/fuzz/seed_corpus.sh), the
#                                      regressions and what earlier runs found; kept between runs
#   build-asan/fuzz/<target>/crashes/  crashing inputs, with the command to reproduce printed
# Extra arguments go to every target (libFuzzer flags, e.g. -jobs=2 or -only_ascii=1).
# ROACHRUN_FUZZ_SEED (default 1) is libFuzzer's -seed, and each target stops after
# ROACHRUN_FUZZ_RUNS inputs (default 100000) if SECONDS have not run out first: with the same
# seed and corpus a run tries the same inputs, so a green CI run repeats and a red one reproduces.
# ROACHRUN_FUZZ_SEED=0 draws a new seed (what a longer hunt for new crashes wants).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh  # clang-14 and the sanitizer runtimes (idempotent, cheap)
source scripts/sanitizer-env.sh
seconds=${1:-60}
seed=${ROACHRUN_FUZZ_SEED:-1}
runs=${ROACHRUN_FUZZ_RUNS:-100000}
[ $# -gt 0 ] && shift
targets=(scenario_loader substitute params)

configure_asan
cmake --build "$asan_dir" --parallel "$(nproc)" --target roachrun_fuzz_targets >&2
# libFuzzer sets what it needs (leak detection included); only ask for stacks with symbols.
symbolizer=$(command -v llvm-symbolizer-14 || command -v llvm-symbolizer || true)
if [ -n "$symbolizer" ]; then
  export ASAN_SYMBOLIZER_PATH=$symbolizer
fi
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"

seeds="$asan_dir/fuzz/seeds"
rm -rf "$seeds"
bash tests/fuzz/seed_corpus.sh "$seeds"

summary=()
failed=0
for t in "${targets[@]}"; do
  work="$asan_dir/fuzz/$t"
  mkdir -p "$work/corpus" "$work/crashes"
  cp "$seeds"/* "$work/corpus/"
  find "tests/fuzz/regressions/$t" -type f ! -name '.*' -exec cp {} "$work/corpus/" \;
  binary="$asan_dir/tests/roachrun_fuzz_$t"
  log="$work/fuzz.log"
  echo "fuzz: $t for ${seconds}s or $runs runs, seed $seed" >&2
  status=0
  # -timeout: an input taking 10 s is a hang (every real scenario loads in milliseconds);
  # -rss_limit_mb: an expansion past 2 GB is a bug too (the machine has 24 GB, CI runs 2 jobs).
  "$binary" "$work/corpus" -max_total_time="$seconds" -runs="$runs" -seed="$seed" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -dict=tests/fuzz/scenario.dict -artifact_prefix="$work/crashes/" -print_final_stats=1 "$@" \
    >"$log" 2>&1 || status=$?
  executed=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  per_sec=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
  corpus=$(find "$work/corpus" -type f | wc -l)
  line="$t: ${executed:-?} runs, ${per_sec:-?} exec/s, ${cov:-no coverage figures}, corpus $corpus inputs"
  if [ "$status" -ne 0 ]; then
    failed=1
    line+=" -- FAILED (exit $status)"
    tail -60 "$log" >&2
    echo "fuzz: $t crashed; the inputs are in $work/crashes/:" >&2
    for crash in "$work"/crashes/*; do
      [ -f "$crash" ] || continue
      echo "  reproduce:      $binary $crash" >&2
      echo "  or without libFuzzer: build/tests/roachrun_replay_$t $crash" >&2
      echo "  once fixed, keep it: cp $crash tests/fuzz/regressions/$t/" >&2
    done
  fi
  summary+=("$line")
done
printf 'fuzz: %s\n' "${summary[@]}" >&2
exit $failed
