#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine (packages, build) and runs the tutorial scenario on a
# throwaway local PostgreSQL server. Arguments are passed to `roachrun run`, e.g.
#   scripts/tutorial.sh scenarios/bank-insecure.yaml --set amount=250
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
scripts/build.sh --target roachrun_bundle
if [ $# -eq 0 ] || [[ $1 == -* ]]; then
  set -- scenarios/bank-insecure.yaml "$@"
fi
exec "${ROACHRUN_BUILD_DIR:-build}/bin/roachrun" run "$@"
