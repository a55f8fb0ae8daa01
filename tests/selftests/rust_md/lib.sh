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
