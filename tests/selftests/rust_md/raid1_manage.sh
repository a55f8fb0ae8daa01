#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Members of a running raid1, driven by mdadm as an administrator would:
# --fail and --remove a mirror (unbound, released, forgotten by the other
# superblocks), --add a fresh device (rebuilt by a recovery while the array
# is in use, never read before it is in sync), --re-add (refused after
# missed updates, as md without a bitmap; in sync at once when nothing was
# missed), a spare taking over a failed mirror, a recovery waiting for a
# read-only array to become writable, and, where the kernel injects faults
# (CONFIG_FAIL_MAKE_REQUEST), mirrors failing under I/O. Uses vda..vdd.
. "$(dirname "$0")/lib.sh"

ktap_print_header
ktap_set_plan 37

MB=1048576
SYS=/sys/block/md0/md

mdstat_has() { grep -q -- "$1" /proc/mdstat; }
sync_idle() {
	[ "$(cat $SYS/sync_action 2>/dev/null)" = idle ] && ! mdstat_has "recovery ="
}
# wait_idle: a recovery or resync still to come or running has ended.
wait_idle() { poll_until 120 sync_idle; }
# The data area of a member (sectors from its data offset), for comparing
# the halves of the mirror.
data_of() {
	local off bs=2048
	off=$(mdadm --examine "/dev/$1" | sed -n 's/.*Data Offset : \([0-9]*\) sectors.*/\1/p')
	# The largest block (in sectors) that both offset and length allow.
	while [ $(( off % bs )) != 0 ] || [ $(( $2 % bs )) != 0 ]; do
		bs=$(( bs / 2 ))
	done
	dd if="/dev/$1" bs=$(( bs * 512 )) skip=$(( off / bs )) count=$(( $2 / bs )) \
		iflag=direct 2>/dev/null
}
component_sectors() { echo $(( $(cat $SYS/component_size) * 2 )); }
halves_identical() {
	local n
	n=$(component_sectors)
	cmp -s <(data_of "$1" "$n") <(data_of "$2" "$n")
}
pattern_ok() { # pattern_ok <file> <offset MiB>
	cmp -s "$1" <(dd if=/dev/md0 bs=$MB skip="$2" count=$(( $(stat -c %s "$1") / MB )) \
		iflag=direct 2>/dev/null)
}
events_of() { mdadm --examine "/dev/$1" | sed -n 's/ *Events : //p'; }
sectors_read() { awk '{print $3}' "/sys/block/$1/stat"; }
mdadm_out() { out=$(mdadm "$@" 2>&1); rc=$?; }

load_md rust
dd if=/dev/urandom of=/tmp/pat1 bs=$MB count=16 2>/dev/null
dd if=/dev/urandom of=/tmp/pat2 bs=$MB count=8 2>/dev/null
mdadm --zero-superblock /dev/vda /dev/vdb /dev/vdc /dev/vdd 2>/dev/null
# 64 MiB of each member: every recovery and comparison stays short on a
# debug kernel.
mdadm --create /dev/md0 --run --level=1 --raid-devices=2 --assume-clean --size=64M \
	/dev/vda /dev/vdb >/dev/null 2>&1 &&
	dd if=/tmp/pat1 of=/dev/md0 bs=$MB oflag=direct 2>/dev/null &&
	pattern_ok /tmp/pat1 0
ktap_check "create a raid1 on vda and vdb, the pattern reads back" $?

# --- remove: only failed members and spares ---------------------------
mdadm_out --remove /dev/md0 /dev/vda
[ $rc != 0 ] && grep -q "Device or resource busy" <<<"$out"
ktap_check "--remove of a mirror in sync: EBUSY ($out)" $?
mdadm_out --remove /dev/md0 /dev/vdd
[ $rc != 0 ] && grep -q "No such device or address" <<<"$out"
ktap_check "--remove of a device that is no member: ENXIO ($out)" $?

mark=$(dmesg_mark)
mdadm_out --fail /dev/md0 /dev/vdb
[ $rc = 0 ] && mdstat_has "\[2/1\] \[U_\]" && mdstat_has "vdb\[1\](F)" &&
	dmesg_since "$mark" | grep -q "md/raid1:md0: Disk failure on vdb, disabling device"
ktap_check "--fail vdb: [U_], vdb(F), md's message ($out)" $?

