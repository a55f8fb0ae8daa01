#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# raid1 resync and md/sync_action, as md 6.12 does them: a new array
# (mdadm --create without --assume-clean) resyncs in the background while
# it is written (progress in /proc/mdstat and md/, md's log lines); md's
# per-array speed limits; check, repair, resync and garbage refused while a
# resync runs; a resync stopped with the array resumes from the checkpoint
# in the superblocks, one frozen resumes from where it stopped, and a check
# asked for while a resync is owed runs the resync; check counts mismatches
# as md does (per 64 KiB block), repair rewrites them, last_sync_action
# names what ran; assembly with one mirror (refused without --run,
# degraded with it); a mirror failing in the middle of a write stream
# (mdadm --fail, injected write errors) loses no acknowledged write, read
# back from the survivor alone too; reads of a single stream stay on one
# mirror, parallel streams use both.
# Uses vda..vdd, 32 MiB of each. RMD_DRIVER=c runs it against the C md.
. "$(dirname "$0")/lib.sh"

ktap_print_header
ktap_set_plan 40

MB=1048576
SECTORS=65536		# array and member data size in sectors: --size=32M
LIMITS=/proc/sys/dev/raid

md=md0
S=/sys/block/md0/md
use_md() { md=$1; S=/sys/block/$1/md; }
attr() { local v; getv v "$S/$1" 2>/dev/null; echo "$v"; }
mdstat_has() { [[ "$(mdstat_entry "$md")" == *"$1"* ]]; }
mdadm_out() { out=$(mdadm "$@" 2>&1); rc=$?; }
# md's progress line in /proc/mdstat (status_resync).
PROGRESS_RE='^ +\[=*>\.*\]  resync = *[0-9]+\.[0-9]% \([0-9]+/32768\) finish=[0-9]+\.[0-9]min speed=[0-9]+K/sec$'
# The sectors md/sync_completed says are done, when a sync runs.
sync_done_sectors() {
	local v
	getv v "$S/sync_completed"
	[[ "$v" =~ ^([0-9]+)\ /\ $SECTORS$ ]] && echo "${BASH_REMATCH[1]}"
}
resync_running() {
	[ "$(attr sync_action)" = resync ] && [ -n "$(sync_done_sectors)" ] &&
		grep -qE "$PROGRESS_RE" <<<"$(mdstat_entry "$md")"
}
# No sync running or owed: idle, and nothing about a sync in /proc/mdstat
# (md shows "resync=PENDING" while a resync is owed but not running).
sync_quiet() {
	[ "$(attr sync_action)" = idle ] && ! mdstat_has "resync" && ! mdstat_has "check ="
}
wait_quiet() { poll_until 120 sync_quiet; }
# check_state <description> <status>: ktap_check, showing the sync state
# of the array when it failed.
check_state() {
	ktap_check "$1" "$2"
	[ "$2" = 0 ] && return
	local a
	for a in sync_action sync_completed resync_start degraded mismatch_cnt; do
		echo "# $md/md/$a: $(attr $a)"
	done
	printf '%s\n' "$(mdstat_entry "$md")" | sed 's/^/# | /'
}

# The data area of a member (sectors from its data offset), for comparing
# the halves of the mirror.
data_offset() {
	mdadm --examine "/dev/$1" | sed -n 's/.*Data Offset : \([0-9]*\) sectors.*/\1/p'
}
data_of() {
	local off
	off=$(data_offset "$1")
	dd if="/dev/$1" bs=$MB skip=$((off / 2048)) count=$(($2 / 2048)) iflag=direct 2>/dev/null
}
halves_identical() {
	cmp -s <(data_of "$1" $SECTORS) <(data_of "$2" $SECTORS)
}
# pat_write/pat_ok <seed> <offset MiB> <length MiB>: md_pattern on the array.
pat_write() {
	md_pattern write "/dev/$md" seed="$1" off=$(($2 * MB)) len=$(($3 * MB)) direct=1 >/dev/null
}
pat_ok() {
	md_pattern verify "/dev/$md" seed="$1" off=$(($2 * MB)) len=$(($3 * MB)) direct=1 >/dev/null
}
sectors_read() { awk '{print $3}' "/sys/block/$1/stat"; }
sectors_written() { awk '{print $7}' "/sys/block/$1/stat"; }
sb_resync_offset() { sb_get "/dev/$1" 1.2 resync_offset; }

