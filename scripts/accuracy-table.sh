#!/usr/bin/env bash
# Prints the README's accuracy table: `infersave validate` on every public
# dataset, uncalibrated and cross-validated calibrated error per GPU/engine.
#   scripts/accuracy-table.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
data=../shared/validation-data
[ -d "$data" ] || { echo "no $data: nothing to validate" >&2; exit 1; }
echo "| dataset | GPU | engine | runs | scored on | uncalibrated median / p90 APE | calibrated (5-fold CV) median / p90 APE |"
echo "|---|---|---|---|---|---|---|"
for d in argonne argonne-ttft tgi-sagemaker llamacpp flexgen-t4; do
  "$build/infersave" validate --dataset "$d" --data-dir "$data" --format csv | tail -n +2 |
    awk -F, '{ cv = ($11 == "") ? "not fitted" : sprintf("%.1f%% / %.1f%%", $11, $12);
               printf "| %s | %s | %s | %s | %s | %.1f%% / %.1f%% | %s |\n", $1, $2, $3, $4, $5, $7, $8, cv }'
done
