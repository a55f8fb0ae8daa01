#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# sysfs racing deletion: while md0 is created and deleted over and over
# (openers racing clear), other processes read md/array_state and write
# md/raid_disks. Every read gives a valid word or fails with an errno (the
# file or the array is gone, md answers EBUSY for a deleted array); nothing
# crashes (KASAN, lockdep and the console check watch for use-after-free).
. "$(dirname "$0")/lib.sh"
secs=${RMD_RACE_SECONDS:-8}
state=/sys/block/md0/md/array_state

ktap_print_header
ktap_set_plan 4

load_md rust
dev=$(md_node 0)
md_attr_loop $state "$secs" read clear inactive > /tmp/reader1 &
r1=$!
md_attr_loop $state "$secs" read clear inactive > /tmp/reader2 &
r2=$!
md_attr_loop /sys/block/md0/md/raid_disks "$secs" write 0 > /tmp/writer &
w=$!
churn=$(md_race "$dev" 0 2 "$secs" clear | grep '^opens:')
wait $r1; rc1=$?
wait $r2; rc2=$?
wait $w
ktap_print_msg "churn: $churn"
ktap_print_msg "reader 1: $(cat /tmp/reader1)"
ktap_print_msg "reader 2: $(cat /tmp/reader2)"
ktap_print_msg "writer: $(cat /tmp/writer)"
[ $rc1 = 0 ] && [ $rc2 = 0 ]
ktap_check "array_state reads give a valid word or an errno" $?
grep -q ' ok: [1-9]' /tmp/reader1 && grep -q ' ok: [1-9]' /tmp/writer
ktap_check "reads and writes reached live arrays during the race" $?
echo "$churn" | grep -q 'failed: 0'
ktap_check "opens during the sysfs race all succeed ($churn)" $?
md_reset
[ "$(md_devices)" = "" ] && ! module_loaded md_mod
ktap_check "nothing left, rmmod succeeded" $?
ktap_finished
