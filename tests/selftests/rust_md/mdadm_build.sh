#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mdadm --build: arrays without superblocks (SET_ARRAY_INFO with the whole
# geometry, ADD_NEW_DISK with number/raid_disk/state, RUN_ARRAY). Checks
# /proc/mdstat ("super non-persistent"), sysfs (metadata_version none, data
# from offset 0, the whole device), GET_ARRAY_INFO (not_persistent), mdadm
# --detail, the data on the members at offset 0, that nothing is written
# outside the data (no superblock appears), and that building the same
# geometry again finds the data. raid0 and linear (mdadm --build defaults
# both to 64 KiB chunks; linear rounds each member down to them).
#
# RMD_DRIVER=rust|c picks the driver; linear is skipped for c.
. "$(dirname "$0")/lib.sh"

PER_LEVEL=10
ktap_print_header
ktap_set_plan $((2 * PER_LEVEL))

drv=$RMD_DRIVER
load_md_levels "$drv"
mdadm_forget
DEVS=(/dev/vda /dev/vdb)
C=65536
stop() { mdadm --stop "$@" >/dev/null 2>&1; }

build_case() {
	local level=$1 tag="$drv $1 --build" out rc exp i d
	wipe_sb "${DEVS[@]}"
	out=$(mdadm --build /dev/md0 -l "$level" -n2 "${DEVS[@]}" 2>&1)
	[ $? = 0 ] && [ "$out" = "mdadm: array /dev/md0 built and started." ]
	ktap_check_out "$tag: built and started (default chunk 64 KiB)" $? "$out"

	local -a sect
	local total=0 comp=0
	for i in 0 1; do
		sect[$i]=$(( $(blockdev --getsize64 ${DEVS[$i]}) / 512 / 128 * 128 ))
		total=$((total + sect[i]))
		[ $comp = 0 ] || [ $((sect[i] / 2)) -lt $comp ] && comp=$((sect[i] / 2))
	done
	local status="64k chunks"
	[ "$level" = linear ] && status="64k rounding"
	exp=$(printf 'md0 : active %s vdb[1] vda[0]\n      %s blocks super non-persistent %s\n      ' \
		"$level" $((total / 2)) "$status")
	ktap_eq "$tag: /proc/mdstat entry" "$(mdstat_entry md0)" "$exp"

	local S=/sys/block/md0/md a layout=-1
	[ "$level" = linear ] && layout=0
	out=""
	for a in level raid_disks chunk_size layout component_size metadata_version array_size array_state; do
		out+="${out:+ }$a=$(cat $S/$a 2>&1)"
	done
	ktap_eq "$tag: md/ attributes" "$out" \
		"level=$level raid_disks=2 chunk_size=$C layout=$layout component_size=$comp metadata_version=none array_size=default array_state=clean"

	out="" exp=""
	for i in 0 1; do
		d=${DEVS[$i]#/dev/}
		out+="$(cat $S/dev-$d/state) $(cat $S/dev-$d/slot) $(cat $S/dev-$d/offset) $(cat $S/dev-$d/size); "
		exp+="in_sync $i 0 $((sect[i] / 2)); "
	done
	ktap_eq "$tag: dev-*/ state, slot, offset 0, size" "$out" "$exp"

	local lvl=0
	[ "$level" = linear ] && lvl=-1
	out=$(md_ioctl /dev/md0 array-info | sed 's/ ctime=[0-9]*//; s/ utime=[0-9]*//')
	ktap_eq "$tag: GET_ARRAY_INFO: 0.90, not persistent" "$out" \
		"ok major_version=0 minor_version=90 patch_version=3 level=$lvl size=$comp nr_disks=2 raid_disks=2 md_minor=0 not_persistent=1 state=1 active_disks=2 working_disks=2 failed_disks=0 spare_disks=0 layout=$layout chunk_size=$C"

	local det want
	det=$(detail_lines /dev/md0)
	want=("Version :" "Raid Level : $level" "Array Size : $((total / 2)) ($(mdadm_human_kib $((total / 2))))"
		"Raid Devices : 2" "Total Devices : 2" "State : clean" "Active Devices : 2"
		"Working Devices : 2" "Failed Devices : 0" "Spare Devices : 0" "Consistency Policy : none"
		"0 $(devnum vda | tr : ' ') 0 active sync /dev/vda" "1 $(devnum vdb | tr : ' ') 1 active sync /dev/vdb")
	if [ "$level" = raid0 ]; then
		want+=("Layout : -unknown-" "Chunk Size : 64K")
	else
		want+=("Rounding : 64K")
	fi
	out=$(expect_lines "$det" "${want[@]}")
	rc=$?
	grep -qE "^(Persistence|Name|UUID|Events) :" <<<"$det" && { rc=1; out+=" and a superblock field"; }
	ktap_check_out "$tag: mdadm --detail (no persistence, name, uuid or events)" $rc "$out"

	# Data: from offset 0 of the members. raid0: chunk c on member c%2 at
	# c/2 chunks; linear: vda then vdb. b is where vdb's data starts in a
	# linear array (for raid0 just the middle).
	local b=$((sect[0] * 512))
	out=$(md_pattern write /dev/md0 seed=41 len=1m bs=20k 2>&1 &&
		md_pattern write /dev/md0 seed=41 off=$((b - 65536)) len=131072 bs=12k direct=1 2>&1)
	rc=$?
	if [ $rc = 0 ] && [ "$level" = raid0 ]; then
		for c in 0 1 2 3 15 $(( (b - 65536) / C )) $(( b / C )); do
			out+=$(md_pattern verify ${DEVS[$((c % 2))]} seed=41 off=$((c / 2 * C)) len=$C aoff=$((c * C)) 2>&1) || rc=1
		done
	elif [ $rc = 0 ]; then
		out+=$(md_pattern verify /dev/vda seed=41 len=1m 2>&1 &&
			md_pattern verify /dev/vda seed=41 off=$((b - 65536)) len=65536 2>&1 &&
			md_pattern verify /dev/vdb seed=41 len=65536 aoff=$b 2>&1) || rc=1
	fi
	ktap_check_out "$tag: data through md0 lies on the members from offset 0" $rc "$out"

	# Where a 0.90 or 1.0 superblock would go (the last 128 KiB) nothing
	# was written through the array (but for linear's vda, whose last
	# 64 KiB are data), and no format's superblock is found.
	stop /dev/md0
	wait_md_gone md0
	out=""
	rc=0
	for d in "${DEVS[@]}"; do
		mdadm --examine "$d" 2>&1 | grep -q "No md superblock detected" || { rc=1; out+="$d: superblock; "; }
		local sz=$(blockdev --getsize64 "$d") zoff
		zoff=$((sz - 131072))
		[ "$level/$d" = linear//dev/vda ] && zoff=$((sz - 196608))
		out+=$(md_pattern zeroed "$d" off=$zoff len=131072 direct=1 2>&1)"; " || rc=1
	done
	ktap_check_out "$tag: stopped; no superblock written, unwritten data still zero" $rc "$out"

	out=$(mdadm --build /dev/md0 -l "$level" -n2 "${DEVS[@]}" 2>&1 &&
		md_pattern verify /dev/md0 seed=41 len=1m direct=1 2>&1 &&
		md_pattern verify /dev/md0 seed=41 off=$((b - 65536)) len=131072 2>&1)
	ktap_check_out "$tag: built again, the data is there" $? "$out"
	out=$(mdadm --stop /dev/md0 2>&1)
	[ $? = 0 ] && wait_md_gone md0 && [ "$(md_open /dev/vda excl)" = ok ]
	ktap_check_out "$tag: stopped, members released" $? "$out"
}

build_case raid0
if has_linear "$drv"; then
	build_case linear
else
	ktap_skip_n $PER_LEVEL "$drv linear --build: the C md of 6.12 has no linear"
fi

mdadm_forget
wipe_sb "${DEVS[@]}"
md_reset
ktap_finished
