#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Judge one guest run of the kselftests.

Reads the KTAP stream the guest wrote on ttyS1 and the kernel console of
ttyS0, and decides:

* every leaf result counts: the nested ``# ok``/``# not ok`` lines of each
  test program, or the program's own top-level line when it printed none;
  a program that failed (crash, timeout, bad exit) after passing all its
  subtests adds one failure;
* a missing ``HARNESS: done`` sentinel is a failure (panic, hang, timeout);
* a console line matching a kernel splat (oops, BUG, WARNING, KASAN,
  lockdep, kmemleak, soft lockup, hung task, refcount_t, ODEBUG, duplicate
  sysfs name, ...) is a failure, reported with the first offending lines.

Prints the failures, then ``N passed, N failed, N skipped`` as its last
line; exits 1 on any failure. ``--results FILE`` appends one line per
result (``ok|not ok|skip <name>``) for the make check summary.
"""

import argparse
import re
import sys

SENTINEL = "HARNESS: done"

# Console lines that mean the kernel found a bug, whatever the tests said.
SPLAT_PATTERNS = [
    r"Oops:", r"\bBUG:", r"kernel BUG at", r"WARNING:", r"general protection fault",
    r"Kernel panic", r"Internal error", r"UBSAN:", r"BUG: KASAN:",
    r"possible recursive locking detected", r"possible circular locking dependency",
    r"inconsistent lock state", r"suspicious RCU usage", r"lock held when returning",
    r"possible irq lock inversion", r"bad unlock balance", r"INFO: lockdep is turned off",
    r"unreferenced object", r"new suspected memory leaks",
    r"soft lockup", r"hard LOCKUP", r"blocked for more than \d+ seconds",
    r"workqueue lockup", r"refcount_t:", r"ODEBUG:",
    r"sysfs: cannot create duplicate filename", r"list_add corruption",
    r"list_del corruption", r"Call Trace:", r"rcu_sched detected stalls",
    r"detected stall", r"panicked at",
]
SPLAT_RE = re.compile("|".join(SPLAT_PATTERNS))

RESULT_RE = re.compile(r"^(not ok|ok)\s+\d+\s*-?\s*(.*?)(?:\s+#\s*(.*))?$")


def classify(status, directive):
    """ok / not ok / skip for one KTAP result line."""
    d = (directive or "").strip().upper()
    if d.startswith("SKIP"):
        return "skip"
    if d.startswith("XFAIL") or d.startswith("TODO"):
        return "skip"
    return "ok" if status == "ok" else "not ok"


def parse_ktap(lines):
    """Leaf results as (verdict, name, line) from a run_kselftest stream."""
    results = []
    nested = []          # results of the current program (depth 1)
    for raw in lines:
        line = raw.rstrip("\r\n")
        if line.startswith("# "):
            m = RESULT_RE.match(line[2:])
            if m:
                nested.append((classify(m.group(1), m.group(3)), m.group(2), line))
            continue
        m = RESULT_RE.match(line)
        if not m:
            continue
        top = (classify(m.group(1), m.group(3)), m.group(2), line)
        if nested:
            results.extend(nested)
            if top[0] == "not ok" and all(v != "not ok" for v, _, _ in nested):
                results.append(top)
        else:
            results.append(top)
        nested = []
    # Subtests printed by a program that never got its top-level line
    # (the guest died under it): keep them, and the missing sentinel fails.
    results.extend(nested)
    return results


def find_splats(lines, limit=10):
    """Console lines that match a splat pattern, with their line numbers."""
    found = []
    for i, line in enumerate(lines, 1):
        if SPLAT_RE.search(line):
            found.append((i, line.rstrip("\r\n")))
            if len(found) >= limit:
                break
    return found


def judge(ktap_lines, console_lines):
    """(results, failures): failures are human-readable strings."""
    results = parse_ktap(ktap_lines)
    failures = [f"not ok: {name}" for v, name, _ in results if v == "not ok"]
    if not any(l.strip() == SENTINEL for l in ktap_lines):
        results.append(("not ok", "guest run completed (sentinel)", ""))
        failures.append("missing sentinel '%s': the guest crashed, hung or timed out" % SENTINEL)
    splats = find_splats(console_lines)
    if splats:
        results.append(("not ok", "kernel console free of splats", ""))
        failures.append("kernel console shows a splat; first lines:")
        failures.extend(f"  console.log:{n}: {text}" for n, text in splats)
    else:
        results.append(("ok", "kernel console free of splats", ""))
    return results, failures


def read_lines(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.readlines()
    except FileNotFoundError:
        return []


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("ktap")
    ap.add_argument("console")
    ap.add_argument("--results", help="append one line per result to this file")
    ap.add_argument("--prefix", default="", help="prefix for result names")
    args = ap.parse_args()
    results, failures = judge(read_lines(args.ktap), read_lines(args.console))
    if args.results:
        with open(args.results, "a", encoding="utf-8") as f:
            for verdict, name, _ in results:
                f.write(f"{verdict} {args.prefix}{name}\n")
    for line in failures:
        print(line)
    passed = sum(1 for v, _, _ in results if v == "ok")
    failed = sum(1 for v, _, _ in results if v == "not ok")
    skipped = sum(1 for v, _, _ in results if v == "skip")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
