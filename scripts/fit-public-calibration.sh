#!/usr/bin/env bash
# Refits data/calibrations/public.json, the shipped CTCF for the vllm,
# tensorrt-llm, tgi and llamacpp engine profiles, from the public
# measurements in ../shared/validation-data (read at run time, never copied).
#   scripts/fit-public-calibration.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
data=../shared/validation-data
[ -d "$data" ] || { echo "no $data: nothing to fit" >&2; exit 1; }
"$build/infersave" calibrate --data-dir "$data" \
  --measurements argonne --measurements argonne-ttft --measurements tgi-sagemaker --measurements llamacpp \
  -o data/calibrations/public.json
