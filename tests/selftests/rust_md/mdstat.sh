#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# /proc/mdstat exists from load, and its text is md's, byte for byte: the
# same configuration gives the same file with rust_md and with the C md,
# but for the personalities line (the C md lists its loaded level modules;
# rust_md has linear, raid0 and raid1 built in).
. "$(dirname "$0")/lib.sh"

ktap_print_header
ktap_set_plan 4

snapshot() { # snapshot <driver>: mdstat empty, then with two inactive arrays
	load_md "$1"
	cat /proc/mdstat
	echo ---
	exec 3<"$(md_node 0)" 4<"$(md_node 1)"
	echo 2 > /sys/block/md0/md/raid_disks
	md_ioctl /dev/md1 set-version 1 2 >/dev/null
	echo 4 > /sys/block/md1/md/raid_disks
	exec 3<&- 4<&-
	cat /proc/mdstat
	md_reset
}

load_md rust
[ -r /proc/mdstat ]; ktap_check "rust: /proc/mdstat exists right after load" $?
md_reset

rust=$(snapshot rust)
c=$(snapshot c)
empty=$(printf 'Personalities : [linear] [raid0] [raid1] \nunused devices: <none>')
[ "${rust%%---*}" = "$empty"$'\n' ]
ktap_check "rust: empty /proc/mdstat is md's, with linear, raid0 and raid1" $?
rust=$(grep -v '^Personalities' <<<"$rust")
c=$(grep -v '^Personalities' <<<"$c")
[ "$rust" = "$c" ]
ktap_check "rust and c print the same /proc/mdstat" $?
grep -q "md1 : inactive super 1.2" <<<"$rust"
ktap_check "rust: an inactive 1.2 array shows 'super 1.2'" $?
if [ "$rust" != "$c" ]; then
	diff <(echo "$c") <(echo "$rust") | sed 's/^/# /'
fi
ktap_finished
