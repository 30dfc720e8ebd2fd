#!/usr/bin/env python3
"""Refresh a shipped InferSave catalog from a SkyPilot catalog file.

Usage:
  scripts/refresh-catalog.py --cloud aws --vms vms.csv --region us-east-1 \
      --current data/catalogs/aws.csv --gpus data/gpus.csv --price-date 2026-12-06 -o aws.csv

`--vms` is SkyPilot's `catalogs/v7/<cloud>/vms.csv` as the user downloaded it
(github.com/skypilot-org/skypilot-catalog). The output has the shipped
columns (data/README.md): prices, spot prices, vCPUs, host memory and GpuInfo
come from SkyPilot; what this project decided per instance is kept from the
current catalog (`--current`): the accelerator name and count where we
corrected SkyPilot, HostArch, gpu.<column> overrides, GpuP2P and its source. Every refreshed row
gets PriceAsOf = --price-date (the day the file was downloaded: SkyPilot's
files carry no date) and a Source naming the file and the row.

It fails (exit 1) and lists the rows when an accelerator is not in the GPU
table, when a GCP machine type has no known GPU mapping, when a GCP host or
GPU row is missing, or when a price is not a positive number. Instances of
the current catalog that the file lacks are kept and reported.
"""

import argparse
import csv
import datetime
import os
import sys

SHIPPED_COLUMNS = ["InstanceType", "AcceleratorName", "AcceleratorCount", "vCPUs", "MemoryGiB", "GpuInfo", "Price",
                   "SpotPrice", "Region", "AvailabilityZone", "Source", "AsOf", "PriceAsOf", "HostArch"]
# Facts about an instance that SkyPilot does not have, kept from the shipped
# catalog with their sources.
KEPT_COLUMNS = ["GpuP2P", "GpuP2PSource"]

# GCP machine types -> (SkyPilot GPU row name, count), as SkyPilot's
# sky/catalog/gcp_catalog.py (_ACC_INSTANCE_TYPE_DICTS) maps them.
GCP_MACHINE_GPUS = {
    **{f"a2-highgpu-{n}g": ("A100", n) for n in (1, 2, 4, 8)},
    "a2-megagpu-16g": ("A100", 16),
    **{f"a2-ultragpu-{n}g": ("A100-80GB", n) for n in (1, 2, 4, 8)},
    **{f"a3-highgpu-{n}g": ("H100", n) for n in (1, 2, 4, 8)},
    "a3-megagpu-8g": ("H100-MEGA", 8),
    "a3-ultragpu-8g": ("H200", 8),
    "a4-highgpu-8g": ("B200", 8),
    **{f"g2-standard-{n}": ("L4", 1) for n in (4, 8, 12, 16, 32)},
    "g2-standard-24": ("L4", 2),
    "g2-standard-48": ("L4", 4),
    "g2-standard-96": ("L4", 8),
}
# SkyPilot GPU-row names that are the same silicon as a GPU-table name.
GPU_ROW_ALIASES = {"H100-MEGA": "H100"}


class RefreshError(Exception):
    pass


def read_csv(path):
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            rows = list(reader)
            return reader.fieldnames or [], rows
    except OSError as e:
        raise RefreshError(f"cannot read {path}: {e.strerror}")


def gpu_names(gpus_path):
    _, rows = read_csv(gpus_path)
    names = {}
    for r in rows:
        names[r["name"].lower()] = r["name"]
        for alias in (r.get("aliases") or "").split(";"):
            if alias.strip():
                names[alias.strip().lower()] = r["name"]
    return names


def number(text, where, positive=True):
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise RefreshError(f"{where}: expected a number, got {text!r}")
    if positive and not value > 0:
        raise RefreshError(f"{where}: expected a positive number, got {text!r}")
    return value


def price_text(value):
    return f"{value:.5f}".rstrip("0").rstrip(".")


def aws_like_rows(rows, region, vms_name):
    """AWS and Azure: one row per instance type and zone; the price is the
    region's, the spot price the cheapest zone's."""
    out = {}
    for line, r in enumerate(rows, start=2):
        if r.get("Region") != region or not r.get("AcceleratorName"):
            continue
        name = r["InstanceType"]
        where = f"{vms_name}:{line} ({name})"
        if not r.get("Price"):
            continue  # not sold on demand here (SkyPilot leaves Price empty)
        price = number(r["Price"], where + " column 'Price'")
        spot = number(r["SpotPrice"], where + " column 'SpotPrice'") if r.get("SpotPrice") else None
        row = out.setdefault(name, {"line": line, "row": r, "price": price, "spot": None})
        if spot is not None and (row["spot"] is None or spot < row["spot"]):
            row["spot"] = spot
    return out


