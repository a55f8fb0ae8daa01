#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mdadm --create --run of linear and raid0 arrays with each superblock
# format, and everything the running array shows: /proc/mdstat, the md/
# and dev-*/ sysfs attributes, GET_ARRAY_INFO and GET_DISK_INFO (unknown
# numbers reported removed), mdadm --detail (every field, Name and UUID
# from the superblock), --examine, --query; the members claimed (O_EXCL
# open EBUSY, holders links, --zero-superblock refused) while it runs and
# released by --stop, after which --zero-superblock works. Expectations
# are computed from the superblocks mdadm wrote, by md's rules.
#
# RMD_DRIVER=rust|c picks the driver. mdadm 4.2 refuses raid0 with 0.90
# metadata (mdadm_assemble.sh assembles such an array); the C md of 6.12
# has no linear personality, so linear cases are skipped for it.
. "$(dirname "$0")/lib.sh"

CASES="raid0:1.0 raid0:1.1 raid0:1.2 linear:0.90 linear:1.0 linear:1.1 linear:1.2"
PER_CASE=15
DEVS=(/dev/vda /dev/vdb)

ktap_print_header
ktap_set_plan $((7 * PER_CASE))

drv=$RMD_DRIVER
load_md_levels "$drv"
mdadm_forget
md=/dev/md0

