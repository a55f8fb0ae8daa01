#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What the driver shows of an array is what the C md shows, byte for byte:
# /proc/mdstat, mdadm --detail (except for its times; the UUID too where
# each driver created its own array), the md/ and dev-*/ attributes,
# GET_ARRAY_INFO (except for its times) and GET_DISK_INFO, for the same
# arrays: created, assembled, read-only, half assembled by -I (inactive),
# three zones, 0.90, --build, two at once; and mdadm --examine of the
# members afterwards (neither driver rewrote a superblock). The
# Personalities line lists what each driver has (the C md here: raid0
# only), so it is checked apart.
#
# The driver compared with the C md is RMD_DRIVER (default rust);
# RMD_DRIVER=c checks that the snapshots are deterministic.
. "$(dirname "$0")/lib.sh"

ktap_print_header
ktap_set_plan 25

B=$RMD_DRIVER
SNAP=/tmp/rmd-snap
rm -rf $SNAP
mkdir -p $SNAP
stop() { mdadm --stop "$@" >/dev/null 2>&1; }

# snap <file> <md>...: what the array shows, into $SNAP/<driver>/<file>.*
# (mdstat without its Personalities line; details with times masked and,
# with MASK_UUID=1, uuids).
snap() {
	local f=$SNAP/$drv/$1 md a d i; shift
	grep -v '^Personalities : ' /proc/mdstat > $f.mdstat
	: > $f.detail
	: > $f.sysfs
	for md in "$@"; do
		mdadm --detail /dev/$md 2>&1 |
			sed -E 's/^( *(Creation|Update) Time : ).*/\1<time>/' |
			if [ "${MASK_UUID:-0}" = 1 ]; then sed -E 's/^( *UUID : ).*/\1<uuid>/'; else cat; fi >> $f.detail
		{
			echo "== $md"
			for a in level raid_disks chunk_size layout component_size metadata_version array_size array_state; do
				echo "$a=$(cat /sys/block/$md/md/$a 2>&1)"
			done
			for d in $(ls -d /sys/block/$md/md/dev-* 2>/dev/null | sort); do
				echo "${d##*/}: $(cat $d/state) slot=$(cat $d/slot) offset=$(cat $d/offset) size=$(cat $d/size) block=$(cat $d/block/dev)"
			done
			for d in $(ls -d /sys/block/$md/md/rd* 2>/dev/null | sort); do
				echo "${d##*/} -> $(basename "$(readlink $d)")"
			done
			md_ioctl /dev/$md array-info | sed 's/ ctime=[0-9]*//; s/ utime=[0-9]*//'
			for i in 0 1 2 3; do md_ioctl /dev/$md disk-info $i; done
		} >> $f.sysfs 2>&1
	done
}

# ---- reference arrays, made once by the C md -------------------------------
mdadm_forget
wipe_sb /dev/vda /dev/vdb /dev/vdc /dev/vdd
loop_make 0 4M && loop_make 1 6M && loop_make 2 10M && loop_make 3 8M && loop_make 4 8M
load_md_levels c
mdadm --create /dev/md0 --run -l0 -n2 -c 64 /dev/vda /dev/vdb >/dev/null 2>&1
mdadm --create /dev/md1 --run -l0 -n3 -c 64 /dev/loop0 /dev/loop1 /dev/loop2 >/dev/null 2>&1
make_090_raid0 64 /dev/vdc /dev/vdd
stop /dev/md0 /dev/md1
md_reset