before=$(events_of vda)
mdadm_out --remove /dev/md0 /dev/vdb
[ $rc = 0 ] && [ ! -e $SYS/dev-vdb ] && [ ! -e /sys/block/vdb/holders/md0 ] &&
	[ ! -e $SYS/rd1 ] && ! mdstat_has vdb
ktap_check "--remove vdb: dev-vdb, rd1 and the holder link are gone ($out)" $?
after=$(events_of vda)
[ "$after" = $((before + 1)) ] &&
	mdadm --examine /dev/vda | grep -q "Array State : A\. "
ktap_check "the remaining superblock counts one event ($before -> $after) and forgets vdb" $?

# --- add: a recovery onto a fresh device ------------------------------
echo 2000 > $SYS/sync_speed_max
mark=$(dmesg_mark)
mdadm_out --add /dev/md0 /dev/vdc
[ $rc = 0 ] && grep -q "added /dev/vdc" <<<"$out"
ktap_check "--add vdc to the degraded array ($out)" $?
recovering() { [ "$(cat $SYS/sync_action)" = recover ] && mdstat_has "recovery ="; }
poll_until 20 recovering && mdstat_has "\[2/1\] \[U_\]" &&
	[ "$(cat $SYS/dev-vdc/slot)" = 1 ] && [ -e $SYS/rd1 ]
ktap_check "a recovery onto vdc in slot 1: sync_action recover, mdstat 'recovery ='" $?
mdadm --detail /dev/md0 | grep -q "spare rebuilding *\/dev\/vdc"
ktap_check "mdadm --detail: vdc is a spare rebuilding" $?
reads=$(sectors_read vdc)
pattern_ok /tmp/pat1 0 && [ "$(sectors_read vdc)" = "$reads" ]
ktap_check "reads during the recovery never go to vdc" $?
dd if=/tmp/pat2 of=/dev/md0 bs=$MB seek=40 oflag=direct 2>/dev/null
ktap_check "writes during the recovery" $?
echo system > $SYS/sync_speed_max
wait_idle && mdstat_has "\[2/2\] \[UU\]" &&
	[ "$(cat $SYS/dev-vdc/state)" = in_sync ]
ktap_check "the recovery ends: [UU], vdc in_sync" $?
dmesg_since "$mark" | grep -q "md: recover of RAID array md0" &&
	dmesg_since "$mark" | grep -q "md: md0: recover done\."
ktap_check "md's messages: recover of RAID array md0, md0: recover done." $?
halves_identical vda vdc && pattern_ok /tmp/pat1 0 && pattern_ok /tmp/pat2 40
ktap_check "both halves identical at their data offsets, both patterns read back" $?
mdadm --examine /dev/vdc | grep -q "Device Role : Active device 1" &&
	[ "$(events_of vdc)" = "$(events_of vda)" ]
ktap_check "vdc's superblock: active device 1, the array's events" $?

# --- re-add ------------------------------------------------------------
mdadm --fail /dev/md0 /dev/vdc >/dev/null 2>&1
mdadm --remove /dev/md0 /dev/vdc >/dev/null 2>&1
mdadm_out --re-add /dev/md0 /dev/vdc
[ $rc != 0 ] && grep -q "re-add for /dev/vdc to /dev/md0 is not possible" <<<"$out" &&
	! mdstat_has vdc
ktap_check "--re-add after missed updates is not possible, as md without a bitmap" $?
mark=$(dmesg_mark)
mdadm_out --add /dev/md0 /dev/vdc
[ $rc = 0 ] && wait_idle && mdstat_has "\[2/2\] \[UU\]" &&
	dmesg_since "$mark" | grep -q "md: md0: recover done\." && halves_identical vda vdc
ktap_check "--add of the same device falls back to a full recovery ($out)" $?

mdadm --stop /dev/md0 >/dev/null 2>&1
mdadm_out --assemble --run /dev/md0 /dev/vda
[ $rc = 0 ] && mdstat_has "\[2/1\] \[U_\]"
ktap_check "assembled with vda alone: degraded ($out)" $?
mark=$(dmesg_mark)
mdadm_out --re-add /dev/md0 /dev/vdc
[ $rc = 0 ] && grep -q "re-added /dev/vdc" <<<"$out" && mdstat_has "\[2/2\] \[UU\]" &&
	[ "$(cat $SYS/dev-vdc/state)" = in_sync ] && sync_idle &&
	dmesg_since "$mark" | grep -q "md: md0: recover done\."
