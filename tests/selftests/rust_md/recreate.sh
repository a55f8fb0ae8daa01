#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A unit can be made again right after it went away: configure md0, clear
# it, open it again at once, many times. The probe waits for the old
# instance's deletion, so sysfs never sees a duplicate name (the console
# check catches "cannot create duplicate filename"), and each new instance
# starts clean. With the kernel's open retry, no reopen fails; the C md
# fails many (ENODEV, or ENXIO while it cannot reuse the name; counted,
# not judged).
. "$(dirname "$0")/lib.sh"
rounds=${RMD_RECREATE_ROUNDS:-30}

ktap_print_header
ktap_set_plan 3

recreate() { # recreate <driver>: prints "<failed opens> <unclean instances>"
	local dev failed=0 unclean=0 i
	dev=$(md_node 0)
	for i in $(seq "$rounds"); do
		if ! exec 3<"$dev"; then
			failed=$((failed + 1))
			continue
		fi
		# md shows nothing for an array without slots.
		slots=$(cat /sys/block/md0/md/raid_disks 2>/dev/null) && [ -z "$slots" ] ||
			unclean=$((unclean + 1))
		echo 3 > /sys/block/md0/md/raid_disks
		exec 3<&-
		echo clear > /sys/block/md0/md/array_state
	done 2>/dev/null
	echo "$failed $unclean"
}

load_md rust
read -r failed unclean < <(recreate rust)
ktap_print_msg "rust: $rounds rounds, $failed reopens failed, $unclean unclean"
[ "$failed" = 0 ]; ktap_check "rust: every immediate reopen reaches a new md0" $?
[ "$unclean" = 0 ]; ktap_check "rust: every new md0 starts unconfigured" $?
wait_md_gone md0; ktap_check "rust: md0 gone at the end" $?
md_reset

load_md c
read -r failed unclean < <(recreate c)
ktap_print_msg "c: $rounds rounds, $failed reopens failed, $unclean not clean (counted, not judged)"
md_reset
ktap_finished