rmd_setup
load_md "$RMD_DRIVER"
RMD_LOADED=$RMD_DRIVER
[ "$RMD_DRIVER" != c ] || insmod "$C_MD_DIR/raid1.ko"
mark0=$(dmesg_mark)

# --- a new array resyncs -----------------------------------------------
# The resync starts with RUN_ARRAY, before mdadm returns: the system's
# limit slows it from its first window, the array's own limit then.
echo 1000 > $LIMITS/speed_limit_max
mark=$(dmesg_mark)
mdadm_out --create /dev/md0 --run --level=1 --raid-devices=2 --size=32M /dev/vda /dev/vdb
[ $rc = 0 ] && poll_until 20 resync_running && [ "$(attr degraded)" = 0 ] &&
	[ "$(sync_done_sectors)" -lt $SECTORS ] && mdstat_has "[2/2] [UU]"
check_state "--create without --assume-clean: a resync runs (sync_action resync, sync_completed, mdstat progress, degraded 0)" $?
# md's own limit below its minimum: it syncs at about the minimum.
limits="$(attr sync_speed_min)|$(attr sync_speed_max)"
echo 900 > $S/sync_speed_max
limits+="|$(attr sync_speed_max)"
echo 200000 > $LIMITS/speed_limit_max
limits+="|$(attr sync_speed_max)|$(md_write $S/sync_speed_min 0)"
ktap_eq "sync_speed_min/max: the system's, the array's own once written, 0 refused" \
	"$limits" "1000 (system)|1000 (system)|900 (local)|900 (local)|EINVAL"

out=$(md_write $S/sync_action check $S/sync_action repair $S/sync_action resync \
	$S/sync_action recover $S/sync_action bogus | tr '\n' ' ')
resync_running
ktap_eq "while the resync runs: check, repair, resync, recover EBUSY; garbage EINVAL" \
	"$out$?" "EBUSY EBUSY EBUSY EBUSY EINVAL 0"

pat_write 1 0 4 && pat_write 2 24 4 && pat_ok 1 0 4 && pat_ok 2 24 4 && resync_running
ktap_check "writes during the resync (behind and ahead of it) read back" $?

# --- stopped in the middle: resumes from the checkpoint ----------------
resync_running
running=$?
mdadm_out --stop /dev/md0
cp_a=$(sb_resync_offset vda)
cp_b=$(sb_resync_offset vdb)
[ $running = 0 ] && [ $rc = 0 ] && [ "$cp_a" = "$cp_b" ] && [ "$cp_a" -gt 0 ] 2>/dev/null &&
	[ "$cp_a" -lt $SECTORS ] &&
	dmesg_since "$mark" | grep -q "md: md0: resync interrupted\."
check_state "--stop during the resync: interrupted, superblocks hold the checkpoint ($cp_a, $cp_b)" $?

echo 1000 > $LIMITS/speed_limit_max
use_md md1
mdadm_out --assemble /dev/md1 /dev/vda /dev/vdb
poll_until 20 resync_running
polled=$?
first=$(sync_done_sectors)
start=$(attr resync_start)
[ $rc = 0 ] && [ $polled = 0 ] && [ -n "$first" ] && [ "$first" -ge "$cp_a" ] 2>/dev/null &&
	[ "$start" -ge "$cp_a" ] 2>/dev/null
check_state "assembled again: the resync resumes from the checkpoint (sync_completed $first, resync_start $start >= $cp_a)" $?
echo 900 > $S/sync_speed_max
echo 200000 > $LIMITS/speed_limit_max

# --- frozen and idle ---------------------------------------------------
out=$(md_write $S/sync_action frozen)
cp=$(attr resync_start)
[ "$out" = ok ] && [ "$(attr sync_action)" = frozen ] && [ "$(attr sync_completed)" = none ] &&
	mdstat_has $'\tresync=PENDING' && [ "$cp" -ge "$first" ] 2>/dev/null &&
	[ "$cp" -lt $SECTORS ]
check_state "frozen stops the resync: sync_action frozen, sync_completed none, resync=PENDING, resync_start $cp ($out)" $?
# The resync writes vdb in 128-sector requests; the pattern is 4096
# sectors, md's superblock updates a few more.
w0=$(sectors_written vdb)
pat_write 3 12 2 && pat_ok 3 12 2 && [ "$(attr resync_start)" = "$cp" ] &&
	[ "$(attr sync_action)" = frozen ] && mdstat_has $'\tresync=PENDING'
