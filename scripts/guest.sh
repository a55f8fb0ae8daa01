#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build whatever is missing for one kernel flavour (kernel, md_mod.ko,
# initramfs), boot it in QEMU in one mode, and report.
#
# usage: guest.sh <debug|perf> check            kselftests; verdict + summary
#        guest.sh <debug|perf> demo             what md_mod does, for people
#        guest.sh <debug|perf> script <file>    run <file> in the guest
#        guest.sh <debug|perf> shell            interactive serial console
#
# Environment: KDIR (use this kernel tree instead of the cached build),
# RUST_MD_OUT (where runs are kept, default ./out), RUST_MD_TIMEOUT (seconds),
# RUST_MD_TESTS (comma-separated test names for check), RUST_MD_RESULTS
# (file to append check results to), and those of qemu.sh.
set -euo pipefail
flavour=$1 mode=$2 script=${3:-}
. "$(dirname "$0")/common.sh"
outroot=${RUST_MD_OUT:-$here/out}

log() { echo "$mode: $*" >&2; }

run=$outroot/$mode-$(date +%Y%m%d-%H%M%S)
mkdir -p "$run"
ln -sfn "$(basename "$run")" "$outroot/$mode-latest"

# In script mode the build notes go to build.log, so that what the user sees
# on stdout and stderr is the script's own; they are shown if a step fails.
build() {
	if [ "$mode" = script ]; then
		"$@" 2>> "$run/build.log" || { cat "$run/build.log" >&2; return 1; }
	else
		"$@"
	fi
}
if [ -n "${KDIR:-}" ]; then
	kdir=$(readlink -f "$KDIR")
else
	kdir=$(build "$here/scripts/kernel.sh" "$flavour" | tail -1)
fi
strict=
[ "$mode" = check ] && strict=strict
ko=$(build "$here/scripts/module.sh" "$kdir" $strict | tail -1)
base=$cache/initramfs-base-$(sha256sum < "$here/scripts/initramfs-base.sh" | cut -c1-12).cpio.gz
if [ ! -f "$base" ]; then
	rm -f "$cache"/initramfs-base-*.cpio.gz
	build "$here/scripts/initramfs-base.sh" "$base"
fi
cp "$kdir/.config" "$run/kernel.config"
initrd=$run/initrd.cpio.gz
build "$here/scripts/initramfs.sh" "$kdir" "$ko" "$base" "$initrd"
if [ "$mode" = script ]; then
	[ -r "$script" ] || { log "cannot read $script"; exit 2; }
	s=$(mktemp -d)
	install -m755 "$script" "$s/run-script"
	(cd "$s" && echo run-script | cpio -o -H newc -R 0:0 --quiet | gzip -1) >> "$initrd"
	rm -rf "$s"
fi

case "$mode" in
check) limit=${RUST_MD_TIMEOUT:-4800} ;;
*) limit=${RUST_MD_TIMEOUT:-900} ;;
esac
kernel=$kdir/arch/x86/boot/bzImage

if [ "$mode" = shell ]; then
	log "interactive shell on the serial console; Ctrl-A X quits QEMU"
	exec "$here/scripts/qemu.sh" "$run" "$kernel" "$initrd" shell "$limit" interactive
fi

# A test that resets the machine on purpose (the rust_md_reboot collection)
# says "reset" on ttyS3 first: the guest then boots again on the same
# disks, with rmd_boot=2 (and so on) on its command line, to see what a
# crash left. Each earlier boot's logs are kept in <run>/boot<N>/.
start=$(date +%s)
boot=1
set +e
while :; do
	RUST_MD_KEEP_DISKS=1 RUST_MD_APPEND="${RUST_MD_APPEND:-} rmd_boot=$boot" \
		"$here/scripts/qemu.sh" "$run" "$kernel" "$initrd" "$mode" "$limit"
	qrc=$?
	if [ "$mode" = check ] && [ $qrc = 0 ] && [ $boot -lt 3 ] &&
		grep -qx reset "$run/status" 2>/dev/null; then
		mkdir -p "$run/boot$boot"
		mv "$run"/{console.log,stdout,stderr,status} "$run/boot$boot/"
		log "boot $boot reset by the test; booting again on the same disks"
		boot=$((boot + 1))
		continue
	fi
	break
done
echo "$qrc" > "$run/qemu-exit"
set -e
rm -rf "$run/disks"
rm -f "$initrd"
secs=$(( $(date +%s) - start ))

case "$mode" in
check)
	cp "$run/stdout" "$run/ktap.log"
	[ $qrc = 124 ] && log "QEMU killed after ${limit}s (hang?)"
	log "console: $run/console.log"
	log "KTAP:    $run/ktap.log"
	log "config:  $run/kernel.config"
	log "guest ran ${secs}s"
	console=$run/console.log
	if [ $boot -gt 1 ]; then
		# Every boot's kernel messages count.
		cat "$run"/boot*/console.log "$run/console.log" > "$run/console-all.log"
		console=$run/console-all.log
	fi
	exec python3 "$here/scripts/verdict.py" "$run/ktap.log" "$console" \
		${RUST_MD_RESULTS:+--results "$RUST_MD_RESULTS"} --prefix "${RUST_MD_PREFIX:-guest: }"
	;;
demo|script)
	cat "$run/stdout"
	cat "$run/stderr" >&2
	status=$(sed -n 's/^exit \([0-9]*\).*/\1/p' "$run/status" | tail -1)
	if python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import verdict
sys.exit(1 if verdict.find_splats(open(sys.argv[2], errors="replace").readlines()) else 0)' \
		"$here/scripts" "$run/console.log"; then :; else
		log "the kernel console shows a splat: $run/console.log" 
	fi
	echo "${status:-none}" > "$run/exit-status"
	if [ -z "$status" ]; then
		[ $qrc = 124 ] && log "QEMU killed after ${limit}s"
		log "the guest did not finish the script; console: $run/console.log"
		exit 125
	fi
	[ "$mode" = demo ] && log "console: $run/console.log"
	exit "$status"
	;;
esac
