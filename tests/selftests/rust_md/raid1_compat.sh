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
# sync_speed_max); the other shows the checkpoint (resync_start) read-only,
# resumes from it when made writable, and finishes: halves identical.
# (md logs "resuming resync ... from checkpoint" with pr_debug only, which
# this kernel compiles out: sync_completed shows where it resumed.)
#
# Each step (make, degrade, recover, interrupt, resume) runs once under
# each driver on twin arrays: md's log lines of the step, with the unit
# and members masked, must be the same.
#
# Members: vda..vdd and loop0..loop7 (tmpfs), 8 MiB of each.
. "$(dirname "$0")/lib.sh"

ktap_print_header
ktap_set_plan 70
rmd_setup

SIZE=8M
SNAP=/tmp/rmd-snap
mkdir -p $SNAP/c $SNAP/rust
for i in 0 1 2 3 4 5 6 7; do loop_make $i 12M; done

# The arrays: unit, metadata, members. A and B are made by the C md, C2 and
# D2 by the driver (clean, compared); E is degraded by the C md and F by
# the driver (recovered by the other); G is interrupted by the C md and H
# by the driver (resumed by the other). E and F, G and H share members.
declare -A U=([A]=40 [B]=41 [C2]=42 [D2]=43 [E]=44 [G]=45 [F]=46 [H]=47)
declare -A META=([A]=1.2 [B]=0.90 [C2]=1.2 [D2]=0.90 [E]=1.2 [F]=1.2 [G]=1.2 [H]=1.2)
declare -A M0=([A]=vda [B]=vdc [C2]=loop0 [D2]=loop2 [E]=loop4 [F]=loop4 [G]=loop6 [H]=loop6)
declare -A M1=([A]=vdb [B]=vdd [C2]=loop1 [D2]=loop3 [E]=loop5 [F]=loop5 [G]=loop7 [H]=loop7)
mdn() { echo "md${U[$1]}"; }
sysd() { echo "/sys/block/md${U[$1]}/md"; }
desc() { echo "$1 (raid1 ${META[$1]}, ${M0[$1]} ${M1[$1]})"; }

# load_r1 <c|rust>: md with raid1: the C md needs its raid1 module.
load_r1() {
	mdadm_forget
	load_md "$1" || return 1
	RMD_LOADED=$1
	[ "$1" != c ] || insmod "$C_MD_DIR/raid1.ko"
}
other() { [ "$1" = c ] && echo rust || echo c; }
mdadm_out() { out=$(mdadm "$@" 2>&1); rc=$?; }

create() { # create <array>: the array made afresh (a resync starts)
	local a=$1
	wipe_sb /dev/${M0[$a]} /dev/${M1[$a]} &&
		mdadm --create /dev/$(mdn $a) --run -e ${META[$a]} -l1 -n2 --size=$SIZE \
			/dev/${M0[$a]} /dev/${M1[$a]} 2>&1
}
assemble() { # assemble <array> [mdadm options]: from both members
	local a=$1
	shift
	mdadm --assemble /dev/$(mdn $a) "$@" /dev/${M0[$a]} /dev/${M1[$a]} 2>&1
}
stop() { # stop <array>...: and wait (bounded) until they are gone
	local a
	for a; do mdadm --stop /dev/$(mdn $a) >/dev/null 2>&1; done
	for a; do wait_md_gone $(mdn $a); done
}

# in_sync <array>...: idle, not degraded, both mirrors in sync in
# /proc/mdstat, no resync or recovery there. (resync_start is checked
# apart: see resync_done.)
in_sync() {
	local a s e act dg
	for a; do
		s=$(sysd $a)
		getv act $s/sync_action
		getv dg $s/degraded
		[ "$act" = idle ] && [ "$dg" = 0 ] || return 1
		e=$(mdstat_entry $(mdn $a))
		[[ $e == *"[2/2] [UU]"* && $e != *resync* && $e != *recovery* ]] || return 1
	done
}
# synced <array>...: in sync, and nothing owed (resync_start none).
synced() {
	local a rs
	in_sync "$@" || return 1
	for a; do
		getv rs $(sysd $a)/resync_start
		[ "$rs" = none ] || return 1
	done
}
# state <array>: what the waits look at, for a diagnostic.
state() {
	local s=$(sysd $1) v a
	for a in array_state sync_action resync_start sync_completed degraded; do
		getv v $s/$a
		printf '%s=%s ' $a "$v"
	done
	mdstat_entry $(mdn $1) | tr '\n' ' '
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
		getv rs $(sysd $a)/resync_start
		[ "$rs" = none ] || bad+=" $a: $rs"
	done
	[ -z "$bad" ] || { echo "# resync_start:$bad"; return 1; }
}

