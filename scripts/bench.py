#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Sum up a `make bench` run: read the lines guest/bench.sh printed, take
per scenario and driver the median over the rounds and the spread, the
paired rust/C ratio of each round and their median, and the ratio to the
raw member; print a table, write it as JSON and Markdown, and optionally
into README.md's Speed section and a `make check` results file.

usage: bench.py GUEST_OUTPUT --mode M --dest DIR [--quick 0|1] [--stamp S]
                [--wall SECS] [--guest-status N] [--qemu-cmdline FILE]
                [--readme README.md] [--check RESULTS]
Exit status 1 when a scenario lacks a figure for a driver (the instrument
failed), whatever the speeds.
"""

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys

# name, what it is, unit direction (True: higher is better), raw counterpart
SCENARIOS = [
    ("raid0.seqread", "raid0 4 members, 64 KiB chunk: seq read 1 MiB qd16", True, "raw.seqread"),
    ("raid0.seqwrite", "raid0 4 members, 64 KiB chunk: seq write 1 MiB qd16", True, "raw.seqwrite"),
    ("raid0.randread", "raid0 4 members, 64 KiB chunk: rand read 4 KiB qd32 x2 jobs", True, "raw.randread"),
    ("raid0.randwrite", "raid0 4 members, 64 KiB chunk: rand write 4 KiB qd32 x2 jobs", True, "raw.randwrite"),
    ("raid0.randread_nostats", "raid0 as above: rand read 4 KiB, queue/iostats=0 (no I/O accounting)", True,
     "raw.randread"),
    ("raid1.seqwrite", "raid1 2 members: seq write 1 MiB qd16", True, "raw.seqwrite"),
    ("raid1.randread", "raid1 2 members: rand read 4 KiB qd32 x2 jobs", True, "raw.randread"),
    ("linear.seqwrite", "linear 2 members: seq write 1 MiB qd16", True, "raw.seqwrite"),
    ("linear.randread", "linear 2 members: rand read 4 KiB qd32 x2 jobs", True, "raw.randread"),
    ("raid1.resync", "raid1 2 members: resync, speed limits lifted (create to in sync)", True, None),
    ("raid1.resync_stall", "raid1 resync as above: longest stall of a 5 ms user-space ticker meanwhile", False,
     None),
    ("lifecycle.churn", "inactive md5: probe, open, STOP_ARRAY, close, deletion", True, None),
    ("lifecycle.close_to_gone", "last close of a stopped array to its sysfs entry gone", False, None),
    ("lifecycle.stop_raid0", "mdadm --stop of a running raid0 to its sysfs entry gone", False, None),
    ("mem.idle_array", "kernel memory per idle array (slab objects, per-CPU, vmalloc; new_array=md_NAME)", False, None),
]
RAW = ["raw.seqread", "raw.seqwrite", "raw.randread", "raw.randwrite"]
RAW_TITLES = {
    "raw.seqread": "seq read 1 MiB qd16",
    "raw.seqwrite": "seq write 1 MiB qd16",
    "raw.randread": "rand read 4 KiB qd32 x2 jobs",
    "raw.randwrite": "rand write 4 KiB qd32 x2 jobs",
}
MODES = {
    "icount": "icount: single-threaded TCG, -icount {shift},sleep=off, tsc=reliable",
    "tcg": "tcg: multi-threaded TCG (figures move with the host's load)",
    "kvm": "kvm: hardware virtualisation",
}
DEFECT, TARGET, RAW_TARGET = 0.95, 1.00, 0.92


def parse(path):
    """The guest's lines: results, errors, info."""
    results, errors, info = [], [], {}
    with open(path, errors="replace") as f:
        for line in f:
            words = line.split()
            if not words or words[0] not in ("result", "error", "info"):
                continue
            kv = dict(w.split("=", 1) for w in words[1:] if "=" in w)
            if words[0] == "info":
                # values may hold blanks ("fio=fio-3.33 mdadm=v4.2" are two)
                info.update(kv)
            elif words[0] == "error":
                errors.append(kv)
            else:
                try:
                    kv["value"] = float(kv["value"])
                    kv["round"] = int(kv["round"])
                except (KeyError, ValueError):
                    errors.append({"msg": "unreadable line: " + line.strip()})
                    continue
                results.append(kv)
    return results, errors, info


def spread(values):
    """(max - min) / median, in percent."""
    m = statistics.median(values)
    return 100.0 * (max(values) - min(values)) / abs(m) if m else 0.0


def figures(results, name, driver):
    """{round: record} of one scenario and driver."""
    return {r["round"]: r for r in results if r.get("scenario") == name and r.get("driver") == driver}


