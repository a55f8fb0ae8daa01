#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# raid1 arrays passed between the C md (md-mod.ko + raid1.ko) and the
# driver, both ways, with 1.2 and 0.90 superblocks:
#
# Clean arrays: made, resynced and written by one driver, stopped, then
# assembled by the other: no resync starts, the data reads back, both
# halves are identical. Each driver's view of the same array, byte for
# byte: its /proc/mdstat entry, mdadm --detail (times masked), the md/ and
# dev-*/ attributes, GET_ARRAY_INFO/GET_DISK_INFO, md's log lines of the
# assembly and stop, and mdadm --examine of the members after each
# driver's stop (times and checksums masked; both drivers start from the
# same superblocks, restored in between).
#
# Degraded arrays: one driver fails and removes a mirror, writes more, and
# stops; the other assembles the survivor with --run, the removed device is
# added back, a recovery runs to completion: halves identical, all data
# reads back.
#
# Interrupted resyncs: one driver stops an array mid-resync (slowed by
# /proc/sys/dev/raid/speed_limit_max); the other shows the checkpoint (resync_start) read-only,
# resumes from it when made writable, and finishes: halves identical.
# (md logs "resuming resync ... from checkpoint" with pr_debug only, which
# this kernel compiles out: sync_completed shows where it resumed.)
#
# Each step (make, degrade, recover, interrupt, resume) runs once under
# each driver on twin arrays: what the drivers show after it (mdstat,
# --detail, attributes, ioctls; masked what differs between any two
# arrays: names, UUIDs, events, device numbers) and md's log lines of the
# step (the unit and members masked) must be the same.
#
# Members: loop0..loop7 (tmpfs, 8 MiB) and vda..vdd, 4 MiB of each;
# twins on members of the same kind.
#
# The driver is RMD_DRIVER (default rust); RMD_DRIVER=c checks the test
# itself, the C md against the C md (as "c-again").
. "$(dirname "$0")/lib.sh"

ktap_print_header
ktap_set_plan 78
rmd_setup

SIZE=4M SECTORS=8192	# of each member, and the array in sectors
SNAP=/tmp/rmd-snap
R=$RMD_DRIVER		# the driver's role: rust, or c-again checking the test
[ "$R" = c ] && R=c-again
mkdir -p $SNAP/c $SNAP/$R
for i in 0 1 2 3 4 5 6 7; do loop_make $i 8M; done

# The arrays: unit, metadata, members. A and B are made by the C md, C2 and
# D2 by the driver (clean, compared); E is degraded by the C md and F by
# the driver (recovered by the other); G is interrupted by the C md and H
# by the driver (resumed by the other). E and F, G and H share members.
declare -A U=([A]=40 [B]=41 [C2]=42 [D2]=43 [E]=44 [G]=45 [F]=46 [H]=47)
declare -A META=([A]=1.2 [B]=0.90 [C2]=1.2 [D2]=0.90 [E]=1.2 [F]=1.2 [G]=1.2 [H]=1.2)
declare -A M0=([A]=loop0 [B]=loop2 [C2]=loop4 [D2]=loop6 [E]=vda [F]=vda [G]=vdc [H]=vdc)
declare -A M1=([A]=loop1 [B]=loop3 [C2]=loop5 [D2]=loop7 [E]=vdb [F]=vdb [G]=vdd [H]=vdd)
# (In variables: every fork costs on the emulated debug kernel.)
declare -A MD DESC
for a in "${!U[@]}"; do
	MD[$a]=md${U[$a]}
	DESC[$a]="$a (raid1 ${META[$a]}, ${M0[$a]} ${M1[$a]})"
done

# load_r1 <c|$R>: md with raid1 for this role (the C md needs its raid1
# module); the steps that follow run under it (drv), the arrays' other
# one is OTHER.
load_r1() {
	local d=c
	drv=$1 OTHER=$R
	[ $1 = $R ] && d=$RMD_DRIVER OTHER=c
	mdadm_forget
	load_md $d || return 1
	RMD_LOADED=$d
	[ $d != c ] || insmod "$C_MD_DIR/raid1.ko"
}
mdadm_out() { out=$(mdadm "$@" 2>&1); rc=$?; }

