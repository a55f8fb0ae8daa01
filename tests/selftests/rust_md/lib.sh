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

# Leave the guest as the test found it even when a step failed. rmmod
# fails while deleted gendisks still wait for their release (see
# md_settle), so wait for that first.
try_rmmod_md() { ! module_loaded md_mod || rmmod md_mod 2>/dev/null; }
unload_md() {
	poll_until 20 try_rmmod_md
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

# Wait (bounded) until every deleted md gendisk is released, not only
# deleted: the kernel (kernel/patches/0002) pins the driver's module from
# del_gendisk() until the disk's release, so with nothing of ours open the
# module's reference count falls to zero then. The C md needs this before
# it makes a unit again (it frees a unit's name only at release), and
# CONFIG_DEBUG_KOBJECT_RELEASE delays releases by up to 4 s.
md_refcnt_zero() { [ "$(cat /sys/module/md_mod/refcnt 2>/dev/null)" = 0 ]; }
md_settle() {
	poll_until 20 md_refcnt_zero
}

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
