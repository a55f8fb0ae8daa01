#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: every test of the project, in stages. Each stage appends
# "ok|not ok|skip <name>" lines to the results file; a failed stage does not
# stop the ones that do not depend on it. The last line printed is
# "N passed, N failed, N skipped", and the exit status is 1 on any failure.
#
# usage: check.sh <results-file>
set -uo pipefail
results=$1
. "$(dirname "$0")/common.sh"
cd "$here"

record() { # record <0|1|skip> <name>
	case "$1" in
	0) echo "ok $2" ;;
	skip) echo "skip $2" ;;
	*) echo "not ok $2" ;;
	esac >> "$results"
	case "$1" in 0) ;; skip) echo "check: SKIP $2" ;; *) echo "check: FAIL $2" ;; esac
}
stage() { echo "check: == $* ($(date +%T))"; }
start=$(date +%s)

stage "format"
make -s --no-print-directory fmt-check
record $? "rustfmt --check"

stage "host tests"
python3 tests/harness/run.py "$results"
log=$(mktemp)
(cd tests/host && CARGO_TARGET_DIR=$cache/host-target cargo test 2>&1) > "$log"
rc=$?
sed -n 's/^test \(.*\) \.\.\. ok$/ok host: \1/p; s/^test \(.*\) \.\.\. FAILED$/not ok host: \1/p' "$log" >> "$results"
if [ $rc != 0 ]; then
	tail -30 "$log"
	record 1 "host: cargo test (pure logic)"
fi
rm -f "$log"

stage "kernels (cached when nothing changed)"
kernels_ok=1
for flavour in debug perf; do
	if [ -n "${KDIR:-}" ]; then break; fi
	scripts/kernel.sh "$flavour" >/dev/null
	rc=$?; record $rc "build: $flavour kernel"
	[ $rc = 0 ] || kernels_ok=0
done

if [ $kernels_ok = 1 ]; then
	stage "module: clippy and warnings as errors"
	kdir=${KDIR:-$(scripts/kernel.sh debug --print-dir)}
	scripts/module.sh "$kdir" strict >/dev/null
	record $? "build: md_mod.ko, CLIPPY=1, no warnings (debug kernel)"
	if [ -z "${KDIR:-}" ]; then
		scripts/module.sh "$(scripts/kernel.sh perf --print-dir)" strict >/dev/null
		record $? "build: md_mod.ko, CLIPPY=1, no warnings (perf kernel)"
	fi

	stage "make run SCRIPT= (perf kernel): output and exit status intact"
	tests/run/check-run-script.sh "$results"

	stage "kselftests in the guest (debug kernel)"
	RUST_MD_RESULTS=$results scripts/guest.sh debug check

	stage "kselftests across a reset of the guest (debug kernel)"
	RUST_MD_RESULTS=$results RUST_MD_PREFIX="reboot: " \
		RUST_MD_TESTS=rust_md_reboot:unclean_shutdown.sh scripts/guest.sh debug check

	# The instrument works: every scenario gives figures for both drivers.
	# No speed is judged here (make bench does that, with rounds).
	stage "make bench QUICK=1 (perf kernel)"
	log=${RUST_MD_OUT:-$here/out}/bench-quick.log
	if scripts/bench.sh --quick --check "$results" > "$log" 2>&1; then
		grep '^bench: results' "$log"
	else
		tail -30 "$log"
	fi
	grep -q ' bench: quick run' "$results" ||
		record 1 "bench: quick run, every scenario measured"
else
	record 1 "kselftests in the guest (no kernel)"
fi

passed=$(grep -c '^ok ' "$results")
failed=$(grep -c '^not ok ' "$results")
skipped=$(grep -c '^skip ' "$results")
echo "check: took $(( $(date +%s) - start ))s; results in $results"
if [ "$failed" != 0 ]; then
	echo "check: failed:"
	grep '^not ok ' "$results" | sed 's/^not ok /  /'
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
