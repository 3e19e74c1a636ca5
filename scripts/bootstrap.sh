#!/usr/bin/env bash
# Installs everything roachrun needs to build, test and run on Debian 12, from Debian's own
# packages. Idempotent: it installs only what is missing, so it is cheap to call before every build.
#   scripts/bootstrap.sh           what building, the tutorial and most tests need
#   scripts/bootstrap.sh --tests   also what only some tests need and is too big to install for the
#                                  tutorial (scripts/test.sh passes it)
set -euo pipefail

tests=false
case ${1:-} in
  '') ;;
  --tests) tests=true ;;
  *) echo "usage: scripts/bootstrap.sh [--tests]" >&2; exit 2 ;;
esac

packages=(
  build-essential cmake ninja-build pkg-config dpkg-dev file
  libpq-dev libyaml-cpp-dev libspdlog-dev libfmt-dev libboost-dev libcli11-dev nlohmann-json3-dev
  libboost-context-dev  # bank.workload's event engine: fibers (boost::context::fiber) over epoll
  libssl-dev libgtest-dev libgmock-dev libxml2-dev
  postgresql-15 postgresql-client-15
  postgresql-15-auto-failover pg-auto-failover-cli  # the local target with several nodes (pg_auto_failover)
  python3 python3-jsonschema python3-yaml  # the schema test: `roachrun schema` checked by a real validator
  jq time  # bench/run.sh (and its smoke test): reading JSON results, peak RSS
  clang-14 libclang-rt-14-dev llvm-14  # scripts/sanitize.sh, scripts/fuzz.sh: libFuzzer, sanitizer runtimes, llvm-symbolizer
)
if $tests; then
  # The HTML report rendered in headless Chromium (tests/support/headless_browser.hpp): its charts
  # draw and its scripts raise no errors. Chromium without recommends brings no font of its own
  # (only fontconfig's choice of one among alternatives), so the one the screenshots use is named.
  packages+=(chromium fonts-dejavu-core)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "bootstrap: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
echo "bootstrap: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
