#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Opening /dev/mdN for a unit that does not exist creates it (the major's
# probe), with /sys/block/mdN/md/; the opener holds it; with no
# configuration it disappears after the last close. create_on_open=0 turns
# the probe off. The C md creates the same way but keeps an opened array
# until an ioctl (hold_active UNTIL_IOCTL), so only creation is compared.
. "$(dirname "$0")/lib.sh"

ktap_print_header
ktap_set_plan 9

check_created() { # check_created <driver>
	local dev; dev=$(md_node 0)
	exec 3<"$dev" || return 1
	md_exists md0 && [ "$(cat /sys/block/md0/md/array_state)" = clear ] &&
		[ "$(cat /sys/block/md0/dev)" = 9:0 ]
}

load_md rust
check_created rust; ktap_check "rust: opening /dev/md0 creates md0 with md/, array_state clear" $?
exec 4</dev/md0 4<&-
md_exists md0; ktap_check "rust: md0 stays while its opener holds it" $?
! grep -q '^md0' /proc/mdstat; ktap_check "rust: /proc/mdstat leaves out the unconfigured md0" $?
exec 3<&-
wait_md_gone md0; ktap_check "rust: md0 disappears after the last close" $?
[ "$(md_devices)" = "" ]; ktap_check "rust: no md device left" $?
md_reset

load_md rust create_on_open=0
out=$(md_ioctl "$(md_node 0)" version)
[ "$out" = "open ENXIO" ] && md_gone md0
ktap_check "rust: create_on_open=0: open fails with ENXIO, nothing created ($out)" $?
[ "$(cat /sys/module/md_mod/parameters/create_on_open)" = N ]
ktap_check "rust: create_on_open is readable in /sys/module/md_mod/parameters" $?
md_reset

load_md c
check_created c; ktap_check "c: opening /dev/md0 creates md0 with md/, array_state clear" $?
exec 3<&-
md_ioctl /dev/md0 stop >/dev/null	# the C md keeps md0 until an ioctl
md_reset
load_md c create_on_open=0
out=$(md_ioctl "$(md_node 0)" version)
[ "$out" = "open ENXIO" ] && md_gone md0
ktap_check "c: create_on_open=0: open fails with ENXIO ($out)" $?
md_reset
ktap_finished