ktap_check "--re-add of a member that missed nothing: in sync at once, nothing copied ($out)" $?
pattern_ok /tmp/pat1 0 && pattern_ok /tmp/pat2 40 && halves_identical vda vdc
ktap_check "after the re-add: both halves identical, the patterns read back" $?

# --- spares ------------------------------------------------------------
mdadm_out --add /dev/md0 /dev/vdd
[ $rc = 0 ] && mdstat_has "vdd\[[0-9]*\](S)" && sync_idle
ktap_check "--add to an array in sync: vdd waits as a spare ($out)" $?
mdadm --fail /dev/md0 /dev/vda >/dev/null 2>&1
took_over() { mdstat_has "\[2/2\] \[UU\]" && [ "$(cat $SYS/dev-vdd/slot)" = 0 ]; }
poll_until 120 took_over && wait_idle && halves_identical vdc vdd
ktap_check "vda fails: the spare vdd is rebuilt in its slot 0" $?

mdadm --remove /dev/md0 /dev/vda >/dev/null 2>&1
mdadm_out --add /dev/md0 /dev/vda
[ $rc = 0 ] && mdstat_has "vda\[[0-9]*\](S)"
ktap_check "vda comes back as a spare ($out)" $?
mdadm --stop /dev/md0 >/dev/null 2>&1
mdadm_out --assemble --readonly --run /dev/md0 /dev/vdc /dev/vda
[ $rc = 0 ] && [ "$(cat $SYS/array_state)" = readonly ] &&
	mdstat_has "vda\[[0-9]*\](S)" && mdstat_has "\[2/1\] \[_U\]" && sync_idle
ktap_check "read-only, degraded, with a spare: no recovery yet ($out)" $?
mdadm_out --readwrite /dev/md0
rebuilt() { mdstat_has "\[2/2\] \[UU\]" && sync_idle; }
[ $rc = 0 ] && poll_until 120 rebuilt && halves_identical vda vdc &&
	pattern_ok /tmp/pat1 0
ktap_check "made writable, the recovery onto vda runs ($out)" $?
mdadm --stop /dev/md0 >/dev/null 2>&1
mdadm_out --assemble --readonly --run /dev/md0 /dev/vdc
mdadm_out --re-add /dev/md0 /dev/vda
[ $rc = 0 ] && mdstat_has "\[2/2\] \[UU\]" && [ "$(cat $SYS/array_state)" = readonly ]
ktap_check "--re-add of a member that missed nothing to a read-only array ($out)" $?
mdadm --readwrite /dev/md0 >/dev/null 2>&1

# --- faults injected under I/O -----------------------------------------
FAIL=/sys/kernel/debug/fail_make_request
if [ -d $FAIL ] && [ -e /sys/block/vda/make-it-fail ]; then
	echo 100 > $FAIL/probability
	echo -1 > $FAIL/times
	echo 0 > $FAIL/verbose
	mark=$(dmesg_mark)
	echo 1 > /sys/block/vdc/make-it-fail
	dd if=/tmp/pat2 of=/dev/md0 bs=$MB seek=24 oflag=direct 2>/dev/null
	drc=$?
	echo 0 > /sys/block/vdc/make-it-fail
	[ $drc = 0 ] && mdstat_has "\[2/1\] \[U_\]" && mdstat_has "vdc\[[0-9]*\](F)" &&
		dmesg_since "$mark" | grep -q "md/raid1:md0: Disk failure on vdc" &&
		pattern_ok /tmp/pat2 24
	ktap_check "a mirror whose writes fail is failed; the write succeeds on the other" $?
	mdadm --remove /dev/md0 /dev/vdc >/dev/null 2>&1
	mdadm_out --add /dev/md0 /dev/vdc
	[ $rc = 0 ] && wait_idle && mdstat_has "\[2/2\] \[UU\]" && halves_identical vda vdc &&
		pattern_ok /tmp/pat2 24
	ktap_check "the failed device is added back and rebuilt ($out)" $?

	echo 1 > /sys/block/vda/make-it-fail
	pattern_ok /tmp/pat1 0 && pattern_ok /tmp/pat2 24
	ktap_check "reads stay correct while vda fails them" $?
	echo 0 > /sys/block/vda/make-it-fail
	mdadm --fail /dev/md0 /dev/vda >/dev/null 2>&1
	mdadm --remove /dev/md0 /dev/vda >/dev/null 2>&1
	echo 2000 > $SYS/sync_speed_max
	mdadm --add /dev/md0 /dev/vda >/dev/null 2>&1
	poll_until 20 recovering
	echo 1 > /sys/block/vda/make-it-fail
	gone() { mdstat_has "vda\[[0-9]*\](F)" && sync_idle; }
	poll_until 60 gone && mdstat_has "\[2/1\] \[_U\]" && pattern_ok /tmp/pat1 0
	ktap_check "the device being rebuilt fails: the recovery stops, the array goes on" $?
	echo 0 > /sys/block/vda/make-it-fail
	echo system > $SYS/sync_speed_max
	mdadm --remove /dev/md0 /dev/vda >/dev/null 2>&1
	mdadm_out --add /dev/md0 /dev/vda
	[ $rc = 0 ] && wait_idle && mdstat_has "\[2/2\] \[UU\]" && halves_identical vda vdc
	ktap_check "and is rebuilt once it works again ($out)" $?
