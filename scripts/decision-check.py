#!/usr/bin/env python3
"""Decision check on the Argonne runs: where the same workload (model, engine,
tensor-parallel degree, batch, lengths) ran on several GPUs, is the GPU the
model predicts cheapest per token the measured cheapest, or within 2% of it?

Usage: scripts/decision-check.py ARGONNE_DUMP.csv CATALOG.csv [CATALOG.csv ...]

Each GPU-hour is priced at the cheapest shipped instance holding that GPU
(price / GPUs); GPUs no catalog sells (GH200) take no part. The MLPerf
decision check is printed by `infersave validate --dataset mlperf`.
"""

import csv
import sys
from collections import defaultdict


def gpu_hour_prices(paths):
    prices = {}
    for path in paths:
        with open(path, newline="") as f:
            for r in csv.DictReader(f):
                if not r.get("AcceleratorName") or not r.get("Price"):
                    continue
                per_gpu = float(r["Price"]) / max(1, int(float(r["AcceleratorCount"])))
                name = r["AcceleratorName"]
                prices[name] = min(prices.get(name, per_gpu), per_gpu)
    return prices


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    prices = gpu_hour_prices(argv[2:])
    cases = defaultdict(dict)
    with open(argv[1], newline="") as f:
        for r in csv.DictReader(f):
            if r.get("usable") != "true" or r["gpu"] not in prices or not r["measured"]:
                continue
            key = (r["model"], r["engine"], r["tp"], r["batch_size"], r["input_len"], r["output_len"])
            cases[key][r["gpu"]] = (float(r["measured"]), float(r["predicted_uncalibrated"]), int(r["tp"]))
    total = passed = 0
    worst = []
    for key, by_gpu in sorted(cases.items()):
        if len(by_gpu) < 2:
            continue
        # USD per million tokens: GPUs x price per GPU-hour / (tokens/s x 3600).
        measured = {g: prices[g] * tp / (m * 3600) for g, (m, p, tp) in by_gpu.items()}
        predicted = {g: prices[g] * tp / (p * 3600) for g, (m, p, tp) in by_gpu.items()}
        best = min(measured, key=measured.get)
        pick = min(predicted, key=predicted.get)
        over = 100 * (measured[pick] - measured[best]) / measured[best]
        total += 1
        ok = over <= 2 + 1e-9
        passed += ok
        if not ok:
            worst.append((over, key, pick, best))
    print(f"Argonne decision check (cheapest GPU per token at the shipped prices): {passed} of {total} cases pass")
    for over, key, pick, best in sorted(worst, reverse=True)[:10]:
        print(f"  FAIL {'/'.join(key)}: predicted {pick}, measured {best}; the pick costs {over:+.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
