#!/usr/bin/env bash
# Browser tests of the web page (web/tests/page.test.mjs): starts
# `infersave server` on a free loopback port, drives Debian's chromium with
# playwright-core, keeps a screenshot, and stops the server.
#   scripts/web-test.sh BINARY SCREENSHOT_PATH
set -euo pipefail
bin=$1
shot=$2
root=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -d "$root/web/node_modules/playwright-core" ]; then
  echo "web/node_modules/playwright-core is missing: run 'make deps' (npm ci in web/)" >&2
  exit 1
fi
log=$(mktemp)
"$bin" server --port 0 --today 2026-12-06 2>"$log" &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -f "$log"' EXIT
port=""
for _ in $(seq 100); do
  port=$(grep -o 'http://127.0.0.1:[0-9]*' "$log" | grep -o '[0-9]*$' || true)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "the server did not start:" >&2; cat "$log" >&2; exit 1; }
mkdir -p "$(dirname "$shot")"
cd "$root/web"
INFERSAVE_URL="http://127.0.0.1:$port" SCREENSHOT="$shot" node tests/page.test.mjs
echo "screenshot: $shot"
