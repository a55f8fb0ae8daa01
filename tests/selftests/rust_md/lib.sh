#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Shared by the rust_md kselftests: where things are in the guest, KTAP
# helpers, and waiting for the kernel without fixed sleeps.
RMD_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$RMD_DIR/../kselftest/ktap_helpers.sh"

RUST_MD_KO=${RUST_MD_KO:-/lib/modules/rust_md/md_mod.ko}
C_MD_DIR=${C_MD_DIR:-/lib/modules/c_md}

# Is a block major registered under this name? (major_registered 9 md)
major_registered() {
	grep -qE "^ *$1 $2\$" /proc/devices
}

module_loaded() {
	grep -q "^$1 " /proc/modules
}

# poll_until <seconds> <command...>: true as soon as the command succeeds,
# false if it still fails after the deadline. For state the kernel changes
# asynchronously (devices going away); never a stand-in for a fixed sleep.
poll_until() {
	local deadline=$(( $(date +%s) + $1 )); shift
	until "$@"; do
		[ "$(date +%s)" -ge "$deadline" ] && return 1
		sleep 0.1
	done
}

# Leave the guest as the test found it even when a step failed.
unload_md() {
	module_loaded md_mod && rmmod md_mod 2>/dev/null
	! module_loaded md_mod
}

# Load md_mod.ko (rust) or the C md reference (c), with optional parameters.
load_md() {
	local driver=$1; shift
	case "$driver" in
	rust) insmod "$RUST_MD_KO" "$@" ;;
	c) insmod "$C_MD_DIR/md-mod.ko" "$@" ;;
	esac
}

# A device node for md unit N (devtmpfs makes nodes only for existing disks).
md_node() {
	[ -b "/dev/md$1" ] || mknod "/dev/md$1" b 9 "$1"
	echo "/dev/md$1"
}

md_exists() { [ -e "/sys/block/$1" ]; }
md_gone() { [ ! -e "/sys/block/$1" ]; }

# Every md device in sysfs, space separated.
md_devices() {
	ls /sys/block | grep '^md' | tr '\n' ' '
}

# Wait (bounded) for an md device to go away after its last user.
# DEBUG_KOBJECT_RELEASE can delay the gendisk's release by seconds; the
# sysfs entry itself goes with del_gendisk.
wait_md_gone() {
	poll_until 20 md_gone "$1"
}

# Live block device inodes (gendisks and partitions not yet freed), or
# nothing when the kernel has no /proc/slabinfo.
bdev_count() {
	awk '$1 == "bdev_cache" { print $2 }' /proc/slabinfo 2>/dev/null
}
RMD_BDEV_BASELINE=${RMD_BDEV_BASELINE:-$(bdev_count)}
export RMD_BDEV_BASELINE

bdevs_at_baseline() {
	local n; n=$(bdev_count)
	[ -z "$n" ] || [ "$n" -le "$RMD_BDEV_BASELINE" ]
}

# Wait (bounded) until every md gendisk is freed, not only deleted. The C
# md needs this before it is unloaded or makes a unit again: it neither
# waits for its gendisks' release at unload nor frees a unit's name before
# it (and DEBUG_KOBJECT_RELEASE delays releases by up to 4 s). Unloading it
# too early crashes in disk_release; re-creating too early gets EEXIST.
md_settle() {
	poll_until 20 bdevs_at_baseline
}

is_c_md() { [ -e /sys/module/md_mod/parameters/start_ro ]; }

# Everything back to nothing: no md device, md_mod unloaded. Used between
# parts of a test so that one failure does not cascade.
md_reset() {
	local d
	for d in $(md_devices); do
		echo clear > "/sys/block/$d/md/array_state" 2>/dev/null
	done
	for d in $(md_devices); do
		wait_md_gone "$d"
	done
	is_c_md && md_settle
	unload_md
}

# The kernel log since a mark: mark=$(dmesg_mark); ...; dmesg_since "$mark"
dmesg_mark() {
	local m="rust_md-test-mark-$RANDOM$RANDOM"
	echo "$m" > /dev/kmsg
	echo "$m"
}
dmesg_since() {
	dmesg | sed -n "/$1/,\$p" | tail -n +2
}

# ktap_check <description> <status>: pass when the status is 0.
ktap_check() {
	if [ "$2" = 0 ]; then ktap_test_pass "$1"; else ktap_test_fail "$1"; fi
}
