#!/usr/bin/env bash
# Prints the README's accuracy table: `infersave validate` on every public
# dataset (MLPerf included), per dataset x GPU class x engine, the median APE,
# MAPE and bias of the uncalibrated model and of the shipped calibration
# (cross-validated).
#   scripts/accuracy-table.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
data=../shared/validation-data
[ -d "$data" ] || { echo "no $data: nothing to validate" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
specs=()
for d in argonne argonne-ttft tgi-sagemaker llamacpp flexgen-t4 mlperf; do
  "$build/infersave" validate --dataset "$d" --data-dir "$data" --dump "$tmp/$d.csv" > /dev/null
  specs+=("$d=$tmp/$d.csv")
done
python3 scripts/accuracy-table.py data/gpus.csv data/calibrations/public.json "${specs[@]}"
echo
python3 scripts/decision-check.py "$tmp/argonne.csv" data/catalogs/aws.csv data/catalogs/gcp.csv data/catalogs/azure.csv
"$build/infersave" validate --dataset mlperf --data-dir "$data" | sed -n '/^Decision check/,/^$/p'