# One case: create, check, stop, zero. Prints exactly PER_CASE results.
run_case() {
	local level=$1 meta=$2 tag="$drv $1 $2" d i out exp rc
	local chunk_opt=() chunk_sectors comp_kib sb_ctime sb_layout layout total=0
	local -a doff size rdev_sectors
	[ "$level" = raid0 ] && chunk_opt=(-c 64)

	wipe_sb "${DEVS[@]}"
	out=$(mdadm --create $md --run -l "$level" -n 2 -e "$meta" "${chunk_opt[@]}" "${DEVS[@]}" 2>&1)
	rc=$?
	[ $rc = 0 ] && grep -q "array $md started" <<<"$out"
	ktap_check_out "$tag: mdadm --create --run succeeds" $? "$out"

	# What md makes of the superblocks mdadm wrote.
	if [ "$meta" = 0.90 ]; then
		chunk_sectors=$(( $(sb_get /dev/vda 0.90 chunk_size) / 512 ))
		comp_kib=$(sb_get /dev/vda 0.90 size)
		sb_ctime=$(sb_get /dev/vda 0.90 ctime)
		sb_layout=$(sb_get /dev/vda 0.90 layout)
	else
		chunk_sectors=$(sb_get /dev/vda "$meta" chunksize)
		comp_kib=$(( $(sb_get /dev/vda "$meta" size) / 2 ))
		sb_ctime=$(( $(sb_get /dev/vda "$meta" ctime) & 0xffffffffff ))
		sb_layout=$(sb_get /dev/vda "$meta" layout)
	fi
	[ "${sb_layout:-0}" -ge 2147483648 ] && sb_layout=$((sb_layout - 4294967296))
	layout=$sb_layout
	# raid0 without the RAID0_LAYOUT feature (one zone): md forgets it.
	[ "$level" = raid0 ] && layout=-1
	for i in 0 1; do
		d=${DEVS[$i]}
		if [ "$meta" = 0.90 ]; then
			doff[$i]=0
			local s=$(( $(blockdev --getsize64 "$d") / 512 ))
			size[$i]=$(( (s & ~127) - 128 ))
		else
			doff[$i]=$(sb_get "$d" "$meta" data_offset)
			size[$i]=$(sb_get "$d" "$meta" data_size)
		fi
		rdev_sectors[$i]=${size[$i]}
		if [ "${chunk_sectors:-0}" -gt 0 ]; then
			rdev_sectors[$i]=$(( size[i] / chunk_sectors * chunk_sectors ))
		fi
		total=$(( total + rdev_sectors[i] ))
	done
	local blocks=$((total / 2)) chunk_k=$((chunk_sectors / 2))
	local super=" super $meta"
	[ "$meta" = 0.90 ] && super=""
	local pers_status=" ${chunk_k}k chunks"
	[ "$level" = linear ] && pers_status=" ${chunk_k}k rounding"

	# /proc/mdstat: mdadm adds the members last to first, md lists the
	# newest first.
	exp=$(printf 'md0 : active %s vdb[1] vda[0]\n      %s blocks%s%s\n      \n' \
		"$level" "$blocks" "$super" "$pers_status")
	ktap_eq "$tag: /proc/mdstat entry" "$(mdstat_entry md0)" "$exp"

	local S=/sys/block/md0/md a
	exp="level=$level raid_disks=2 chunk_size=$((chunk_sectors * 512)) layout=$layout"
	exp+=" component_size=$comp_kib metadata_version=$meta array_size=default array_state=clean"
	out=""
	for a in level raid_disks chunk_size layout component_size metadata_version array_size array_state; do
		out+="${out:+ }$a=$(cat $S/$a 2>&1)"
	done
	ktap_eq "$tag: md/ attributes" "$out" "$exp"

	exp="" out=""
	for i in 0 1; do
		d=${DEVS[$i]#/dev/}
		exp+="dev-$d: in_sync $i ${doff[$i]} $(( rdev_sectors[i] / 2 )) $(devnum $d) rd$i->dev-$d; "
		out+="dev-$d: $(cat $S/dev-$d/state) $(cat $S/dev-$d/slot) $(cat $S/dev-$d/offset)"
		out+=" $(cat $S/dev-$d/size) $(cat $S/dev-$d/block/dev) rd$i->$(basename "$(readlink $S/rd$i)"); "
	done 2>&1
	ktap_eq "$tag: dev-*/{state,slot,offset,size,block} and rdN links" "$out" "$exp"

	ktap_eq "$tag: array size" "$(blockdev --getsize64 $md 2>&1)" $((total * 512))

	local v_major=1 v_minor=${meta#1.} lvl=0
	[ "$meta" = 0.90 ] && v_major=0 v_minor=90
	[ "$level" = linear ] && lvl=-1
	exp="ok major_version=$v_major minor_version=$v_minor patch_version=3 ctime=$sb_ctime level=$lvl"
	exp+=" size=$comp_kib nr_disks=2 raid_disks=2 md_minor=0 not_persistent=0"
	exp+=" state=1 active_disks=2 working_disks=2 failed_disks=0 spare_disks=0"
	exp+=" layout=$layout chunk_size=$((chunk_sectors * 512))"
	out=$(md_ioctl $md array-info | sed 's/ utime=[0-9]*//')
	ktap_eq "$tag: GET_ARRAY_INFO (ctime is the superblock's)" "$out" "$exp"

	out="" exp=""
	for i in 0 1; do
		d=${DEVS[$i]}
		out+="$(md_ioctl $md disk-info $i); "
		exp+="ok number=$i major=$(devnum $d | cut -d: -f1) minor=$(devnum $d | cut -d: -f2) raid_disk=$i state=6; "
	done
	for i in 2 -1 27 1919 1920 65535 2147483647; do
		out+="$(md_ioctl $md disk-info $i); "
		exp+="ok number=$i major=0 minor=0 raid_disk=-1 state=8; "
	done
	ktap_eq "$tag: GET_DISK_INFO: members active|sync, any other number removed" "$out" "$exp"

	# mdadm --examine (userspace, the superblock) and --detail (the kernel,
	# plus the superblock it finds through GET_DISK_INFO: Name, UUID and
	# Events appear only if ctime and level match the kernel's).
	local ex uuid
	ex=$(mdadm --examine /dev/vda 2>&1 | sed 's/^ *//; s/ *$//; s/  */ /g')
	if [ "$meta" = 0.90 ]; then
		uuid=$(sed -n 's/^UUID : \([0-9a-f:]*\).*/\1/p' <<<"$ex")
		out=$(expect_lines "$ex" "Version : 0.90.00" "Raid Level : $level" "Raid Devices : 2" \
			"Preferred Minor : 0" "State : clean" \
			"this 0 $(devnum vda | tr : ' ') 0 active sync /dev/vda")
	else
		uuid=$(sed -n 's/^Array UUID : //p' <<<"$ex")
		local sb_at offs
		sb_at=$(md_sb /dev/vda "$meta" where)
		offs=("Super Offset : $(( ${sb_at#ok } / 512 )) sectors")
		[ "$meta" = 1.0 ] || offs+=("Data Offset : ${doff[0]} sectors")
		out=$(expect_lines "$ex" "Version : $meta" "Raid Level : $level" "Raid Devices : 2" \
			"Name : $HOST:0 (local to host $HOST)" "${offs[@]}" \
			"Device Role : Active device 0" \
			"Array State : AA ('A' == active, '.' == missing, 'R' == replacing)")
	fi
	rc=$?
	grep -q "Checksum : .* - correct" <<<"$ex" && [ -n "$uuid" ] || rc=1
	ktap_check_out "$tag: mdadm --examine of a member: fields, checksum correct" $rc "$out"

	local det want
	det=$(detail_lines $md)
	want=("Raid Level : $level" "Raid Devices : 2" "Total Devices : 2"
		"Persistence : Superblock is persistent" "State : clean"
		"Active Devices : 2" "Working Devices : 2" "Failed Devices : 0" "Spare Devices : 0"
		"Consistency Policy : none"
		"Array Size : $blocks ($(mdadm_human_kib $blocks))"
		"0 $(devnum vda | tr : ' ') 0 active sync /dev/vda"
		"1 $(devnum vdb | tr : ' ') 1 active sync /dev/vdb")
	if [ "$meta" = 0.90 ]; then
		want+=("Version : 0.90" "Preferred Minor : 0" "UUID : $uuid (local to host $HOST)" "Events : 0.1")
	else
		want+=("Version : $meta" "Name : $HOST:0 (local to host $HOST)" "UUID : $uuid" "Events : 0")
	fi
	if [ "$level" = raid0 ]; then
		want+=("Layout : -unknown-" "Chunk Size : ${chunk_k}K")
	else
		want+=("Rounding : ${chunk_k}K")
	fi
	out=$(expect_lines "$det" "${want[@]}")
	rc=$?
	grep -q "^Creation Time : " <<<"$det" && grep -q "^Update Time : " <<<"$det" || rc=1
	ktap_check_out "$tag: mdadm --detail, every field" $rc "$out"
	[ $rc = 0 ] || sed 's/^/#   /' <<<"$det"

	out=$(mdadm --query $md 2>&1; mdadm --query /dev/vda 2>&1)
	grep -qE "^$md: [0-9.]+[MG]iB $level 2 devices, 0 spares\. Use mdadm --detail for more detail\.\$" <<<"$out" &&
		grep -qF "/dev/vda: device 0 in 2 device active $level $md.  Use mdadm --examine for more detail." <<<"$out"
	ktap_check_out "$tag: mdadm --query of the array and of a member" $? "$out"

	# The members are the array's while it runs.
	out=""
	for d in "${DEVS[@]}"; do
		out+="$(md_open $d excl)$([ -e /sys/block/${d#/dev/}/holders/md0 ] && echo ' holder')"
		out+="$([ -e /sys/block/md0/slaves/${d#/dev/} ] && echo ' slave'); "
	done
	ktap_eq "$tag: members claimed: O_EXCL open EBUSY, holders/ and slaves/ links" "$out" \
		"open EBUSY holder slave; open EBUSY holder slave; "
	out=$(mdadm --zero-superblock /dev/vda 2>&1)
	rc=$?
	[ $rc != 0 ] && [ "$(sb_get /dev/vda "$meta" magic)" = 2838187772 ]
	ktap_check_out "$tag: --zero-superblock of a running member refused, superblock intact" $? "$out"

	out=$(mdadm --stop $md 2>&1)
	[ "$out" = "mdadm: stopped $md" ] && wait_md_gone md0 && [ -z "$(mdstat_entry md0)" ]
	ktap_check_out "$tag: mdadm --stop; md0 gone from sysfs and /proc/mdstat" $? "$out"

	out=""
	for d in "${DEVS[@]}"; do
		out+="$(md_open $d excl)$([ -e /sys/block/${d#/dev/}/holders/md0 ] && echo ' holder'); "
	done
	ktap_eq "$tag: members released: O_EXCL open ok, no holders link" "$out" "ok; ok; "

	out=$(mdadm --zero-superblock "${DEVS[@]}" 2>&1)
	[ $? = 0 ] && mdadm --examine /dev/vda 2>&1 | grep -q "No md superblock detected on /dev/vda"
	ktap_check_out "$tag: --zero-superblock after the stop; --examine finds nothing" $? "$out"
}

for c in $CASES; do
	level=${c%%:*} meta=${c#*:}
	if [ "$level" = linear ] && ! has_linear "$drv"; then
		ktap_skip_n $PER_CASE "$drv $level $meta: the C md of 6.12 has no linear"
		continue
	fi
	run_case "$level" "$meta"
	[ -e /sys/block/md0 ] && { mdadm --stop $md >/dev/null 2>&1; wait_md_gone md0; }
done

mdadm_forget
wipe_sb "${DEVS[@]}"
md_reset
ktap_finished