# ---- the same scenarios under each driver ----------------------------------
for drv in c "$B"; do
	[ -d $SNAP/$drv ] && drv=$drv-again	# RMD_DRIVER=c: c against c
	mkdir -p $SNAP/$drv
	load_md_levels "${drv%-again}"
	mdadm_forget
	head -1 /proc/mdstat > $SNAP/$drv/personalities

	wipe_sb /dev/loop3 /dev/loop4
	mdadm --create /dev/md0 --run -l0 -n2 -c 64 /dev/loop3 /dev/loop4 >/dev/null 2>&1
	MASK_UUID=1 snap create md0
	stop /dev/md0
	wait_md_gone md0

	mdadm --assemble /dev/md0 /dev/vda /dev/vdb >/dev/null 2>&1
	snap assemble md0
	mdadm --readonly /dev/md0 >/dev/null 2>&1
	snap readonly md0
	stop /dev/md0
	wait_md_gone md0

	mdadm_forget
	mdadm -I /dev/vdb >/dev/null 2>&1
	snap inactive md0
	mdadm -I /dev/vda >/dev/null 2>&1
	snap incremental md0
	stop /dev/md0
	wait_md_gone md0

	mdadm --assemble /dev/md1 /dev/loop0 /dev/loop1 /dev/loop2 >/dev/null 2>&1
	snap zones md1
	stop /dev/md1
	wait_md_gone md1

	mdadm --assemble /dev/md2 /dev/vdc /dev/vdd >/dev/null 2>&1
	snap v090 md2
	stop /dev/md2
	wait_md_gone md2

	wipe_sb /dev/loop3 /dev/loop4
	mdadm --build /dev/md3 -l0 -n2 -c 32 /dev/loop3 /dev/loop4 >/dev/null 2>&1
	snap build md3
	stop /dev/md3
	wait_md_gone md3

	mdadm --assemble /dev/md0 /dev/vda /dev/vdb >/dev/null 2>&1
	mdadm --assemble /dev/md127 /dev/vdc /dev/vdd >/dev/null 2>&1
	snap two
	stop /dev/md0 /dev/md127
	wait_md_gone md0
	wait_md_gone md127

	for d in vda vdb vdc vdd loop0 loop1 loop2; do
		mdadm --examine /dev/$d 2>&1
	done > $SNAP/$drv/examine
	md_reset
done
[ "$B" = c ] && B=c-again

cmp_snap() { # cmp_snap <file> <what>: c's against B's
	local desc="$1${2:+ ${2#.}}: $B identical to c"
	[ -s $SNAP/c/$1$2 ] || desc+=" (nothing captured)"
	[ -s $SNAP/c/$1$2 ] && [ "$(cat $SNAP/$B/$1$2)" = "$(cat $SNAP/c/$1$2)" ]
	ktap_check "$desc" $?
	if ! cmp -s $SNAP/$B/$1$2 $SNAP/c/$1$2; then
		diff $SNAP/c/$1$2 $SNAP/$B/$1$2 | head -30 | sed 's/^/# /'
	fi
}
for s in create assemble; do
	cmp_snap $s .mdstat
	cmp_snap $s .detail
	cmp_snap $s .sysfs
done
cmp_snap readonly .mdstat
cmp_snap readonly .detail
cmp_snap inactive .mdstat
cmp_snap inactive .detail
cmp_snap inactive .sysfs
cmp_snap incremental .mdstat
cmp_snap incremental .detail
for s in zones v090 build; do
	cmp_snap $s .mdstat
	cmp_snap $s .detail
	cmp_snap $s .sysfs
done
cmp_snap two .mdstat
cmp_snap examine ""

# Personalities: md's format, each personality the driver has.
p=$(cat $SNAP/$B/personalities)
want="raid0"
has_linear "${B%-again}" && want="linear raid0"
got=$(sed 's/^Personalities : //; s/\[\([a-z0-9]*\)\] /\1\n/g' <<<"$p" | grep -E '^(linear|raid0)$' | sort | tr '\n' ' ')
[[ "$p" =~ ^Personalities\ :\ (\[[a-z0-9]+\]\ )*$ ]] && [ "$got" = "$want " ]
ktap_check "$B: 'Personalities : ' lists $want in md's format ('$p')" $?

loop_free
mdadm_forget
wipe_sb /dev/vda /dev/vdb /dev/vdc /dev/vdd
rm -rf $SNAP
md_reset
ktap_finished
