#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Re-record the guest logs that the harness tests (test_verdict.py) judge:
# real runs on the debug kernel of a clean test, of planted failures (a
# failing subtest and a real kernel WARN from lkdtm), and of a hung guest.
# usage: make harness-record   (or tests/harness/record.sh [case...])
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
logs=$here/tests/harness/logs

record() { # record <case> <tests> [timeout]
	local case=$1
	echo "record: $case" >&2
	RUST_MD_TESTS=$2 RUST_MD_TIMEOUT=${3:-900} RUST_MD_RESULTS= \
		"$here/scripts/guest.sh" debug check || true
	mkdir -p "$logs/$case"
	cp "$here/out/check-latest/ktap.log" "$logs/$case/ktap.log"
	# Timestamps and addresses differ per run; the lines are what matter.
	cp "$here/out/check-latest/console.log" "$logs/$case/console.log"
}
# usage: record.sh [clean] [planted] [hang]   (default: all three)
cases=${*:-clean planted hang}
for c in $cases; do
	case $c in
	clean) record clean modload.sh ;;
	planted) record planted rust_md_planted:planted_fail.sh,rust_md_planted:planted_warning.sh ;;
	hang) record hang rust_md_planted:planted_hang.sh 150 ;;
	*) echo "record: unknown case $c" >&2; exit 2 ;;
	esac
done
