#!/usr/bin/env bash
# Installs the Debian packages InferSave builds with, when any is missing.
set -euo pipefail
packages=(cmake make g++ pkg-config nlohmann-json3-dev libcli11-dev libfmt-dev libcsv-dev libeigen3-dev
          libgtest-dev libgmock-dev libbenchmark-dev python3 libcpp-httplib-dev)
# `scripts/install-deps.sh fuzz`: clang and its libFuzzer runtime as well.
[ "${1:-}" = fuzz ] && packages+=(clang libclang-rt-14-dev)
missing=()
# The web page's browser tests: Debian's chromium and Node.js (npm with it).
[ "${1:-}" = fuzz ] || packages+=(chromium)
command -v node >/dev/null || packages+=(nodejs npm)
# The Python module and its tests.
[ "${1:-}" = fuzz ] || packages+=(pybind11-dev python3-dev python3-pytest)
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# playwright-core for the browser tests, pinned by web/package-lock.json.
root=$(cd "$(dirname "$0")/.." && pwd)
if [ "${1:-}" != fuzz ] && [ ! -d "$root/web/node_modules/playwright-core" ]; then
  echo "installing web/node_modules (npm ci)" >&2
  (cd "$root/web" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
