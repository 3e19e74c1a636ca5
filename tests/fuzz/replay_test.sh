#!/usr/bin/env bash
# replay_test.sh REPLAY_BINARY REGRESSIONS_DIR SEEDS_DIR: the fuzz_<name> ctest entries. Makes
# the seed corpus afresh in SEEDS_DIR, then replays it and every regression input through the
# target; any crash or sanitizer report fails the entry, naming the input.
set -euo pipefail
replay=$1 regressions=$2 seeds=$3
rm -rf "$seeds"
bash "$(dirname "$0")/seed_corpus.sh" "$seeds"
"$replay" "$regressions" "$seeds"