rc=$?
w=$(($(sectors_written vdb) - w0))
[ $rc = 0 ] && [ $w -ge 4096 ] && [ $w -lt $((4096 + 64)) ]
check_state "while frozen, writes come and go and the resync stays where it stopped (vdb got $w sectors)" $?
out=$(md_write $S/sync_action idle)
poll_until 20 resync_running
polled=$?
now=$(sync_done_sectors)
[ "$out" = ok ] && [ $polled = 0 ] && [ -n "$now" ] && [ "$now" -ge "$cp" ]
check_state "idle: the resync goes on from where it stopped ($now >= $cp, $out)" $?

md_write $S/sync_action frozen >/dev/null
cp=$(attr resync_start)
out=$(md_write $S/sync_action check)
# (md's /proc/mdstat then says "check =" of this resync.)
resync_shown() { [ "$(attr sync_action)" = resync ] && [ -n "$(sync_done_sectors)" ]; }
poll_until 20 resync_shown
polled=$?
now=$(sync_done_sectors)
[ "$out" = ok ] && [ $polled = 0 ] && [ -n "$now" ] && [ "$now" -ge "$cp" ] 2>/dev/null
check_state "check asked for while frozen with a resync owed: md resyncs first, from $cp ($now, $out)" $?

limits=$(md_write $S/sync_speed_max system)$(attr sync_speed_max)
ktap_eq "sync_speed_max 'system': the system's limit again" "$limits" "ok200000 (system)"
wait_quiet && [ "$(attr degraded)" = 0 ] && [ "$(attr sync_completed)" = none ] &&
	mdstat_has "[2/2] [UU]"
check_state "the resync completes: idle, nothing in /proc/mdstat, degraded 0" $?
start=$(attr resync_start)
ktap_eq "resync_start after the resync" "$start" none
last=$(attr last_sync_action)
log=$(dmesg_since "$mark")
expect_lines "$(sed 's/^\[[ 0-9.]*\] //' <<<"$log")" "md: resync of RAID array md0" \
	"md: md0: resync interrupted." "md: resync of RAID array md1" "md: md1: resync done."
ktap_check "md's log: resync of RAID array md0/md1, md0 interrupted, md1 done" $?
grep -q "md/raid1:md0: not clean -- starting background reconstruction" <<<"$log" &&
	grep -q "md/raid1:md1: not clean -- starting background reconstruction" <<<"$log"
ktap_check "md's log: not clean -- starting background reconstruction (md0, md1)" $?
halves_identical vda vdb && pat_ok 1 0 4 && pat_ok 2 24 4 && pat_ok 3 12 2
ktap_check "both halves identical at their data offsets, the patterns read back" $?

# --- check and repair --------------------------------------------------
mark=$(dmesg_mark)
out=$(md_write $S/sync_action check)
wait_quiet
ktap_eq "check of the array in sync: mismatch_cnt" "$out $(attr mismatch_cnt)" "ok 0"
last+=" $(attr last_sync_action)"
dmesg_since "$mark" | grep -q "md: check of RAID array md1" &&
	dmesg_since "$mark" | grep -q "md: md1: check done\."
ktap_check "md's log: check of RAID array md1, md1: check done." $?

# Two places of vdb differ from vda: 4 KiB at array offset 1 MiB + 4 KiB
# (in pattern 1) and one sector at 8 MiB + 1.5 KiB. md compares and
# counts per request of its resync (64 KiB, 128 sectors): 256.
mdadm --stop /dev/md1 >/dev/null 2>&1
off=$(data_offset vdb)
md_pattern write /dev/vdb seed=99 off=$(((off + 2056) * 512)) len=4k direct=1 >/dev/null &&
	md_pattern write /dev/vdb seed=99 off=$(((off + 16387) * 512)) len=512 direct=1 >/dev/null &&
	! halves_identical vda vdb