create() { # create <array>: the array made afresh (a resync starts)
	local a=$1
	wipe_sb /dev/${M0[$a]} /dev/${M1[$a]} &&
		mdadm --create /dev/${MD[$a]} --run -e ${META[$a]} -l1 -n2 --size=$SIZE \
			/dev/${M0[$a]} /dev/${M1[$a]} 2>&1
}
assemble() { # assemble <array> [mdadm options]: from both members
	local a=$1
	shift
	mdadm --assemble /dev/${MD[$a]} "$@" /dev/${M0[$a]} /dev/${M1[$a]} 2>&1
}
stop() { # stop <array>...: and wait (bounded) until they are gone
	local a
	for a; do mdadm --stop /dev/${MD[$a]} >/dev/null 2>&1; done
	for a; do wait_md_gone ${MD[$a]}; done
}

# entry_of <mdX>: its /proc/mdstat entry into ENTRY (mdstat_entry without
# the fork of a command substitution).
entry_of() {
	local l p=0
	ENTRY=""
	while IFS= read -r l; do
		if [ $p = 0 ]; then
			[[ "$l" == "$1 : "* ]] || continue
			p=1
		fi
		ENTRY+="$l"$'\n'
		[[ "$l" =~ ^\ *$ ]] && break
	done < /proc/mdstat
}
# in_sync <array>...: idle, not degraded, both mirrors in sync in
# /proc/mdstat, no resync or recovery there. (resync_start is checked
# apart: resync_start_none.)
in_sync() {
	local a s act dg
	for a; do
		s=/sys/block/${MD[$a]}/md
		getv act $s/sync_action
		getv dg $s/degraded
		[ "$act" = idle ] && [ "$dg" = 0 ] || return 1
		entry_of ${MD[$a]}
		[[ $ENTRY == *"[2/2] [UU]"* && $ENTRY != *resync* && $ENTRY != *recovery* ]] || return 1
	done
}
# synced <array>...: in sync, and nothing owed (resync_start none).
synced() {
	local a rs
	in_sync "$@" || return 1
	for a; do
		getv rs /sys/block/${MD[$a]}/md/resync_start
		[ "$rs" = none ] || return 1
	done
}
# state <array>: what the waits look at, for a diagnostic.
state() {
	local s=/sys/block/${MD[$1]}/md v a
	for a in array_state sync_action resync_start sync_completed degraded; do
		getv v $s/$a
		printf '%s=%s ' $a "$v"
	done
	mdstat_entry ${MD[$1]} | tr '\n' ' '
}
# wait_in_sync <array>...: until in_sync (a resync or recovery to its
# end); says what it saw when it gives up.
wait_in_sync() {
	local a
	poll_until 120 in_sync "$@" && return 0
	for a; do echo "# $a: $(state $a)"; done
	return 1
}
# resync_start_none <array>...: md shows nothing owed after a resync.
resync_start_none() {
	local a rs bad=""
	for a; do
		getv rs /sys/block/${MD[$a]}/md/resync_start
		[ "$rs" = none ] || bad+=" $a: $rs"
	done
	[ -z "$bad" ] || { echo "# resync_start:$bad"; return 1; }
}

# The data area of a member (from its data offset, component_size long)
# and the two halves of a running array compared.
data_of() { # data_of <array> <member>
	local off n bs=2048 s
	s=/sys/block/${MD[$1]}/md
	getv off $s/dev-$2/offset
	getv n $s/component_size
	n=$((n * 2))
	while [ $((off % bs)) != 0 ] || [ $((n % bs)) != 0 ]; do bs=$((bs / 2)); done
	dd if=/dev/$2 bs=$((bs * 512)) skip=$((off / bs)) count=$((n / bs)) iflag=direct 2>/dev/null
}
halves_identical() { # halves_identical <array>
	local a=$1
	[ -e /sys/block/${MD[$a]}/md/dev-${M0[$a]} ] && [ -e /sys/block/${MD[$a]}/md/dev-${M1[$a]} ] &&
		cmp <(data_of $a ${M0[$a]}) <(data_of $a ${M1[$a]}) 2>&1
}

