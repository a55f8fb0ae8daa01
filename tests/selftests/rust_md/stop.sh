#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Stopping: STOP_ARRAY on a fresh, unconfigured array succeeds and leaves it
# usable (both drivers). A configured array that others have open refuses
# STOP_ARRAY and array_state=clear with EBUSY and "md: mdN still in use.";
# once they close, the stop succeeds, and the device goes with the last
# close. (The C md refuses only for a running array, which needs members.)
. "$(dirname "$0")/lib.sh"

ktap_print_header
ktap_set_plan 12

for driver in rust c; do
	load_md "$driver"
	dev=$(md_node 0)
	exec 3<"$dev"
	out=$(md_ioctl "$dev" stop)
	[ "$out" = ok ]; ktap_check "$driver: STOP_ARRAY on a fresh md0 succeeds ($out)" $?
	out=$(md_ioctl "$dev" set-version 1 2)
	[ "$out" = ok ]; ktap_check "$driver: md0 stays usable after it ($out)" $?
	out=$(md_write /sys/block/md0/md/array_state inactive)
	[ "$out" = ok ]; ktap_check "$driver: array_state=inactive on an inactive array: ok ($out)" $?
	exec 3<&-
	md_reset
done

load_md rust
dev=$(md_node 0)
exec 3<"$dev"
md_ioctl "$dev" set-version 1 2 >/dev/null
mark=$(dmesg_mark)
out=$(md_ioctl "$dev" stop)
[ "$out" = EBUSY ] && dmesg_since "$mark" | grep -q "md: md0 still in use\."
ktap_check "rust: STOP_ARRAY while another opener has it: EBUSY, 'still in use' ($out)" $?
out=$(md_write /sys/block/md0/md/array_state clear)
[ "$out" = EBUSY ]; ktap_check "rust: array_state=clear while open: EBUSY ($out)" $?
exec 3<&-
md_exists md0; ktap_check "rust: the configured md0 stays after that close" $?
out=$(md_ioctl "$dev" stop-ro)
[ "$out" = ENODEV ] && md_exists md0
ktap_check "rust: STOP_ARRAY_RO on an array without slots: ENODEV, as md ($out)" $?
mark=$(dmesg_mark)
out=$(md_ioctl "$dev" stop)
[ "$out" = ok ] && dmesg_since "$mark" | grep -q "md: md0 stopped\."
ktap_check "rust: STOP_ARRAY alone succeeds, 'md0 stopped.' ($out)" $?
wait_md_gone md0; ktap_check "rust: after the stop, md0 goes with the last close" $?
md_reset
ktap_finished
