# SPDX-License-Identifier: GPL-2.0
"""make bench sums up correctly: paired ratios in the right direction,
medians and spreads, and an incomplete run (a driver without figures, an
error line, a failed guest) is reported as such to make check."""

import json
import re
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import bench  # noqa: E402


def guest_output(rounds=3, drop=None, extra=""):
    """Synthetic guest lines: rust_md 10% better than the C md everywhere
    (throughput higher, times and memory lower), the raw member as fast as the C md."""
    lines = [f"info rounds={rounds} runtime=4 ramp=1 kernel=6.12 cpus=1"]
    for r in range(1, rounds + 1):
        for name in bench.RAW:
            lines.append(f"result round={r} driver=raw scenario={name} value={100 + r} unit=MiB/s")
        for name, _, higher, _ in bench.SCENARIOS:
            c = 100.0 + r
            rust = c * 1.1 if higher else c / 1.1
            for drv, v in (("rust", rust), ("c", c)):
                if drop != (name, drv):
                    lines.append(f"result round={r} driver={drv} scenario={name} value={v:.4f} unit=x"
                                 f" busy=0.98 iops={v:.4f}")
    return "\n".join(lines) + "\n" + extra


def run(text, status=0):
    with tempfile.TemporaryDirectory() as d:
        src = Path(d) / "guest.txt"
        src.write_text(text)
        results = Path(d) / "check.txt"
        p = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "bench.py"), str(src), "--mode", "icount",
             "--dest", d, "--quick", "1", "--stamp", "T", "--guest-status", str(status),
             "--check", str(results)],
            capture_output=True, text=True)
        report = json.loads((Path(d) / "T-icount-quick.json").read_text())
        md = (Path(d) / "T-icount-quick.md").read_text()
        return p.returncode, results.read_text(), report, md, p.stdout


class Bench(unittest.TestCase):
    def test_complete_run(self):
        rc, check, report, md, out = run(guest_output())
        self.assertEqual(rc, 0)
        self.assertEqual(check, "ok bench: quick run, every scenario measured\n")
        for name, s in report["scenarios"].items():
            # Better by 10% whichever way the unit goes: ratio 1.10.
            self.assertAlmostEqual(s["ratio"]["median"], 1.1, places=3, msg=name)
            self.assertEqual(s["notes"], [], msg=name)
        s = report["scenarios"]["raid0.randread"]
        self.assertEqual(s["c"]["median"], 102.0)
        self.assertAlmostEqual(s["c"]["spread_pct"], 100 * 2 / 102, places=1)
        self.assertAlmostEqual(s["rust_to_raw"]["median"], 1.1, places=3)
        self.assertIn("| raid0.randread |", md)
        self.assertIn("raid0.randread", out)

    def test_defect_is_named(self):
        # rust_md at half the C md's rate on one scenario.
        text = "".join(
            re.sub(r"value=[0-9.]+", "value=51", line) if "driver=rust scenario=raid1.randread " in line else line
            for line in guest_output().splitlines(keepends=True))
        rc, check, report, md, _ = run(text)
        self.assertEqual(rc, 0, "speed is not judged by the exit status")
        self.assertEqual(check, "ok bench: quick run, every scenario measured\n")
        self.assertEqual(report["scenarios"]["raid1.randread"]["notes"], ["defect: rust/C 0.50 < 0.95"])
        self.assertIn("- raid1.randread: defect", md)

    def test_missing_driver(self):
        rc, check, report, _, _ = run(guest_output(drop=("lifecycle.churn", "c")))
        self.assertEqual(rc, 1)
        self.assertEqual(check, "not ok bench: quick run, every scenario measured\n")
        self.assertIn("lifecycle.churn (c: 0 of 3 rounds)", report["missing"])

    def test_error_line(self):
        rc, check, report, _, _ = run(guest_output(extra="error round=1 driver=c scenario=raid1.resync msg=x\n"))
        self.assertEqual(rc, 1)
        self.assertTrue(check.startswith("not ok "))
        self.assertEqual(report["errors"][0]["scenario"], "raid1.resync")

    def test_guest_failed(self):
        rc, check, _, _, _ = run(guest_output(), status=124)
        self.assertEqual(rc, 1)
        self.assertTrue(check.startswith("not ok "))


if __name__ == "__main__":
    unittest.main()