# The data: seed 61 over the whole array when it is made, seed 62 over
# [1 MiB, 3 MiB) while degraded, seed 63 over [0, 1 MiB) while resyncing.
pattern() { # pattern <write|verify> <array> <seed>
	local md=/dev/${MD[$2]}
	case $3 in
	61) md_pattern $1 $md seed=61 bs=1m direct=1 ;;
	62) md_pattern $1 $md seed=62 off=1m len=2m bs=256k direct=1 ;;
	63) md_pattern $1 $md seed=63 off=0 len=1m bs=256k direct=1 ;;
	esac
}
# verify_61_62 <array>: seed 61 where nothing else was written, and 62.
verify_61_62() {
	local md=/dev/${MD[$1]}
	md_pattern verify $md seed=61 off=0 len=1m bs=256k direct=1 &&
		md_pattern verify $md seed=62 off=1m len=2m bs=256k direct=1 &&
		md_pattern verify $md seed=61 off=3m bs=1m direct=1
}

# ---- what a driver shows of an array -----------------------------------
# attrs_of <mdX>: its md/ and dev-*/ attributes, rd* links, and the
# answers of GET_ARRAY_INFO and GET_DISK_INFO.
attrs_of() {
	local md=$1 d
	attrs /sys/block/$md/md level raid_disks chunk_size layout component_size \
		metadata_version array_size array_state consistency_policy \
		resync_start sync_action sync_completed degraded mismatch_cnt \
		sync_speed_min sync_speed_max
	echo "$ATTRS"
	for d in /sys/block/$md/md/dev-*; do
		[ -e "$d" ] || continue
		attrs $d state slot offset size errors recovery_start block/dev
		echo "${d##*/}: $ATTRS"
	done
	for d in /sys/block/$md/md/rd*; do
		[ -e "$d" ] && echo "${d##*/} -> $(readlink $d)"
	done
	md_ioctl /dev/$md array-info , disk-info 0 , disk-info 1 , disk-info 2
}
# Masks (sed -E) of what differs between two views of the same array
# (times, checksums), and between twin arrays (also UUIDs, names, events,
# device numbers, where a resync was stopped).
MASK_TIMES='s/^( *(Creation Time|Update Time|Checksum) : ).*/\1<masked>/; s/ [cu]time=[0-9]+//g'
MASK_TWIN='s/^( *((Array |Device )?UUID|Name|Events|Preferred Minor) : ).*/\1<masked>/;
	s/^( +(-|[0-9]+) +)[0-9]+ +[0-9]+ /\1<major> <minor> /;
	s/ (md_minor|major|minor)=[0-9]+//g; s/ block\/dev=[0-9:]+//'
MASK_CHECKPOINT='s/resync_start=[0-9]+/resync_start=<checkpoint>/;
	s/^( *(Resync Status|Resync Offset) : ).*/\1<masked>/'