# The data area of a member (from its data offset, component_size long)
# and the two halves of a running array compared.
data_of() { # data_of <array> <member>
	local off n bs=2048 s
	s=$(sysd $1)
	getv off $s/dev-$2/offset
	getv n $s/component_size
	n=$((n * 2))
	while [ $((off % bs)) != 0 ] || [ $((n % bs)) != 0 ]; do bs=$((bs / 2)); done
	dd if=/dev/$2 bs=$((bs * 512)) skip=$((off / bs)) count=$((n / bs)) iflag=direct 2>/dev/null
}
halves_identical() { # halves_identical <array>
	local a=$1
	[ -e $(sysd $a)/dev-${M0[$a]} ] && [ -e $(sysd $a)/dev-${M1[$a]} ] &&
		cmp <(data_of $a ${M0[$a]}) <(data_of $a ${M1[$a]}) 2>&1
}

# The data: seed 61 over the whole array when it is made, seed 62 over
# [1 MiB, 3 MiB) while degraded, seed 63 over [0, 2 MiB) while resyncing.
pattern() { # pattern <write|verify> <array> <seed>
	local md=/dev/$(mdn $2)
	case $3 in
	61) md_pattern $1 $md seed=61 bs=1m direct=1 ;;
	62) md_pattern $1 $md seed=62 off=1m len=2m bs=256k direct=1 ;;
	63) md_pattern $1 $md seed=63 off=0 len=2m bs=256k direct=1 ;;
	esac
}
# verify_all <array>: seed 61 where nothing else was written, and 62.
verify_61_62() {
	local md=/dev/$(mdn $1)
	md_pattern verify $md seed=61 off=0 len=1m bs=256k direct=1 &&
		md_pattern verify $md seed=62 off=1m len=2m bs=256k direct=1 &&
		md_pattern verify $md seed=61 off=3m bs=1m direct=1
}

# ---- what a driver shows of an array -----------------------------------
# snap <tag> <array>...: into $SNAP/<driver>/<tag>.<array>.*: the mdstat
# entry, --detail with its times masked, the attributes and ioctl answers.
snap() {
	local tag=$1 a md f l d
	shift
	for a; do
		md=$(mdn $a) f=$SNAP/$drv/$tag.$a
		mdstat_entry $md > $f.mdstat
		while IFS= read -r l; do
			[[ "$l" =~ ^(\ *(Creation|Update)\ Time\ :\ ) ]] && l="${BASH_REMATCH[1]}<time>"
			echo "$l"
		done < <(mdadm --detail /dev/$md 2>&1) > $f.detail
		{
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
			md_ioctl /dev/$md array-info , disk-info 0 , disk-info 1 , disk-info 2 |
				sed 's/ ctime=[0-9]*//; s/ utime=[0-9]*//'
		} > $f.sysfs 2>&1
	done
}
# snap_examine <tag> <array>...: mdadm --examine of the members, times
# and checksums masked.
snap_examine() {
	local tag=$1 a m l
	shift
	for a; do
		for m in ${M0[$a]} ${M1[$a]}; do
			while IFS= read -r l; do
				[[ "$l" =~ ^(\ *((Creation|Update)\ Time|Checksum)\ :\ ) ]] &&
					l="${BASH_REMATCH[1]}<masked>"
				echo "$l"
			done < <(mdadm --examine /dev/$m 2>&1)
		done > $SNAP/$drv/$tag.$a.examine
	done
}
# log_of <mark> <tag> <array>...: md's kernel log lines about each array
# (its unit or members) since the mark, without their times, the unit as
# mdN and the members as M0 and M1, into $SNAP/<driver>/<tag>.<array>.log:
# comparable between arrays that went through the same steps.
log_of() {
	local mark=$1 tag=$2 a u m0 m1
	shift 2
	dmesg_since "$mark" | sed 's/^\[[ 0-9.]*\] //' > $SNAP/log
	for a; do
		u=$(mdn $a) m0=${M0[$a]} m1=${M1[$a]}
		grep -E "^md.*($u([^0-9]|\$)|$m0|$m1)" $SNAP/log |
			sed "s/$u/mdN/g; s/$m0/M0/g; s/$m1/M1/g" > $SNAP/$drv/$tag.$a.log
	done
}
# same <file> <description> [<driver's file>]: the C md's snapshot file
# against the driver's (of the same array, or of one that went through
# the same steps).
same() {
	local a=$SNAP/c/$1 b=$SNAP/rust/${3:-$1}
	[ -s $a ] && [ -s $b ] && cmp -s $a $b
	ktap_check "$2: rust shows what c shows" $?
	[ -s $a ] || echo "# nothing captured by c for $1"
	[ -s $b ] || echo "# nothing captured by rust for ${3:-$1}"
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
	ktap_check "$drv makes $*, 8 MiB: resynced to the end, written" $rc
	resync_start_none "$@"
	ktap_check "$drv: $*: resync_start none after the resync" $?
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
		synced $a || rc=1
		[ "$(cat $(sysd $a)/array_state)" = clean ] || rc=1
		ktap_check_out "$drv assembles $(desc $a): [2/2] [UU], clean, idle, resync_start none" $rc "$out$(state $a)"
		out=$(pattern verify $a 61 2>&1)
		ktap_check_out "$drv: $a: the data written by $(other $drv) reads back" $? "$out"
		out=$(halves_identical $a)
		ktap_check_out "$drv: $a: both halves identical" $? "$out"
	done
	snap clean "$@"
	out=""
	for a; do
		synced $a && [ "$(cat $(sysd $a)/mismatch_cnt)" = 0 ] || out+=" $a"
		dmesg_since "$mark" | grep -q "md: resync of RAID array $(mdn $a)" && out+=" $a(log)"
	done
	[ -z "$out" ]
	ktap_check_out "$drv: no resync started on $*" $? "resynced:$out"
	stop "$@"
	log_of "$mark" clean "$@"
	snap_examine stopped "$@"
}