ktap_check "with the array stopped, vdb is changed in two places" $?
use_md md2
mdadm_out --assemble /dev/md2 /dev/vda /dev/vdb
last+=" $(attr last_sync_action)"
[ $rc = 0 ] && sync_quiet
check_state "assembled again, in sync: no resync ($out)" $?
out=$(md_write $S/sync_action check)
wait_quiet
ktap_eq "check counts the differing 64 KiB blocks: mismatch_cnt" "$out $(attr mismatch_cnt)" "ok 256"
last+=" $(attr last_sync_action)"
halves_identical vda vdb
ktap_check "check changes nothing" $((! $?))
mark=$(dmesg_mark)
out=$(md_write $S/sync_action repair)
wait_quiet
ktap_eq "repair counts them too: mismatch_cnt" "$out $(attr mismatch_cnt)" "ok 256"
last+=" $(attr last_sync_action)"
halves_identical vda vdb && pat_ok 1 0 4 && pat_ok 2 24 4 && pat_ok 3 12 2
ktap_check "repair rewrote vdb from vda: halves identical, the patterns read back" $?
dmesg_since "$mark" | grep -q "md: repair of RAID array md2" &&
	dmesg_since "$mark" | grep -q "md: md2: repair done\."
ktap_check "md's log: repair of RAID array md2, md2: repair done." $?
out=$(md_write $S/sync_action check)
wait_quiet
ktap_eq "a check after the repair: mismatch_cnt" "$out $(attr mismatch_cnt)" "ok 0"
ktap_eq "last_sync_action after resync, check; assembled; check, repair" "$last" \
	"resync check idle check repair"

# --- reads balance -----------------------------------------------------
# md's read_balance keeps a sequential stream on its mirror (is_sequential;
# virtio disks have no optimal I/O size, so it never moves on) and gives a
# read that continues no stream to the idle or closest mirror: one reader
# uses one mirror, two readers far apart one each. (With four readers md
# ends up with about three on one mirror and one on the other.)
# read_streams <n>: n parallel O_DIRECT readers of 16 MiB, 16 MiB apart;
# the sectors vda and vdb served into RA and RB.
read_streams() {
	local a b i
	a=$(sectors_read vda)
	b=$(sectors_read vdb)
	for ((i = 0; i < $1; i++)); do
		dd if=/dev/$md of=/dev/null bs=64k iflag=direct skip=$((i * 256)) count=256 \
			2>/dev/null &
	done
	wait
	RA=$(($(sectors_read vda) - a))
	RB=$(($(sectors_read vdb) - b))
}
read_streams 1
[ $((RA + RB)) -ge 32768 ] && [ $((RA > RB ? RA : RB)) -ge $(((RA + RB) * 99 / 100)) ]
ktap_check "one sequential reader stays on one mirror (vda $RA, vdb $RB sectors)" $?
read_streams 2
[ $((RA + RB)) -ge 65536 ] && [ $RA -ge $(((RA + RB) / 5)) ] && [ $RB -ge $(((RA + RB) / 5)) ]
ktap_check "two parallel readers: each mirror serves at least a fifth (vda $RA, vdb $RB sectors)" $?

# --- assembled with one mirror ------------------------------------------
mdadm --stop /dev/md2 >/dev/null 2>&1
use_md md3
mdadm_out --assemble /dev/md3 /dev/vda
[ $rc != 0 ] && grep -q "assembled from 1 drive - need all 2 to start it (use --run to insist)" <<<"$out" &&
	wait_md_gone md3 && ! grep -q "^md3 " /proc/mdstat
ktap_check "--assemble with one mirror of two, without --run: not started, nothing left ($out)" $?
use_md md4
mark=$(dmesg_mark)
mdadm_out --assemble --run /dev/md4 /dev/vda
[ $rc = 0 ] && mdstat_has "[2/1] [U_]" && [ "$(attr degraded)" = 1 ] && sync_quiet &&
	dmesg_since "$mark" | grep -q "md/raid1:md4: active with 1 out of 2 mirrors"
check_state "--assemble --run with one mirror: degraded [2/1] [U_] ($out)" $?
pat_ok 1 0 4 && pat_ok 2 24 4 && pat_ok 3 12 2
ktap_check "the degraded array reads the patterns back" $?
mdadm --stop /dev/md4 >/dev/null 2>&1