# snap <tag> <array>...: what the driver shows of each array, into
# $SNAP/<driver>/<tag>.<array>.{mdstat,detail,sysfs}, times masked.
snap() {
	local tag=$1 a md f
	shift
	for a; do
		md=${MD[$a]} f=$SNAP/$drv/$tag.$a
		mdstat_entry $md > $f.mdstat
		mdadm --detail /dev/$md 2>&1 | sed -E "$MASK_TIMES" > $f.detail
		attrs_of $md 2>&1 | sed -E "$MASK_TIMES" > $f.sysfs
	done
}
# snap_examine <tag> <array>...: mdadm --examine of the members, times
# and checksums masked.
snap_examine() {
	local tag=$1 a
	shift
	for a; do
		mdadm --examine /dev/${M0[$a]} /dev/${M1[$a]} 2>&1 |
			sed -E "$MASK_TIMES" > $SNAP/$drv/$tag.$a.examine
	done
}
# snap_twin <tag> <array>: all snap shows in one file, comparable between
# twin arrays (the same steps under each driver): the unit as mdN, the
# members as M0 and M1, the twin masks (and after an interrupted resync,
# where it was stopped).
snap_twin() {
	local tag=$1 a=$2 md=${MD[$2]} cp=""
	[ "$tag" != readonly ] || cp=$MASK_CHECKPOINT
	{
		mdstat_entry $md
		echo
		mdadm --detail /dev/$md
		attrs_of $md
	} 2>&1 | sed -E "s/$md/mdN/g; s/${M0[$a]}/M0/g; s/${M1[$a]}/M1/g;
		$MASK_TIMES; $MASK_TWIN; $cp" > $SNAP/$drv/$tag.$a.twin
}
# examine_twin <tag> <array>: mdadm --examine of the members of a stopped
# array, comparable between twins as snap_twin (where a resync was
# stopped masked too).
examine_twin() {
	local a=$2
	mdadm --examine /dev/${M0[$a]} /dev/${M1[$a]} 2>&1 |
		sed -E "s/${MD[$a]}/mdN/g; s/${M0[$a]}/M0/g; s/${M1[$a]}/M1/g;
			$MASK_TIMES; $MASK_TWIN; $MASK_CHECKPOINT" > $SNAP/$drv/$1.$a.twin
}
# now_clean <array>: array_state clean (md marks an array clean 200 ms
# after its last write).
now_clean() { local st; getv st /sys/block/${MD[$1]}/md/array_state; [ "$st" = clean ]; }

# The global speed limits (KiB/s), low while a resync is to be caught
# mid-way: the driver starts a resync at once when the array runs, before
# an array's own limit could be written.
throttle() {
	echo $1 > /proc/sys/dev/raid/speed_limit_min
	echo $2 > /proc/sys/dev/raid/speed_limit_max
}
throttle_on() { throttle 100 500; }
throttle_off() { throttle 1000 200000; }

# log_of <mark> <tag> <array>...: md's kernel log lines about each array
# (its unit or members) since the mark, without their times, the unit as
# mdN and the members as M0 and M1, into $SNAP/<driver>/<tag>.<array>.log:
# comparable between arrays that went through the same steps.
log_of() {
	local mark=$1 tag=$2 a u m0 m1
	shift 2
	dmesg_since "$mark" | sed 's/^\[[ 0-9.]*\] //' > $SNAP/log
	for a; do
		u=${MD[$a]} m0=${M0[$a]} m1=${M1[$a]}
		grep '^md' $SNAP/log | grep -E "$u([^0-9]|\$)|$m0|$m1" |
			sed "s/$u/mdN/g; s/$m0/M0/g; s/$m1/M1/g" > $SNAP/$drv/$tag.$a.log
	done
}
# same <file> <description> [<driver's file>]: the C md's snapshot file
# against the driver's (of the same array, or of one that went through
# the same steps).
same() {
	local a=$SNAP/c/$1 b=$SNAP/$R/${3:-$1}
	[ -s $a ] && [ -s $b ] && cmp -s $a $b
	ktap_check "$2: $R shows what c shows" $?
	[ -s $a ] || echo "# nothing captured by c for $1"
	[ -s $b ] || echo "# nothing captured by $R for ${3:-$1}"
	cmp -s $a $b || diff $a $b 2>&1 | head -40 | sed 's/^/# /'
}

# save_sb/restore_sb <array>...: the members' superblock areas, so that
# both drivers start from the same superblocks.
save_sb() {
	local a m
	for a; do
		for m in ${M0[$a]} ${M1[$a]}; do
			md_sb /dev/$m ${META[$a]} save /tmp/rmd-sb-$m >/dev/null || return 1
		done
	done
}
restore_sb() {
	local a m
	for a; do
		for m in ${M0[$a]} ${M1[$a]}; do
			md_sb /dev/$m ${META[$a]} load /tmp/rmd-sb-$m >/dev/null || return 1
		done
	done
}

# ---- steps, each run by one driver (drv) ---------------------------------

