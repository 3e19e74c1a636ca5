#!/usr/bin/env bash
# Smoke test of the benchmark (ctest's bench_smoke): bench/run.sh once, briefly, with each program
# -- roachrun's three protocols, pgbench, the bare loop's three -- on its own throwaway server,
# directly and through the delay proxy (the latency-bound cell, with 2 connections).
# It checks that the script runs to its table, that every program produced a figure and that every
# audit held. It never judges the speed: only a quiet machine can (bash bench/run.sh, see README).
set -euo pipefail
source_dir=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${1:?usage: smoke_test.sh BUILD_DIR}
out=$(BENCH_BUILD=0 ROACHRUN_BUILD_DIR="$build_dir" BENCH_SECONDS=1 BENCH_REPS=1 BENCH_CLIENTS=2 \
  BENCH_ACCOUNTS=1000 BENCH_POLICIES=pgbench BENCH_STARTUP_RUNS=3 BENCH_GROWTH=0 \
  BENCH_SCALE_CLIENTS= BENCH_DELAY_MS=1 BENCH_DELAY_CLIENTS=2 \
  BENCH_OUT="$build_dir/bench/smoke.txt" bash "$source_dir/bench/run.sh" 2>&1) || {
  echo "$out"
  echo "bench_smoke: bench/run.sh failed"
  exit 1
}
echo "$out"
problems=$(grep -E "NO RESULT|AUDIT FAILED|errors:|has no bank.workload|FAILED in" <<<"$out" || true)
[ -z "$problems" ] || { echo "bench_smoke: $problems"; exit 1; }
for program in roachrun/tutorial roachrun/pipeline roachrun/single bare/tutorial bare/pipeline bare/single pgbench/tutorial; do
  grep -qE "^pgbench +1000 +2 +$program +[0-9]" <<<"$out" || { echo "bench_smoke: no figure for $program"; exit 1; }
done
for program in roachrun/tutorial roachrun/pipeline roachrun/single bare/tutorial bare/pipeline bare/single pgbench/tutorial; do
  grep -qE "^  $program +[0-9]+\.[0-9] +[125] +[0-9]+ +[0-9]+\.[0-9]{2}" <<<"$out" ||
    { echo "bench_smoke: no latency-cell figure for $program"; exit 1; }
done
grep -qE "^pgbench +1000 +2 +roachrun/tutorial +[0-9.]+ +[0-9.-]+ +[0-9.-]+ +[0-9]+ +[0-9]+ +[0-9]+\.[0-9]{3} " <<<"$out" ||
  { echo "bench_smoke: no client CPU figure for roachrun/tutorial"; exit 1; }
grep -q "audits of the bare loop and pgbench runs (total conserved, none negative): all held" <<<"$out" ||
  { echo "bench_smoke: an audit of the bare loop or pgbench failed"; exit 1; }
grep -qE "^latency-bound cell: .*measured [0-9]+\.[0-9]+ ms\)" <<<"$out" ||
  { echo "bench_smoke: the round trip through the delay proxy was not measured"; exit 1; }
grep -qE "^start-up \(.*\): [0-9.]+ ms" <<<"$out" || { echo "bench_smoke: no start-up figure"; exit 1; }
echo "bench_smoke: every program ran, every audit held"