# view <array>...: assembled by this driver (after the other checked them),
# for the comparison only.
view() {
	local a mark out rc=0
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
	local a=$1 m=${M1[$1]} md=/dev/$(mdn $1) out rc e mark
	mark=$(dmesg_mark)
	out=$(mdadm --fail $md /dev/$m 2>&1 && mdadm --remove $md /dev/$m 2>&1 &&
		pattern write $a 62 2>&1)
	rc=$?
	e=$(mdstat_entry $(mdn $a))
	[[ $e == *"[2/1] [U_]"* && $e != *$m* ]] || rc=1
	ktap_check_out "$drv: $a: --fail and --remove $m, [U_], more data written" $rc "$out"
	stop $a
	log_of "$mark" degrade $a
}

# recover <array>: assembled degraded from its survivor, the removed
# device added back and rebuilt.
recover() {
	local a=$1 m=${M1[$1]} md=/dev/$(mdn $1) s=$(sysd $1) out rc mark e dg
	mark=$(dmesg_mark)
	mdadm_out --assemble --run $md /dev/${M0[$a]}
	e=$(mdstat_entry $(mdn $a))
	getv dg $s/degraded
	[ $rc = 0 ] && [[ $e == *"[2/1] [U_]"* ]] && [ "$dg" = 1 ]
	ktap_check_out "$drv assembles $(desc $a) degraded by $(other $drv) with --run: [U_], degraded 1" $? "$out"
	out=$(verify_61_62 $a 2>&1)
	ktap_check_out "$drv: $a degraded: all the data reads back" $? "$out"
	mdadm_out --add $md /dev/$m
	[ $rc = 0 ] && wait_in_sync $a && resync_start_none $a
	ktap_check_out "$drv: --add $m: a recovery to the end, [2/2] [UU], degraded 0" $? "$out"
	dmesg_since "$mark" | grep -q "md: recover of RAID array $(mdn $a)" &&
		dmesg_since "$mark" | grep -q "md: $(mdn $a): recover done\."
	ktap_check "$drv: $a: md's messages: recover of RAID array, recover done." $?
	out=$(halves_identical $a && verify_61_62 $a 2>&1)
	ktap_check_out "$drv: $a recovered: both halves identical, all the data reads back" $? "$out"
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
	local a=$1 s=$(sysd $1) out rc mark
	mark=$(dmesg_mark)
	out=$(create $a)
	rc=$?
	echo 100 > $s/sync_speed_min
	echo 500 > $s/sync_speed_max
	out+=$(pattern write $a 63 2>&1) || rc=1
	poll_until 120 past_quarter $s || rc=1
	stop $a
	CP[$a]=$(sb_get /dev/${M0[$a]} 1.2 resync_offset)
	[ $rc = 0 ] && [ "${CP[$a]:-0}" -gt 0 ] && [ "${CP[$a]}" -lt 16384 ] &&
		[ "$(sb_get /dev/${M1[$a]} 1.2 resync_offset)" = "${CP[$a]}" ]
	ktap_check_out "$drv: $(desc $a) stopped mid-resync: resync offset ${CP[$a]} of 16384 in both superblocks" $? "$out"
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
	local a=$1 s=$(sysd $1) out rc st rs act mark
	mark=$(dmesg_mark)
	mdadm_out --assemble --readonly /dev/$(mdn $a) /dev/${M0[$a]} /dev/${M1[$a]}
	getv st $s/array_state
	getv rs $s/resync_start
	getv act $s/sync_completed
	[ $rc = 0 ] && [ "$st" = readonly ] && [ "$rs" = "${CP[$a]}" ] && [ "$act" = none ]
	ktap_check_out "$drv assembles $a read-only: resync_start $rs is the checkpoint ${CP[$a]}, no resync yet ($st, $act)" $? "$out"
	echo 100 > $s/sync_speed_min
	echo 500 > $s/sync_speed_max
	PROG=""
	mdadm_out --readwrite /dev/$(mdn $a)
	[ $rc = 0 ] && poll_until 60 first_progress $s && [ "$PROG" -ge "${CP[$a]}" ] &&
		[ "$PROG" -lt 16384 ]
	ktap_check_out "$drv: $a made writable: the resync resumes at ${PROG:-?} (checkpoint ${CP[$a]})" $? "$out"
	echo system > $s/sync_speed_min
	echo system > $s/sync_speed_max
	wait_in_sync $a && dmesg_since "$mark" | grep -q "md: resync of RAID array $(mdn $a)" &&
		dmesg_since "$mark" | grep -q "md: $(mdn $a): resync done\."
	ktap_check "$drv: $a: the resync ends (resync of RAID array, resync done.): [UU], idle" $?
	resync_start_none $a
	ktap_check "$drv: $a: resync_start none after the resync" $?
	out=$(halves_identical $a && md_pattern verify /dev/$(mdn $a) seed=63 off=0 len=2m bs=256k direct=1 2>&1)
	ktap_check_out "$drv: $a: both halves identical, the data written during the resync reads back" $? "$out"
	stop $a
	log_of "$mark" resume $a
}

