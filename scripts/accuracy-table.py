#!/usr/bin/env python3
"""The README's accuracy table from `infersave validate --dump` files.

Usage: scripts/accuracy-table.py GPUS_CSV CALIBRATION_JSON DATASET=DUMP.csv [DATASET=DUMP.csv ...]

Rows: dataset x GPU class x engine. GPU classes: "SXM" (one GPU with an
NVLink-class link), "PCIe or power-limited" (one PCIe card), "multi-GPU over
NVLink" / "over PCIe" / "over xGMI" (tensor parallel). Columns: median APE,
MAPE and bias (mean signed error; > 0 predicts too high) of the uncalibrated
model, and of the calibrated one: cross-validated (each run scored by a fit that
did not see it) for the GPU and engine groups the shipped calibration
(CALIBRATION_JSON) carries a correction for; elsewhere a plan uses the
uncalibrated prediction, and the calibrated columns repeat it.
MLPerf dumps (validate --dataset mlperf) carry their own class and calibrated
columns.
"""

import csv
import json
import statistics
import sys
from collections import defaultdict


def gpu_links(path):
    with open(path, newline="") as f:
        return {r["name"]: r["gpu_link"] for r in csv.DictReader(f)}


def gpu_class(link, gpus):
    pcie = link == "PCIe"
    if gpus <= 1:
        return "PCIe or power-limited" if pcie else "SXM"
    if pcie:
        return "multi-GPU over PCIe"
    return "multi-GPU over xGMI" if link == "xGMI" else "multi-GPU over NVLink"


def stats(errors):
    if not errors:
        return "-"
    ape = [abs(e) for e in errors]
    return f"{statistics.median(ape):.1f}% / {sum(ape) / len(ape):.1f}% / {sum(errors) / len(errors):+.1f}%"


def signed(predicted, measured):
    return 100 * (predicted - measured) / measured


def main(argv):
    if len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    links = gpu_links(argv[1])
    with open(argv[2]) as f:
        shipped = {(g["gpu"], g["engine"]) for g in json.load(f).get("groups", []) if g.get("shipped")}
    groups = defaultdict(lambda: {"unc": [], "cal": [], "metric": set()})
    for spec in argv[3:]:
        dataset, path = spec.split("=", 1)
        with open(path, newline="") as f:
            for r in csv.DictReader(f):
                if "gpu_class" in r:  # MLPerf
                    key = (dataset + " " + r["scenario"], r["gpu_class"], r["engine"])
                    measured = float(r["measured_tps"])
                    g = groups[key]
                    g["metric"].add("generated tok/s")
                    g["unc"].append(signed(float(r["predicted_tps"]), measured))
                    cal = float(r["calibrated_tps"]) if r["calibrated_tps"] else float(r["predicted_tps"])
                    g["cal"].append(signed(cal, measured))
                    continue
                if r.get("usable") != "true" or not r["measured"] or not r["predicted_uncalibrated"]:
                    continue
                key = (dataset, gpu_class(links.get(r["gpu"], "PCIe"), int(r["tp"])), r["engine"])
                measured = float(r["measured"])
                g = groups[key]
                g["metric"].add(r["metric"])
                g["unc"].append(signed(float(r["predicted_uncalibrated"]), measured))
                corrected = (r["gpu"], r["engine"]) in shipped and r["predicted_cross_validated"]
                cv = r["predicted_cross_validated"] if corrected else r["predicted_uncalibrated"]
                g["cal"].append(signed(float(cv), measured))
    print("| dataset | GPU class | engine | runs | scored on | uncalibrated median / MAPE / bias | "
          "calibrated (CV) median / MAPE / bias |")
    print("|---|---|---|---|---|---|---|")
    for (dataset, klass, engine), g in sorted(groups.items()):
        print(f"| {dataset} | {klass} | {engine} | {len(g['unc'])} | {'+'.join(sorted(g['metric']))} | "
              f"{stats(g['unc'])} | {stats(g['cal'])} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