def summary(records):
    if not records:
        return None
    values = [records[k]["value"] for k in sorted(records)]
    out = {
        "values": values,
        "median": statistics.median(values),
        "spread_pct": round(spread(values), 2),
        "unit": next(iter(records.values())).get("unit", ""),
    }
    # CPU time per I/O (guest microseconds): how busy the guest was over the
    # run, per I/O; equal CPU with fewer I/Os means more work per I/O,
    # lower busy means waiting.
    cpu = [
        float(r["busy"]) * 1e6 / float(r["iops"])
        for r in records.values()
        if "busy" in r and float(r.get("iops", 0)) > 0
    ]
    if cpu:
        out["cpu_us_per_io"] = round(statistics.median(cpu), 2)
    if any("busy" in r for r in records.values()):
        out["busy"] = round(statistics.median(float(r["busy"]) for r in records.values() if "busy" in r), 3)
    extra = {}
    for r in records.values():
        for k in ("retries", "failed", "left", "slab_obj_kib", "pages_kib", "slab_kib", "free_kib", "secs", "mib",
                  "create_secs", "kernel_secs", "min", "max"):
            try:
                extra.setdefault(k, []).append(float(r[k]))
            except (KeyError, ValueError):
                pass
    for k, v in extra.items():
        if not v:
            continue
        out[k] = statistics.median(v) if k not in ("left", "failed") else max(v)
    return out


def paired(a, b, higher):
    """Per round, a's figure over b's (b's over a's when lower is better)."""
    out = []
    for k in sorted(set(a) & set(b)):
        x, y = a[k]["value"], b[k]["value"]
        num, den = (x, y) if higher else (y, x)
        if den > 0:
            out.append(num / den)
    return out


def ratio_summary(ratios):
    if not ratios:
        return None
    return {
        "median": round(statistics.median(ratios), 4),
        "min": round(min(ratios), 4),
        "max": round(max(ratios), 4),
        "per_round": [round(r, 4) for r in ratios],
    }