def gcp_rows(rows, region, vms_name):
    """GCP: host VM rows and GPU rows, added up as SkyPilot does."""
    hosts, gpus = {}, {}
    for line, r in enumerate(rows, start=2):
        if r.get("Region") != region:
            continue
        if r.get("InstanceType") and not r.get("AcceleratorName"):
            hosts.setdefault(r["InstanceType"], (line, r))
        elif r.get("AcceleratorName") and not r.get("InstanceType"):
            gpus.setdefault((r["AcceleratorName"], int(float(r["AcceleratorCount"]))), (line, r))
    out = {}
    errors = []
    for machine, (gpu, count) in GCP_MACHINE_GPUS.items():
        if machine not in hosts:
            continue
        host_line, host = hosts[machine]
        if (gpu, count) not in gpus:
            errors.append(f"{vms_name}:{host_line}: machine {machine} needs a GPU row {gpu} x{count} in {region}, "
                          "and the file has none")
            continue
        gpu_line, g = gpus[(gpu, count)]
        where = f"{vms_name}:{host_line}+{gpu_line} ({machine})"
        if not host.get("Price") or not g.get("Price"):
            continue
        price = number(host["Price"], where + " host Price") + number(g["Price"], where + " GPU Price")
        spot = None
        if host.get("SpotPrice") and g.get("SpotPrice"):
            spot = number(host["SpotPrice"], where + " host SpotPrice") + number(g["SpotPrice"], where + " GPU SpotPrice")
        merged = dict(host)
        merged["AcceleratorName"] = GPU_ROW_ALIASES.get(gpu, gpu)
        merged["AcceleratorCount"] = str(count)
        merged["GpuInfo"] = g.get("GpuInfo", "")
        out[machine] = {"line": host_line, "row": merged, "price": price, "spot": spot,
                        "note": f"host row line {host_line} + GPU row {gpu} x{count} line {gpu_line}"}
    if errors:
        raise RefreshError("\n".join(errors))
    return out


def refresh(args):
    datetime.date.fromisoformat(args.price_date)  # raises ValueError on a bad date
    names = gpu_names(args.gpus)
    _, vms = read_csv(args.vms)
    current_header, current = read_csv(args.current) if args.current else ([], [])
    vms_name = os.path.basename(args.vms)
    fresh = gcp_rows(vms, args.region, vms_name) if args.cloud == "gcp" else aws_like_rows(vms, args.region, vms_name)
    if not fresh:
        raise RefreshError(f"{vms_name}: no GPU instance with a price in region {args.region}")

    kept = {r["InstanceType"]: r for r in current}
    unmapped = []
    out = []
    for name in sorted(fresh):
        f = fresh[name]
        src = f["row"]
        ours = kept.get(name, {})
        accelerator = ours.get("AcceleratorName") or src["AcceleratorName"]
        if accelerator.lower() not in names:
            unmapped.append(f"{vms_name}:{f['line']} ({name}): accelerator {accelerator!r} is not in {args.gpus}")
            continue
        note = f.get("note") or f"line {f['line']}"
        row = {
            "InstanceType": name,
            "AcceleratorName": accelerator,
            "AcceleratorCount": ours.get("AcceleratorCount") or src["AcceleratorCount"],
            "vCPUs": src.get("vCPUs", ""),
            "MemoryGiB": src.get("MemoryGiB", ""),
            "GpuInfo": src.get("GpuInfo", ""),
            "Price": price_text(f["price"]),
            "SpotPrice": price_text(f["spot"]) if f["spot"] is not None else "",
            "Region": args.region,
            "AvailabilityZone": "",
            "Source": f"SkyPilot {vms_name} ({note}), downloaded {args.price_date}" +
                      ("; accelerator and count kept from the shipped catalog" if ours else ""),
            "AsOf": args.price_date,
            "PriceAsOf": args.price_date,
            "HostArch": ours.get("HostArch") or ("arm64" if name.startswith(("g5g.", "c7g", "m7g")) else "x86_64"),
        }
        for column in current_header:
            if (column.startswith("gpu.") or column in KEPT_COLUMNS) and ours.get(column):
                row[column] = ours[column]
        out.append(row)
    if unmapped:
        raise RefreshError("rows that cannot be mapped (add the GPU to data/gpus.csv, or its name as an alias):\n" +
                           "\n".join(unmapped))
    missing = sorted(set(kept) - {r["InstanceType"] for r in out})
    for name in missing:
        out.append(dict(kept[name]))
    out.sort(key=lambda r: r["InstanceType"])
    columns = SHIPPED_COLUMNS + [c for c in current_header if c.startswith("gpu.") or c in KEPT_COLUMNS]
    return columns, out, missing


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    p.add_argument("--cloud", required=True, choices=["aws", "gcp", "azure"])
    p.add_argument("--vms", required=True, help="SkyPilot vms.csv as downloaded")
    p.add_argument("--region", required=True)
    p.add_argument("--current", help="the shipped catalog whose per-instance decisions are kept")
    p.add_argument("--gpus", default=os.path.join(os.path.dirname(__file__), "..", "data", "gpus.csv"))
    p.add_argument("--price-date", required=True, help="YYYY-MM-DD: the day the file was downloaded")
    p.add_argument("-o", "--output", required=True)
    args = p.parse_args(argv)
    try:
        columns, rows, missing = refresh(args)
    except (RefreshError, ValueError) as e:
        print(f"refresh-catalog: error: {e}", file=sys.stderr)
        return 1
    with open(args.output, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    for name in missing:
        print(f"refresh-catalog: warning: {name} is not in {args.vms}; kept with its old price", file=sys.stderr)
    print(f"refresh-catalog: wrote {len(rows)} instances to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
