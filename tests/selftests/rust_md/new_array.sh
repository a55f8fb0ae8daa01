#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# new_array: "mdNNN" makes that unit, held until an ioctl; "md_NAME" a named
# array on a free minor from 512 up, held until stopped; a duplicate gets
# EEXIST; bad names EINVAL or E2BIG. Both drivers.
. "$(dirname "$0")/lib.sh"

param=/sys/module/md_mod/parameters/new_array

ktap_print_header
ktap_set_plan 18

for driver in rust c; do
	load_md "$driver"
	out=$(md_write $param md5)
	[ "$out" = ok ] && md_exists md5 && [ "$(cat /sys/block/md5/dev)" = 9:5 ]
	ktap_check "$driver: new_array=md5 makes md5 ($out)" $?
	out=$(md_write $param md5)
	[ "$out" = EEXIST ]; ktap_check "$driver: md5 again: EEXIST ($out)" $?
	dev=$(md_node 5)
	exec 3<"$dev" 3<&-
	md_exists md5; ktap_check "$driver: md5 survives an open and close (held until an ioctl)" $?
	md_ioctl "$dev" stop >/dev/null
	wait_md_gone md5; ktap_check "$driver: after an ioctl and the close, md5 goes" $?

	out=$(md_write $param md_home)
	dev_t=$(cat /sys/block/md_home/dev 2>/dev/null)
	[ "$out" = ok ] && [ "${dev_t%%:*}" = 9 ] && [ "${dev_t#*:}" -ge 512 ]
	ktap_check "$driver: new_array=md_home makes md_home on minor >= 512 ($out, $dev_t)" $?
	out=$(md_write $param md_home)
	[ "$out" = EEXIST ]; ktap_check "$driver: md_home again: EEXIST ($out)" $?
	[ -b /dev/md_home ] || mknod /dev/md_home b 9 "${dev_t#*:}"
	exec 3</dev/md_home 3<&-
	md_ioctl /dev/md_home version >/dev/null
	md_exists md_home; ktap_check "$driver: md_home survives opens, closes and ioctls (held until stopped)" $?
	md_ioctl /dev/md_home stop >/dev/null
	wait_md_gone md_home; ktap_check "$driver: stopped, md_home goes with its last close" $?

	bad=""
	for v in md mdx md-1 foo md1048576 "md_$(printf 'x%.0s' $(seq 40))"; do
		out=$(md_write $param "$v")
		case "$v:$out" in
		md_x*:E2BIG|*:EINVAL) ;;
		*) bad="$bad $v=$out" ;;
		esac
	done
	[ -z "$bad" ] && [ "$(md_devices)" = "" ]
	ktap_check "$driver: bad names are refused with EINVAL or E2BIG, nothing made${bad:+ ($bad)}" $?
	md_reset
done
ktap_finished
