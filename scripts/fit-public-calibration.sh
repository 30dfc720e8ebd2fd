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
# A correction ships only when held-out measurements say it helps: drop the
# fits that make the MLPerf results of their GPU and engine worse.
"$build/infersave" validate --dataset mlperf --data-dir "$data" --calibration data/calibrations/public.json \
  --dump /tmp/infersave-mlperf-$$.csv > /dev/null
python3 - /tmp/infersave-mlperf-$$.csv <<'PY'
import csv, json, statistics, sys
worse = set()
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["calibrated_tps"]]
groups = {}
for r in rows:
    m = float(r["measured_tps"])
    g = groups.setdefault((r["gpu"], r["engine"]), ([], []))
    g[0].append(abs(float(r["predicted_tps"]) / m - 1))
    g[1].append(abs(float(r["calibrated_tps"]) / m - 1))
for key, (unc, cal) in groups.items():
    if statistics.median(cal) >= statistics.median(unc):
        worse.add(key)
        print(f"not shipped: {key[0]} {key[1]} makes MLPerf worse "
              f"({100 * statistics.median(unc):.1f}% -> {100 * statistics.median(cal):.1f}%)", file=sys.stderr)
p = "data/calibrations/public.json"
d = json.load(open(p))
d["entries"] = [e for e in d["entries"] if (e["gpu"], e["engine"]) not in worse]
for g in d["groups"]:
    if (g["gpu"], g["engine"]) in worse:
        g["shipped"] = False
json.dump(d, open(p, "w"), indent=2)
open(p, "a").write("\n")
PY
rm -f /tmp/infersave-mlperf-$$.csv