# ---- 1: the C md makes A, B, E (degraded) and G (interrupted) -------------
drv=c
load_r1 c
make_clean A B E
degrade E
interrupt G
stop A B
save_sb A B
md_reset

# ---- 2: the driver checks them and makes C2, D2, F, H ---------------------
drv=rust
load_r1 rust
check_clean A B
restore_sb A B
recover E
resume G
make_clean C2 D2 F
degrade F
interrupt H
stop C2 D2
save_sb C2 D2
md_reset

# ---- 3: the C md's view of A and B; it checks the driver's arrays ----------
drv=c
load_r1 c
view A B
check_clean C2 D2
restore_sb C2 D2
recover F
resume H
md_reset

# ---- 4: the driver's view of C2 and D2 -------------------------------------
drv=rust
load_r1 rust
view C2 D2
md_reset

# ---- the two views of each array, byte for byte -----------------------------
for a in A B C2 D2; do
	same clean.$a.mdstat "$(desc $a): its /proc/mdstat entry"
	same clean.$a.detail "$(desc $a): mdadm --detail"
	same clean.$a.sysfs "$(desc $a): attributes and ioctls"
	same stopped.$a.examine "$(desc $a): mdadm --examine after the stop"
	same clean.$a.log "$(desc $a): md's log of its assembly and stop"
done
# ---- md's log of the same steps on twin arrays ------------------------------
same create.A.log "raid1 1.2 made (c: A, rust: C2): md's log" create.C2.log
same create.B.log "raid1 0.90 made (c: B, rust: D2): md's log" create.D2.log
same degrade.E.log "a mirror failed and removed (c: E, rust: F): md's log" degrade.F.log
same recover.F.log "assembled degraded, a device added and recovered (c: F, rust: E): md's log" recover.E.log
same interrupt.G.log "a resync interrupted by a stop (c: G, rust: H): md's log" interrupt.H.log
same resume.H.log "assembled read-only mid-resync, made writable, resynced (c: H, rust: G): md's log" resume.G.log

rmd_cleanup
ktap_finished