else
	for t in "write failure" "re-add after failure" "read failure" \
		"failure while rebuilt" "rebuilt after failure"; do
		ktap_test_skip "faults: $t (no CONFIG_FAIL_MAKE_REQUEST)"
	done
fi

# --- member changes under load -----------------------------------------
# fio writes and verifies while a mirror is replaced by a spare's recovery
# and a spare takes over a failed one: a write missed by either half, or a
# read of data not yet rebuilt, shows.
vdc_in_slot0() { [ "$(cat $SYS/dev-vdc/slot 2>/dev/null)" = 0 ] && rebuilt; }
fio --name=load --filename=/dev/md0 --rw=randwrite --bs=4k --direct=1 --size=60M \
	--ioengine=libaio --iodepth=8 --verify=crc32c --verify_backlog=256 \
	--time_based --runtime=20 --output=/tmp/fio.out >/dev/null 2>&1 &
fio_pid=$!
mdadm --fail /dev/md0 /dev/vdc >/dev/null 2>&1
mdadm --remove /dev/md0 /dev/vdc >/dev/null 2>&1
mdadm --zero-superblock /dev/vdc /dev/vdd >/dev/null 2>&1
mdadm --add /dev/md0 /dev/vdd >/dev/null 2>&1
poll_until 120 rebuilt
mdadm --add /dev/md0 /dev/vdc >/dev/null 2>&1
mdadm --fail /dev/md0 /dev/vda >/dev/null 2>&1
poll_until 120 vdc_in_slot0
mdadm --remove /dev/md0 /dev/vda >/dev/null 2>&1
wait $fio_pid && grep -q "err= 0" /tmp/fio.out
ktap_check "fio verifies its writes while mirrors are replaced under it" $?
rebuilt && halves_identical vdc vdd
ktap_check "after the changes under load: [UU], both halves identical" $?
echo check > $SYS/sync_action
poll_until 120 sync_idle && [ "$(cat $SYS/mismatch_cnt)" = 0 ]
ktap_check "a check finds no mismatch ($(cat $SYS/mismatch_cnt))" $?

# --- what md's log must not say ----------------------------------------
log=$(dmesg | grep -E '\] md(/raid1:|:| )')
! grep -qiE "error|call trace" <<<"$log"
ktap_check "no 'error' or call trace from md in the log" $?
# --- stops while the sync attributes are read ---------------------------
# A stop removes md/sync_* with the array's configuration locked and waits
# for their readers, which therefore must not wait for that lock.
md_attr_loop $SYS/sync_action 4 read idle check >/tmp/loop.out 2>&1 &
loop_pid=$!
mdadm --stop /dev/md0 >/dev/null 2>&1 &&
	mdadm --assemble /dev/md0 /dev/vdc /dev/vdd >/dev/null 2>&1 &&
	echo check > $SYS/sync_action &&
	mdadm --stop /dev/md0 >/dev/null 2>&1 &&
	mdadm --assemble /dev/md0 /dev/vdc /dev/vdd >/dev/null 2>&1
rc=$?
wait $loop_pid
ktap_check "stop and assemble while sync_action is read ($(cat /tmp/loop.out))" $rc

mdadm --stop /dev/md0 >/dev/null 2>&1
md_reset
! module_loaded md_mod
ktap_check "the array stops and md_mod unloads" $?
ktap_finished