# make_clean <array>...: made, resynced, written with seed 61.
make_clean() {
	local a out rc=0 mark
	mark=$(dmesg_mark)
	for a; do
		out=$(create $a) || { echo "# $a: $out"; rc=1; }
	done
	wait_in_sync "$@" || rc=1
	for a; do
		out=$(pattern write $a 61 2>&1) || { echo "# $a: $out"; rc=1; }
	done
	ktap_check "$drv makes $*, 4 MiB: resynced to the end, written" $rc
	resync_start_none "$@"
	ktap_check "$drv: $*: resync_start none after the resync" $?
	for a; do
		poll_until 20 now_clean $a
		snap_twin made $a
	done
	log_of "$mark" create "$@"
}

# check_clean <array>...: assembled by the other driver than made them:
# clean, no resync, data, halves; a snapshot; stopped; the examine
# snapshot.
check_clean() {
	local a mark out rc
	mark=$(dmesg_mark)
	for a; do
		out=$(assemble $a)
		rc=$?
		synced $a && now_clean $a || { rc=1; out+=$'\n'$(state $a); }
		ktap_check_out "$drv assembles ${DESC[$a]}: [2/2] [UU], clean, idle, resync_start none" $rc "$out"
		out=$(pattern verify $a 61 2>&1)
		ktap_check_out "$drv: $a: the data written by $OTHER reads back" $? "$out"
		out=$(halves_identical $a)
		ktap_check_out "$drv: $a: both halves identical" $? "$out"
	done
	snap clean "$@"
	out=""
	for a; do
		synced $a && [ "$(cat /sys/block/${MD[$a]}/md/mismatch_cnt)" = 0 ] || out+=" $a"
		dmesg_since "$mark" | grep -q "md: resync of RAID array ${MD[$a]}" && out+=" $a(log)"
	done
	[ -z "$out" ]
	ktap_check_out "$drv: no resync started on $*" $? "resynced:$out"
	stop "$@"
	log_of "$mark" clean "$@"
	snap_examine stopped "$@"
}

# view <array>...: assembled by this driver from the same superblocks as
# the other one, for the comparison only.
view() {
	local a mark out rc=0
	# (the C md makes a unit again only once it was released)
	for a; do wait_md_released ${MD[$a]}; done
	mark=$(dmesg_mark)
	for a; do
		out=$(assemble $a) || { rc=1; echo "# $a: $out"; }
	done
	snap clean "$@"
	stop "$@"
	log_of "$mark" clean "$@"
	snap_examine stopped "$@"
	ktap_check "$drv assembles and stops $* for the comparison" $rc
}

# degrade <array>: the second mirror failed and removed, more data written,
# stopped.
degrade() {
	local a=$1 m=${M1[$1]} md=/dev/${MD[$1]} out rc mark
	mark=$(dmesg_mark)
	out=$(mdadm --fail $md /dev/$m 2>&1 && mdadm --remove $md /dev/$m 2>&1 &&
		pattern write $a 62 2>&1)
	rc=$?
	entry_of ${MD[$a]}
	[[ $ENTRY == *"[2/1] [U_]"* && $ENTRY != *$m* ]] || rc=1
	ktap_check_out "$drv: $a: --fail and --remove $m, [U_], more data written" $rc "$out"
	poll_until 20 now_clean $a
	snap_twin degraded $a
	stop $a
	examine_twin degraded-stopped $a
	log_of "$mark" degrade $a
}

