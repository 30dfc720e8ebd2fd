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
# Argonne's MI300X runs (vLLM's ROCm build of 2024) run 2-5x below the
# roofline at large batches while MLPerf v5.1's tuned vLLM-ROCm results are
# within 20% of it (validate --dataset mlperf): a fit to the old stack would
# mislead, so the shipped file carries no vllm-rocm entries.
python3 - <<'PY'
import json
p = "data/calibrations/public.json"
d = json.load(open(p))
d["entries"] = [e for e in d["entries"] if e["engine"] != "vllm-rocm"]
d["uncalibrated_error"].pop("vllm-rocm", None)
d["groups"] = [g for g in d["groups"] if g["engine"] != "vllm-rocm"]
json.dump(d, open(p, "w"), indent=2)
open(p, "a").write("\n")
PY
