#!/usr/bin/env bash
# Builds the Debian package of roachrun (build/roachrun_<version>_<arch>.deb) with CPack, and with
# --install also installs it with apt-get, which pulls in its dependencies. On a fresh Debian 12:
#   scripts/package.sh --install && roachrun run /usr/share/roachrun/scenarios/bank-insecure.yaml
set -euo pipefail
cd "$(dirname "$0")/.."
install=0
for arg in "$@"; do
  case $arg in
    --install) install=1 ;;
    *) echo "usage: scripts/package.sh [--install]" >&2; exit 2 ;;
  esac
done
scripts/bootstrap.sh
scripts/build.sh --target roachrun_bundle
build_dir=${ROACHRUN_BUILD_DIR:-build}
(cd "$build_dir" && cpack -G DEB >&2)
deb=$(ls -t "$build_dir"/roachrun_*.deb | head -n 1)
dpkg-deb --info "$deb" >&2
echo "$deb"
if [ "$install" -eq 1 ]; then
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "$(realpath "$deb")" >&2
fi