# recover <array>: assembled degraded from its survivor, the removed
# device added back and rebuilt.
recover() {
	local a=$1 m=${M1[$1]} md=/dev/${MD[$1]} s=/sys/block/${MD[$1]}/md out rc mark dg
	mark=$(dmesg_mark)
	mdadm_out --assemble --run $md /dev/${M0[$a]}
	entry_of ${MD[$a]}
	getv dg $s/degraded
	[ $rc = 0 ] && [[ $ENTRY == *"[2/1] [U_]"* ]] && [ "$dg" = 1 ]
	ktap_check_out "$drv assembles ${DESC[$a]} degraded by $OTHER with --run: [U_], degraded 1" $? "$out"
	out=$(verify_61_62 $a 2>&1)
	ktap_check_out "$drv: $a degraded: all the data reads back" $? "$out"
	mdadm_out --add $md /dev/$m
	[ $rc = 0 ] && wait_in_sync $a && resync_start_none $a
	ktap_check_out "$drv: --add $m: a recovery to the end, [2/2] [UU], degraded 0" $? "$out"
	dmesg_since "$mark" | grep -q "md: recover of RAID array ${MD[$a]}" &&
		dmesg_since "$mark" | grep -q "md: ${MD[$a]}: recover done\."
	ktap_check "$drv: $a: md's messages: recover of RAID array, recover done." $?
	out=$(halves_identical $a && verify_61_62 $a 2>&1)
	ktap_check_out "$drv: $a recovered: both halves identical, all the data reads back" $? "$out"
	poll_until 20 now_clean $a
	snap_twin recovered $a
	stop $a
	log_of "$mark" recover $a
}

# interrupt <array>: made, resyncing slowly, written (seed 63), stopped
# after a quarter: the resync offset recorded in the superblocks (CP).
past_quarter() {
	local v
	getv v $1/sync_completed
	[[ "$v" =~ ^([0-9]+)\ /\ ([0-9]+)$ ]] &&
		[ $((BASH_REMATCH[1] * 4)) -ge "${BASH_REMATCH[2]}" ]
}
declare -A CP
interrupt() {
	local a=$1 s=/sys/block/${MD[$1]}/md out rc mark t0
	mark=$(dmesg_mark)
	throttle_on
	t0=$EPOCHREALTIME
	out=$(create $a)
	rc=$?
	out+=$(pattern write $a 63 2>&1) || rc=1
	poll_until 120 past_quarter $s || rc=1
	echo "# $drv: $a: $(<$s/sync_completed) after $(awk "BEGIN { print $EPOCHREALTIME - $t0 }") s at speed_limit_max 500"
	stop $a
	throttle_off
	examine_twin interrupted $a
	CP[$a]=$(sb_get /dev/${M0[$a]} 1.2 resync_offset)
	[ $rc = 0 ] && [ "${CP[$a]:-0}" -gt 0 ] && [ "${CP[$a]}" -lt $SECTORS ] &&
		[ "$(sb_get /dev/${M1[$a]} 1.2 resync_offset)" = "${CP[$a]}" ]
	ktap_check_out "$drv: ${DESC[$a]} stopped mid-resync: resync offset ${CP[$a]} of $SECTORS in both superblocks" $? "$out"
	log_of "$mark" interrupt $a
}

# resume <array>: assembled read-only by the other driver, the checkpoint
# shown; made writable, the resync goes on from there to the end.
first_progress() { # the first sync_completed beyond 0, into PROG
	local v
	getv v $1/sync_completed
	[[ "$v" =~ ^([0-9]+)\ /\ ([0-9]+)$ ]] && [ "${BASH_REMATCH[1]}" -gt 0 ] &&
		PROG=${BASH_REMATCH[1]}
}
resume() {
	local a=$1 s=/sys/block/${MD[$1]}/md out rc st rs act mark
	mark=$(dmesg_mark)
	mdadm_out --assemble --readonly /dev/${MD[$a]} /dev/${M0[$a]} /dev/${M1[$a]}
	getv st $s/array_state
	getv rs $s/resync_start
	getv act $s/sync_completed
	[ $rc = 0 ] && [ "$st" = readonly ] && [ "$rs" = "${CP[$a]}" ] && [ "$act" = none ]
	ktap_check_out "$drv assembles $a read-only: resync_start $rs is the checkpoint ${CP[$a]}, no resync yet ($st, $act)" $? "$out"
	snap_twin readonly $a
	throttle_on
	PROG=""
	mdadm_out --readwrite /dev/${MD[$a]}
	[ $rc = 0 ] && poll_until 60 first_progress $s && [ "$PROG" -ge "${CP[$a]}" ] &&
		[ "$PROG" -lt $SECTORS ]
	ktap_check_out "$drv: $a made writable: the resync resumes at ${PROG:-?} (checkpoint ${CP[$a]})" $? "$out"
	throttle_off
	wait_in_sync $a && dmesg_since "$mark" | grep -q "md: resync of RAID array ${MD[$a]}" &&
		dmesg_since "$mark" | grep -q "md: ${MD[$a]}: resync done\."
	ktap_check "$drv: $a: the resync ends (resync of RAID array, resync done.): [UU], idle" $?
	resync_start_none $a
	ktap_check "$drv: $a: resync_start none after the resync" $?
	out=$(halves_identical $a && md_pattern verify /dev/${MD[$a]} seed=63 off=0 len=1m bs=256k direct=1 2>&1)
	ktap_check_out "$drv: $a: both halves identical, the data written during the resync reads back" $? "$out"
	poll_until 20 now_clean $a
	snap_twin resumed $a
	stop $a
	log_of "$mark" resume $a
}

