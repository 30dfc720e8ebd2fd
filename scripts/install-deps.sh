#!/usr/bin/env bash
# Installs the Debian packages InferSave builds with, when any is missing.
set -euo pipefail
packages=(cmake make g++ pkg-config nlohmann-json3-dev libcli11-dev libfmt-dev libcsv-dev libeigen3-dev
          libgtest-dev libgmock-dev libbenchmark-dev python3)
# `scripts/install-deps.sh fuzz`: clang and its libFuzzer runtime as well.
[ "${1:-}" = fuzz ] && packages+=(clang libclang-rt-14-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
