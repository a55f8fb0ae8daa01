#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# sysfs racing deletion: while md0 is created and deleted over and over
# (open/close churn), other processes read md/array_state and write
# md/raid_disks. Every read gives a valid word or fails with an errno (the
# file or the array is gone); nothing crashes (KASAN, lockdep and the
# console check watch for use-after-free).
. "$(dirname "$0")/lib.sh"
secs=${RMD_RACE_SECONDS:-8}

ktap_print_header
ktap_set_plan 3

reader() {
	local end=$(( $(date +%s) + secs )) bad=0 reads=0 v
	while [ "$(date +%s)" -lt "$end" ]; do
		v=$(cat /sys/block/md0/md/array_state 2>/dev/null)
		reads=$((reads + 1))
		case "$v" in
		""|clear|inactive) ;;
		*) bad=$((bad + 1)) ;;
		esac
	done
	echo "$reads $bad"
}
writer() {
	local end=$(( $(date +%s) + secs ))
	while [ "$(date +%s)" -lt "$end" ]; do
		echo 0 > /sys/block/md0/md/raid_disks
	done 2>/dev/null
}

load_md rust
dev=$(md_node 0)
reader > /tmp/reader1 & r1=$!
reader > /tmp/reader2 & r2=$!
writer & w=$!
churn=$(md_race "$dev" 0 2 "$secs" clear | grep '^opens:')
wait $r1 $r2 $w
read -r reads1 bad1 < /tmp/reader1
read -r reads2 bad2 < /tmp/reader2
ktap_print_msg "churn: $churn; reads: $((reads1 + reads2))"
[ $((bad1 + bad2)) = 0 ] && [ $((reads1 + reads2)) -gt 0 ]
ktap_check "array_state reads give a valid word or an errno" $?
echo "$churn" | grep -q 'failed: 0'
ktap_check "opens during the sysfs race all succeed ($churn)" $?
md_reset
[ "$(md_devices)" = "" ] && ! module_loaded md_mod
ktap_check "nothing left, rmmod succeeded" $?
ktap_finished