# --- a mirror fails in the middle of a write stream -----------------------
# stream <victim> <seed> <fail command...>: 16 MiB of pattern written
# through the array with O_DIRECT; once 4 MiB reached the victim, the
# command fails it. PID_ALIVE says whether the stream still ran then,
# VICTIM_WRITTEN what the victim got of it, STREAM what md_pattern said.
stream() {
	local victim=$1 seed=$2 w0 pid
	shift 2
	w0=$(sectors_written "$victim")
	md_pattern write "/dev/$md" seed="$seed" len=16m bs=64k direct=1 > /tmp/rmd-stream 2>&1 &
	pid=$!
	victim_got() { [ $(($(sectors_written "$victim") - w0)) -ge 8192 ]; }
	poll_until 60 victim_got
	"$@" >/dev/null 2>&1
	kill -0 $pid 2>/dev/null
	PID_ALIVE=$?
	wait $pid
	STREAM="$? $(cat /tmp/rmd-stream)"
	VICTIM_WRITTEN=$(($(sectors_written "$victim") - w0))
}
mdadm --zero-superblock /dev/vdc /dev/vdd >/dev/null 2>&1
use_md md5
mdadm --create /dev/md5 --run --level=1 --raid-devices=2 --assume-clean --size=32M \
	/dev/vdc /dev/vdd >/dev/null 2>&1
mark=$(dmesg_mark)
stream vdd 5 mdadm --fail /dev/md5 /dev/vdd
[ $PID_ALIVE = 0 ] && [ $VICTIM_WRITTEN -lt 32768 ] && [ "$STREAM" = "0 ok write 16777216 bytes" ] &&
	mdstat_has "[2/1] [U_]" && mdstat_has "vdd[1](F)" &&
	dmesg_since "$mark" | grep -q "md/raid1:md5: Disk failure on vdd, disabling device\." &&
	dmesg_since "$mark" | grep -q "md/raid1:md5: Operation continuing on 1 devices\."
ktap_check "--fail vdd in the middle of a write stream: every write succeeds, [U_] ($STREAM; vdd got $VICTIM_WRITTEN sectors)" $?
pat_ok 5 0 16
ktap_check "the whole stream reads back through the array" $?
mdadm --stop /dev/md5 >/dev/null 2>&1
use_md md6
mdadm_out --assemble --run /dev/md6 /dev/vdc
[ $rc = 0 ] && mdstat_has "[2/1] [U_]" && pat_ok 5 0 16
ktap_check "assembled from the survivor vdc alone: the stream reads back ($out)" $?
mdadm --stop /dev/md6 >/dev/null 2>&1

FAIL=/sys/kernel/debug/fail_make_request
if [ -d $FAIL ] && [ -e /sys/block/vdd/make-it-fail ]; then
	echo 100 > $FAIL/probability
	echo -1 > $FAIL/times
	echo 0 > $FAIL/verbose
	mdadm --zero-superblock /dev/vdc /dev/vdd >/dev/null 2>&1
	use_md md7
	mdadm --create /dev/md7 --run --level=1 --raid-devices=2 --assume-clean --size=32M \
		/dev/vdc /dev/vdd >/dev/null 2>&1
	mark=$(dmesg_mark)
	stream vdd 7 eval "echo 1 > /sys/block/vdd/make-it-fail"
	echo 0 > /sys/block/vdd/make-it-fail
	[ $PID_ALIVE = 0 ] && [ $VICTIM_WRITTEN -lt 32768 ] &&
		[ "$STREAM" = "0 ok write 16777216 bytes" ] &&
		mdstat_has "[2/1] [U_]" && mdstat_has "vdd[1](F)" &&
		dmesg_since "$mark" | grep -q "md/raid1:md7: Disk failure on vdd, disabling device\."
	ktap_check "vdd's writes fail in the middle of a stream: vdd is failed, every write succeeds ($STREAM; vdd got $VICTIM_WRITTEN sectors)" $?
	pat_ok 7 0 16
	ktap_check "the whole stream reads back through the array" $?
	mdadm --stop /dev/md7 >/dev/null 2>&1
	use_md md8
	mdadm_out --assemble --run /dev/md8 /dev/vdc
	[ $rc = 0 ] && mdstat_has "[2/1] [U_]" && pat_ok 7 0 16
	ktap_check "assembled from the survivor vdc alone: the stream reads back ($out)" $?
	mdadm --stop /dev/md8 >/dev/null 2>&1
	echo 0 > $FAIL/probability
else
	ktap_skip_n 3 "injected write errors (no CONFIG_FAIL_MAKE_REQUEST)"
fi

# --- the end -----------------------------------------------------------
dmesg_clean_since "$mark0"
ktap_check "no kernel splat in the log" $?
echo 200000 > $LIMITS/speed_limit_max
rmd_cleanup
! module_loaded md_mod && [ -z "$(md_devices)" ]
ktap_check "the arrays stop and md_mod unloads" $?
ktap_finished