def host_machine():
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        qemu = subprocess.run(["qemu-system-x86_64", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    except OSError:
        qemu = "unknown"
    return {"cpu": model, "cores": os.cpu_count(), "kernel": platform.release(), "qemu": qemu}


def analyse(results, errors, info, args):
    rounds = int(info.get("rounds", 0)) or max((r["round"] for r in results), default=0)
    raw = {}
    for name in RAW:
        recs = figures(results, name, "raw")
        raw[name] = {"title": RAW_TITLES[name], "raw": summary(recs)}
    scen = {}
    missing = []
    for name in RAW:
        if len(figures(results, name, "raw")) < rounds:
            missing.append(f"{name} (raw)")
    for name, title, higher, rawname in SCENARIOS:
        rust, c = figures(results, name, "rust"), figures(results, name, "c")
        for drv, recs in (("rust", rust), ("c", c)):
            if len(recs) < rounds:
                missing.append(f"{name} ({drv}: {len(recs)} of {rounds} rounds)")
        s = {
            "title": title,
            "higher_is_better": higher,
            "rust": summary(rust),
            "c": summary(c),
            "ratio": ratio_summary(paired(rust, c, higher)),
        }
        if rawname:
            rawrecs = figures(results, rawname, "raw")
            s["raw"] = rawname
            s["rust_to_raw"] = ratio_summary(paired(rust, rawrecs, True))
            s["c_to_raw"] = ratio_summary(paired(c, rawrecs, True))
        notes = []
        r = s["ratio"]["median"] if s["ratio"] else None
        if r is not None and r < DEFECT:
            notes.append(f"defect: rust/C {r:.2f} < {DEFECT}")
        elif r is not None and r < TARGET:
            notes.append(f"below target: rust/C {r:.2f} < {TARGET:.2f}")
        if name.startswith("raid0.") and s.get("rust_to_raw") and s["rust_to_raw"]["median"] < RAW_TARGET:
            notes.append(f"below target: rust/raw {s['rust_to_raw']['median']:.2f} < {RAW_TARGET}")
        for drv in ("rust", "c"):
            if s[drv] and s[drv].get("left"):
                notes.append(f"{drv}: {int(s[drv]['left'])} device(s) left behind")
            if s[drv] and s[drv].get("failed"):
                notes.append(f"{drv}: {int(s[drv]['failed'])} cycle(s) failed")
        s["notes"] = notes
        scen[name] = s
    mode_label = MODES[args.mode].format(shift=args.icount)
    cmdline = ""
    if args.qemu_cmdline and os.path.exists(args.qemu_cmdline):
        with open(args.qemu_cmdline) as f:
            cmdline = f.read().strip()
    return {
        "date": args.stamp,
        "mode": args.mode,
        "mode_label": mode_label,
        "quick": bool(args.quick),
        "rounds": rounds,
        "host": host_machine(),
        "guest": info,
        "wall_seconds": args.wall,
        "guest_status": args.guest_status,
        "qemu_cmdline": cmdline,
        "raw": raw,
        "scenarios": scen,
        "errors": errors,
        "missing": missing,
        "complete": not missing and not errors and args.guest_status == 0,
    }


def fmt_value(v, unit):
    if v is None:
        return "-"
    if unit == "IOPS":
        return f"{v:,.0f}".replace(",", " ")
    if unit in ("ms",):
        return f"{v:.2f}"
    if unit in ("KiB",):
        return f"{v:.0f}"
    return f"{v:.1f}"


def cell(summ):
    if not summ:
        return "-"
    return f"{fmt_value(summ['median'], summ['unit'])} ±{summ['spread_pct'] / 2:.1f}%"


def rcell(r):
    if not r:
        return "-"
    return f"{r['median']:.2f} ({r['min']:.2f}-{r['max']:.2f})"


def rows(report):
    """The table's rows: scenario, unit, raw, rust_md, C md, rust/C, rust/raw, C/raw, notes."""
    out = []
    for name, s in report["scenarios"].items():
        unit = (s["rust"] or s["c"] or {}).get("unit", "")
        if not s["higher_is_better"]:
            unit += ", lower is better"
        rawsum = report["raw"][s["raw"]]["raw"] if s.get("raw") else None
        out.append([
            name,
            unit,
            cell(rawsum),
            cell(s["rust"]),
            cell(s["c"]),
            rcell(s["ratio"]),
            rcell(s.get("rust_to_raw")),
            rcell(s.get("c_to_raw")),
            "; ".join(s["notes"]),
        ])
    return out


HEAD = ["scenario", "unit", "raw member", "rust_md", "C md", "rust/C", "rust/raw", "C/raw", "notes"]


def text_table(report):
    table = [HEAD] + rows(report)
    widths = [max(len(r[i]) for r in table) for i in range(len(HEAD) - 1)]
    lines = []
    for i, r in enumerate(table):
        lines.append("  ".join(r[j].ljust(widths[j]) for j in range(len(widths))) + ("  " + r[-1] if r[-1] else ""))
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def machine_line(report):
    h = report["host"]
    g = report["guest"]
    return (
        f"Measured {report['date']} on {h['cpu']} ({h['cores']} cores, shared), "
        f"{h['qemu']}, mode **{report['mode_label']}**; guest: perf kernel {g.get('kernel', '?')}, "
        f"{g.get('cpus', '?')} vCPU, brd members of {g.get('member_mib', '?')} MiB; "
        f"{report['rounds']} rounds (A/B order alternating), fio {g.get('runtime', '?')} s per job "
        f"after {g.get('ramp', '?')} s ramp; the run took {report['wall_seconds'] / 60:.1f} min "
        f"({int(g.get('guest_seconds', 0)) / 60:.1f} min of guest time)."
    )


def md_table(report):
    out = ["| " + " | ".join(HEAD[:-1]) + " |", "|" + "---|" * (len(HEAD) - 1)]
    for r in rows(report):
        out.append("| " + " | ".join(r[:-1]) + " |")
    return "\n".join(out)


LEGEND = [
    "Figures: median over the rounds, ± half the spread (max - min) as a share of the",
    "median. rust/C: the median of the per-round ratios (min-max); above 1.00 rust_md is",
    "better (for times and memory it is C's figure over rust_md's). rust/raw, C/raw: the",
    "array against one raw brd member with the same fio job, per round. Under emulation",
    "the members share the guest's CPU, so an array cannot add their speeds up.",
]


def notes_lines(report):
    notes = [(n, s["notes"]) for n, s in report["scenarios"].items() if s["notes"]]
    if not notes:
        return ["Every scenario meets its target (rust/C >= 1.00; raid0 rust/raw >= 0.92).", ""]
    lines = ["Below target (rust/C < 1.00, < 0.95 a defect; raid0 rust/raw < 0.92):", ""]
    lines += [f"- {n}: {'; '.join(x)}" for n, x in notes]
    return lines + [""]


def markdown(report):
    lines = [
        f"# rust_md bench, {report['date']}, {report['mode']} mode{' (quick)' if report['quick'] else ''}",
        "",
        machine_line(report),
        "",
        *LEGEND,
        "",
        md_table(report),
        "",
        *notes_lines(report),
    ]
    lines += [
        "Guest CPU time per I/O (µs, median; the guest's busy share over the job in parentheses):",
        "",
        "| scenario | raw member | rust_md | C md |",
        "|---|---|---|---|",
    ]

    def cpu(s):
        return f"{s['cpu_us_per_io']:.1f} ({s['busy']:.2f})" if s and "cpu_us_per_io" in s else "-"

    for n, s in report["scenarios"].items():
        if s.get("raw"):
            lines.append(f"| {n} | {cpu(report['raw'][s['raw']]['raw'])} | {cpu(s['rust'])} | {cpu(s['c'])} |")
    lines += ["", "Scenarios:", ""]
    lines += [f"- `{n}`: {s['title']}" for n, s in report["scenarios"].items()]
    lc = report["scenarios"].get("lifecycle.churn", {})
    if lc.get("c") and "retries" in lc["c"]:
        lines += [
            "",
            f"Churn: the C md's opens that met the previous array still going away were retried in "
            f"user space ({lc['c']['retries']:.0f} retries per run, median); rust_md's needed "
            f"{(lc.get('rust') or {}).get('retries', 0):.0f} (the kernel retries them). The guest was busy "
            f"{(lc.get('rust') or {}).get('busy', 0):.0%} of the time with rust_md, {lc['c'].get('busy', 0):.0%} "
            f"with the C md: the rest is waiting (for the deletion of the previous array).",
        ]
    if report["errors"] or report["missing"]:
        lines += ["", "Problems:", ""]
        lines += [f"- missing: {m}" for m in report["missing"]]
        lines += [f"- error: {e}" for e in report["errors"]]
    return "\n".join(lines) + "\n"


def update_readme(path, report, md_name):
    with open(path) as f:
        text = f.read()
    begin, end = "<!-- bench: begin -->", "<!-- bench: end -->"
    if begin not in text or end not in text:
        print(f"bench: no '{begin}' ... '{end}' in {path}; README not updated", file=sys.stderr)
        return False
    body = "\n".join([
        begin,
        machine_line(report),
        "",
        md_table(report),
        "",
        *LEGEND,
        "",
        *notes_lines(report),
        f"Details (CPU time per I/O, the scenarios): [{md_name}](bench/results/{md_name}).",
        end,
    ])
    text = text[: text.index(begin)] + body + text[text.index(end) + len(end):]
    with open(path, "w") as f:
        f.write(text)
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("guest_output")
    ap.add_argument("--mode", required=True, choices=sorted(MODES))
    ap.add_argument("--dest", required=True)
    ap.add_argument("--quick", type=int, default=0)
    ap.add_argument("--stamp", default="")
    ap.add_argument("--wall", type=int, default=0)
    ap.add_argument("--guest-status", type=int, default=0)
    ap.add_argument("--qemu-cmdline")
    ap.add_argument("--icount", default=os.environ.get("RUST_MD_ICOUNT", "shift=2"))
    ap.add_argument("--readme")
    ap.add_argument("--check")
    args = ap.parse_args()
    m = re.search(r"-icount (\S+?),", open(args.qemu_cmdline).read()) if args.qemu_cmdline and os.path.exists(args.qemu_cmdline) else None
    if m:
        args.icount = m.group(1)

    results, errors, info = parse(args.guest_output)
    report = analyse(results, errors, info, args)
    os.makedirs(args.dest, exist_ok=True)
    base = f"{args.stamp}-{args.mode}{'-quick' if args.quick else ''}"
    with open(os.path.join(args.dest, base + ".json"), "w") as f:
        json.dump(report, f, indent=1)
        f.write("\n")
    with open(os.path.join(args.dest, base + ".md"), "w") as f:
        f.write(markdown(report))

    print(machine_line(report).replace("**", ""))
    print()
    print(text_table(report))
    print()
    for m in report["missing"]:
        print(f"bench: missing {m}", file=sys.stderr)
    for e in report["errors"]:
        print(f"bench: error {e}", file=sys.stderr)
    print(f"bench: results in {os.path.join(args.dest, base)}.{{json,md}}")
    if args.readme and report["complete"] and update_readme(args.readme, report, base + ".md"):
        print(f"bench: {args.readme} Speed section updated")
    if args.check:
        name = "bench: quick run, every scenario measured" if args.quick else "bench: every scenario measured"
        with open(args.check, "a") as f:
            f.write(("ok " if report["complete"] else "not ok ") + name + "\n")
    return 0 if report["complete"] else 1


if __name__ == "__main__":
    sys.exit(main())
