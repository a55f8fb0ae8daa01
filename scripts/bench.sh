#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: rust_md against the C md and the raw members, in one boot of
# the perf kernel (guest/bench.sh does the measuring), then the figures
# summed up by scripts/bench.py: medians, spreads, ratios; a table on
# stdout, JSON and Markdown in the results folder.
#
# usage: bench.sh [--quick] [--mode icount|tcg|kvm] [--rounds N] [--check FILE]
#   --quick    one short round of every scenario (a smoke test of the
#              instrument); results in $RUST_MD_OUT/bench, not bench/results
#   --mode     icount (default): single-threaded TCG with the
#              instruction-count clock, figures that repeat on a loaded
#              machine; tcg: multi-threaded TCG (host load shows);
#              kvm: RUST_MD_KVM=1 (hangs where nested KVM does)
#   --rounds   rounds of A/B pairs (default 5; --quick: 1)
#   --check    append "ok|not ok bench: ..." to FILE (make check): every
#              scenario measured for both drivers; speed is not judged
# A full run also puts its table into README.md's Speed section.
# Environment: RUST_MD_ICOUNT (default shift=2), those of guest.sh.
set -euo pipefail
. "$(dirname "$0")/common.sh"
quick=0 mode=icount rounds= check=
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) quick=1 ;;
	--mode) mode=$2; shift ;;
	--rounds) rounds=$2; shift ;;
	--check) check=$2; shift ;;
	*) echo "usage: bench.sh [--quick] [--mode icount|tcg|kvm] [--rounds N] [--check FILE]" >&2; exit 2 ;;
	esac
	shift
done

unset RUST_MD_KVM
case "$mode" in
icount) export RUST_MD_ICOUNT=${RUST_MD_ICOUNT:-shift=2} ;;
tcg) unset RUST_MD_ICOUNT ;;
kvm) unset RUST_MD_ICOUNT; export RUST_MD_KVM=1 ;;
*) echo "bench: mode must be icount, tcg or kvm" >&2; exit 2 ;;
esac

# Per round: 20 fio jobs of (ramp + runtime) guest seconds, the lifecycle
# figures and the loads; about 2.5 guest minutes in icount mode.
if [ $quick = 1 ]; then
	rounds=${rounds:-1}
	params="bench_runtime=2 bench_ramp=1 bench_churn=200 bench_arrays=100 bench_gone=5"
else
	rounds=${rounds:-5}
	params="bench_runtime=4 bench_ramp=1 bench_churn=1000 bench_arrays=400 bench_gone=20"
fi
outroot=${RUST_MD_OUT:-$here/out}
run=$outroot/bench-$(date +%Y%m%d-%H%M%S)
mkdir -p "$run"
stamp=$(date -u +%Y-%m-%dT%H%MZ)

echo "bench: $mode mode, $rounds round(s)$([ $quick = 1 ] && echo ", quick"); guest output in $run" >&2
start=$(date +%s)
set +e
# No virtio disks: the members are brd (RAM) in the guest.
RUST_MD_DISKS=0 RUST_MD_MEM=${RUST_MD_MEM:-2048} \
	RUST_MD_TIMEOUT=${RUST_MD_TIMEOUT:-$((600 + rounds * 600))} \
	RUST_MD_APPEND="${RUST_MD_APPEND:-} bench_rounds=$rounds $params" \
	"$here/scripts/guest.sh" perf script "$here/guest/bench.sh" > "$run/guest.txt" 2> "$run/guest.err"
rc=$?
set -e
secs=$(( $(date +%s) - start ))
# QEMU says this on exit in icount mode with sleep=off; it means nothing.
grep -v 'icount sleep disabled and no active timers' "$run/guest.err" >&2 || :
[ $rc = 0 ] || echo "bench: the guest script ended with status $rc (console: $outroot/script-latest/console.log)" >&2
cp "$outroot/script-latest/qemu.cmdline" "$run/" 2>/dev/null || :

if [ $quick = 1 ]; then
	dest=$outroot/bench
	readme=()
else
	dest=$here/bench/results
	readme=(--readme "$here/README.md")
	mkdir -p "$dest"
	cp "$run/guest.txt" "$dest/$stamp-$mode.txt"
fi
python3 "$here/scripts/bench.py" "$run/guest.txt" --mode "$mode" --quick $quick \
	--stamp "$stamp" --wall "$secs" --guest-status "$rc" --qemu-cmdline "$run/qemu.cmdline" \
	--dest "$dest" "${readme[@]}" ${check:+--check "$check"}
