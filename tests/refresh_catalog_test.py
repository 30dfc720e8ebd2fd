"""Tests for scripts/refresh-catalog.py (issue 11): a SkyPilot catalog file
turned into the shipped format, our per-instance decisions kept, unmappable
rows refused. Run by ctest (`make test`)."""

import csv
import importlib.util
import io
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "scripts", "refresh-catalog.py")
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "skypilot")
GPUS = os.path.join(ROOT, "data", "gpus.csv")


def run(*args):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.csv")
        p = subprocess.run([sys.executable, SCRIPT, "--gpus", GPUS, "--price-date", "2026-12-06", "-o", out, *args],
                           capture_output=True, text=True)
        rows = None
        if os.path.exists(out):
            with open(out, newline="") as f:
                rows = {r["InstanceType"]: r for r in csv.DictReader(f)}
        return p.returncode, rows, p.stderr


class AwsTest(unittest.TestCase):
    def setUp(self):
        self.code, self.rows, self.err = run("--cloud", "aws", "--vms", os.path.join(FIXTURES, "aws-vms.csv"),
                                             "--region", "us-east-1", "--current",
                                             os.path.join(FIXTURES, "aws-current.csv"))

    def test_prices_of_the_region_and_cheapest_zone_spot(self):
        self.assertEqual(self.code, 0, self.err)
        g4dn = self.rows["g4dn.xlarge"]
        self.assertEqual(g4dn["Price"], "0.526")      # us-east-1, not us-west-2's 0.61
        self.assertEqual(g4dn["SpotPrice"], "0.1987")  # the cheaper of the two zones
        self.assertEqual(g4dn["PriceAsOf"], "2026-12-06")
        self.assertEqual(g4dn["Region"], "us-east-1")

    def test_our_decisions_are_kept(self):
        self.assertEqual(self.rows["g4dn.xlarge"]["AcceleratorName"], "Tesla T4")
        self.assertEqual(self.rows["g5g.xlarge"]["HostArch"], "arm64")
        # Missing from the file: kept with its old, dated price, and reported.
        self.assertEqual(self.rows["p3.2xlarge"]["PriceAsOf"], "2026-01-01")
        self.assertIn("p3.2xlarge is not in", self.err)

    def test_unpriced_and_cpu_rows_are_left_out(self):
        self.assertNotIn("p5e.48xlarge", self.rows)
        self.assertNotIn("m5.large", self.rows)


class RefusalTest(unittest.TestCase):
    def test_unknown_accelerator_fails_loudly(self):
        code, rows, err = run("--cloud", "aws", "--vms", os.path.join(FIXTURES, "aws-unknown-gpu.csv"),
                              "--region", "us-east-1")
        self.assertEqual(code, 1)
        self.assertIsNone(rows)
        self.assertIn("aws-unknown-gpu.csv:2 (inf2.xlarge): accelerator 'Inferentia2' is not in", err)

    def test_gcp_machine_without_its_gpu_row_fails(self):
        code, rows, err = run("--cloud", "gcp", "--vms", os.path.join(FIXTURES, "gcp-vms.csv"), "--region",
                              "us-central1")
        self.assertEqual(code, 1)
        self.assertIn("gcp-vms.csv:4: machine g2-standard-24 needs a GPU row L4 x2 in us-central1", err)

    def test_bad_date_and_missing_file(self):
        code, _, err = run("--cloud", "aws", "--vms", os.path.join(FIXTURES, "nope.csv"), "--region", "us-east-1")
        self.assertEqual(code, 1)
        self.assertIn("cannot read", err)


class GcpTest(unittest.TestCase):
    def test_host_and_gpu_rows_are_added(self):
        with tempfile.TemporaryDirectory() as tmp:
            vms = os.path.join(tmp, "vms.csv")
            with open(os.path.join(FIXTURES, "gcp-vms.csv")) as f:
                text = f.read().replace("g2-standard-24", "g2-standard-4")
            text += ",L4,1,,,L4,0.5,0.2,us-central1,us-central1-a\n"
            with open(vms, "w") as f:
                f.write(text)
            code, rows, err = run("--cloud", "gcp", "--vms", vms, "--region", "us-central1")
        self.assertEqual(code, 0, err)
        self.assertEqual(rows["a2-highgpu-1g"]["Price"], "3.67339")  # 0.73948 + 2.93391, as the shipped row
        self.assertEqual(rows["a2-highgpu-1g"]["SpotPrice"], "1.44296")
        self.assertEqual(rows["a2-highgpu-1g"]["AcceleratorCount"], "1")
        self.assertEqual(rows["g2-standard-4"]["Price"], "1.5")


if __name__ == "__main__":
    unittest.main()
