# SPDX-License-Identifier: GPL-2.0
"""The harness judges runs correctly: recorded real guest runs (clean, with
planted failures, hung) and synthetic KTAP edge cases. Re-record the logs
with tests/harness/record.sh."""

import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import verdict  # noqa: E402

LOGS = ROOT / "tests" / "harness" / "logs"


def recorded(case):
    d = LOGS / case
    for f in ("ktap.log", "console.log"):
        if not (d / f).is_file() or (d / f).stat().st_size == 0:
            raise AssertionError(f"recorded log {d / f} is missing: run tests/harness/record.sh")
    return verdict.judge(verdict.read_lines(d / "ktap.log"), verdict.read_lines(d / "console.log"))


def failed(results):
    return [name for v, name, _ in results if v == "not ok"]


class RecordedRuns(unittest.TestCase):
    def test_clean_run_passes(self):
        results, failures = recorded("clean")
        self.assertEqual(failures, [])
        self.assertGreater(sum(1 for v, _, _ in results if v == "ok"), 5)

    def test_planted_failure_is_caught(self):
        results, failures = recorded("planted")
        self.assertIn("planted failure", failed(results))
        self.assertNotIn("planted pass", failed(results))

    def test_planted_warning_is_caught(self):
        results, failures = recorded("planted")
        # The test said ok, but the kernel warned: the console check and
        # the guest's taint check must both fail the run.
        self.assertNotIn("a test that passes while the kernel warns", failed(results))
        self.assertIn("kernel console free of splats", failed(results))
        self.assertTrue(any("WARNING:" in f for f in failures), failures)
        self.assertIn("post: taint", failed(results))

    def test_hang_is_caught(self):
        results, failures = recorded("hang")
        self.assertIn("guest run completed (sentinel)", failed(results))
        self.assertTrue(any("sentinel" in f for f in failures))


def ktap(text):
    return [l + "\n" for l in text.strip("\n").split("\n")]


class Parser(unittest.TestCase):
    def test_nested_results_count_as_leaves(self):
        r = verdict.parse_ktap(ktap("""
TAP version 13
1..1
# selftests: rust_md: a.sh
# TAP version 13
# 1..3
# ok 1 first
# ok 2 second # SKIP no device
# not ok 3 third
# # Totals: pass:1 fail:1 xfail:0 xpass:0 skip:1 error:0
not ok 1 selftests: rust_md: a.sh # exit=1
"""))
        self.assertEqual([v for v, _, _ in r], ["ok", "skip", "not ok"])

    def test_crash_after_passing_subtests_fails(self):
        r = verdict.parse_ktap(ktap("""
# ok 1 first
not ok 1 selftests: rust_md: a.sh # TIMEOUT 45 seconds
"""))
        self.assertEqual([v for v, _, _ in r], ["ok", "not ok"])

    def test_program_without_subtests_counts_once(self):
        r = verdict.parse_ktap(ktap("""
ok 1 selftests: rust_md: b.sh
ok 2 selftests: rust_md: c.sh # SKIP
"""))
        self.assertEqual([v for v, _, _ in r], ["ok", "skip"])

    def test_missing_sentinel_fails_even_when_all_passed(self):
        results, failures = verdict.judge(ktap("ok 1 x"), [])
        self.assertIn("guest run completed (sentinel)", failed(results))

    def test_splats_are_found(self):
        for line in ["[ 1.0] WARNING: CPU: 0 PID: 1 at foo.c:1 bar+0x0/0x0",
                     "[ 1.0] BUG: KASAN: slab-use-after-free in x",
                     "[ 1.0] WARNING: possible circular locking dependency detected",
                     "[ 1.0] refcount_t: underflow; use-after-free.",
                     "[ 1.0] ODEBUG: free active (active state 0) object",
                     "[ 1.0] sysfs: cannot create duplicate filename '/devices/virtual/block/md0'",
                     "[ 1.0] watchdog: BUG: soft lockup - CPU#0 stuck for 22s!",
                     "[ 1.0] INFO: task sh:1 blocked for more than 30 seconds.",
                     "unreferenced object 0xffff888 (size 64):"]:
            self.assertTrue(verdict.find_splats([line]), line)

    def test_benign_console_lines_pass(self):
        for line in ["[ 0.1] kmemleak: Kernel memory leak detector initialized (mem pool available: 15000)",
                     "[ 0.2] Lock dependency validator: Copyright (c) 2006 Red Hat, Inc., Ingo Molnar",
                     "[ 2.0] block device autoloading is deprecated and will be removed.",
                     "[ 2.1] md_mod: loading out-of-tree module taints kernel."]:
            self.assertFalse(verdict.find_splats([line]), line)


class ConfigCheck(unittest.TestCase):
    def run_check(self, config, fragment):
        with tempfile.TemporaryDirectory() as d:
            c, f = Path(d, "config"), Path(d, "fragment")
            c.write_text(config)
            f.write_text(fragment)
            return subprocess.run([str(ROOT / "scripts" / "check-config.sh"), str(c), str(f)],
                                  capture_output=True, text=True)

    def test_dropped_option_fails(self):
        p = self.run_check("# CONFIG_BUG is not set\nCONFIG_RUST=y\n", "CONFIG_BUG=y\nCONFIG_RUST=y\n")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("CONFIG_BUG=y", p.stderr)

    def test_option_requested_off_but_on_fails(self):
        p = self.run_check("CONFIG_BLK_DEV_MD=y\n", "CONFIG_BLK_DEV_MD=n\n")
        self.assertNotEqual(p.returncode, 0)

    def test_surviving_options_pass(self):
        p = self.run_check("CONFIG_BUG=y\nCONFIG_FRAME_WARN=2048\n",
                           "# comment\nCONFIG_BUG=y\nCONFIG_FRAME_WARN=2048\nCONFIG_KASAN=n\n")
        self.assertEqual(p.returncode, 0, p.stderr)


if __name__ == "__main__":
    unittest.main()