# ---- 1: the C md makes A, B, E (degraded) and G (interrupted) -------------
load_r1 c
make_clean A B E
degrade E
interrupt G
stop A B
save_sb A B
md_reset

# ---- 2: the driver checks them, makes C2, D2, F, H; its view of C2, D2 -------
load_r1 $R
check_clean A B
restore_sb A B
recover E
resume G
make_clean C2 D2 F
degrade F
interrupt H
stop C2 D2
save_sb C2 D2
view C2 D2
restore_sb C2 D2
md_reset

# ---- 3: the C md's view of A and B; it checks the driver's arrays ----------
load_r1 c
view A B
check_clean C2 D2
recover F
resume H
md_reset

# ---- the two views of each array, byte for byte -----------------------------
for a in A B C2 D2; do
	same clean.$a.mdstat "${DESC[$a]}: its /proc/mdstat entry"
	same clean.$a.detail "${DESC[$a]}: mdadm --detail"
	same clean.$a.sysfs "${DESC[$a]}: attributes and ioctls"
	same stopped.$a.examine "${DESC[$a]}: mdadm --examine after the stop"
	same clean.$a.log "${DESC[$a]}: md's log of its assembly and stop"
done
# ---- twin arrays: what each driver shows after the same steps ---------------
same made.A.twin "raid1 1.2 made, resynced, written (c: A, $R: C2): mdstat, --detail, attributes, ioctls" made.C2.twin
same made.B.twin "raid1 0.90 made, resynced, written (c: B, $R: D2): mdstat, --detail, attributes, ioctls" made.D2.twin
same degraded.E.twin "a mirror failed and removed (c: E, $R: F): mdstat, --detail, attributes, ioctls" degraded.F.twin
same degraded-stopped.E.twin "then stopped (c: E, $R: F): mdadm --examine" degraded-stopped.F.twin
same recovered.F.twin "assembled degraded, a device added and recovered (c: F, $R: E): mdstat, --detail, attributes, ioctls" recovered.E.twin
same interrupted.G.twin "a resync interrupted by a stop (c: G, $R: H): mdadm --examine" interrupted.H.twin
same readonly.H.twin "interrupted mid-resync, assembled read-only (c: H, $R: G): mdstat, --detail, attributes, ioctls" readonly.G.twin
same resumed.H.twin "then made writable and resynced (c: H, $R: G): mdstat, --detail, attributes, ioctls" resumed.G.twin
# ---- md's log of the same steps on twin arrays ------------------------------
same create.A.log "raid1 1.2 made (c: A, $R: C2): md's log" create.C2.log
same create.B.log "raid1 0.90 made (c: B, $R: D2): md's log" create.D2.log
same degrade.E.log "a mirror failed and removed (c: E, $R: F): md's log" degrade.F.log
same recover.F.log "assembled degraded, a device added and recovered (c: F, $R: E): md's log" recover.E.log
same interrupt.G.log "a resync interrupted by a stop (c: G, $R: H): md's log" interrupt.H.log
same resume.H.log "assembled read-only mid-resync, made writable, resynced (c: H, $R: G): md's log" resume.G.log

rmd_cleanup
ktap_finished
