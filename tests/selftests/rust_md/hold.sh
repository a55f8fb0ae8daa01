#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# An array that gets configured while its prober holds it stays after the
# last close: SET_ARRAY_INFO (ctime) or raid_disks through sysfs. Clearing
# it then makes it disappear. Same semantics in the C md, so both run.
. "$(dirname "$0")/lib.sh"

ktap_print_header
ktap_set_plan 10

for driver in rust c; do
	load_md "$driver"
	dev=$(md_node 0)
	exec 3<"$dev"
	out=$(md_ioctl "$dev" set-version 1 2)
	exec 3<&-
	[ "$out" = ok ] && md_exists md0
	ktap_check "$driver: SET_ARRAY_INFO keeps md0 after the last close ($out)" $?
	md_write /sys/block/md0/md/array_state clear >/dev/null
	wait_md_gone md0
	ktap_check "$driver: clear makes the configured md0 disappear" $?
	[ "$driver" = c ] && md_settle

	exec 3<"$dev"
	echo 2 > /sys/block/md0/md/raid_disks
	exec 3<&-
	md_exists md0 && [ "$(cat /sys/block/md0/md/raid_disks)" = 2 ] &&
		[ "$(cat /sys/block/md0/md/array_state)" = inactive ]
	ktap_check "$driver: raid_disks=2 keeps md0, inactive, after the last close" $?
	grep -qx "md0 : inactive super non-persistent" /proc/mdstat
	ktap_check "$driver: /proc/mdstat lists md0 as inactive" $?
	md_write /sys/block/md0/md/array_state clear >/dev/null
	wait_md_gone md0
	ktap_check "$driver: clear makes it disappear" $?
	md_reset
done
ktap_finished
