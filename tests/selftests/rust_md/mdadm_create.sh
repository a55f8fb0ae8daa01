#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Making arrays with mdadm. --create --run of raid0 and linear arrays
# (raid0: 1.0, 1.1, 1.2; linear: 0.90, 1.2), and everything the running
# array shows:
# /proc/mdstat, the md/ and dev-*/ sysfs attributes, GET_ARRAY_INFO and
# GET_DISK_INFO (unknown numbers reported removed), mdadm --detail (every
# field; Name and UUID come from the superblock mdadm finds through the
# kernel's answers), --examine, --query; the members claimed (O_EXCL open
# EBUSY, holders/slaves links, --zero-superblock refused) while it runs and
# released by --stop, after which --zero-superblock works. Expectations are
# computed from the superblocks mdadm wrote, by md's rules.
# --build (no superblock: SET_ARRAY_INFO with the whole geometry): the same
# views, the data on the members from offset 0, nothing written outside
# it, and the data found again by a second build.
#
# RMD_DRIVER=rust|c picks the driver. mdadm 4.2 refuses raid0 with 0.90
# metadata (mdadm_assemble.sh assembles such an array); the C md of 6.12
# has no linear personality, so linear cases are skipped for it. Each
# array gets a unit of its own (md10 and up): the C md frees a unit only
# seconds after a stop on the debug kernel.
. "$(dirname "$0")/lib.sh"
shopt -s extglob

CASES="raid0:1.0 raid0:1.1 raid0:1.2 linear:0.90 linear:1.2"
PER_CASE=15
PER_BUILD=10
DEVS=(/dev/vda /dev/vdb)
C=65536

ktap_print_header
ktap_set_plan $((5 * PER_CASE + 2 * PER_BUILD))
rmd_setup

drv=$RMD_DRIVER
load_md_levels "$drv"

# One case: create, check, stop, zero. Prints exactly PER_CASE results.
# (Few programs started: each costs about 0.1 s on the emulated debug
# kernel.)
run_case() { # run_case <level> <metadata> <unit>
	local level=$1 meta=$2 u=$3 md=/dev/md$3 tag="$drv $1 $2" d i out exp rc v
	local chunk_opt=() chunk_sectors comp_kib sb_ctime sb_layout layout total=0
	local -a doff size rdev_sectors num
	[ "$level" = raid0 ] && chunk_opt=(-c 64)
	for i in 0 1; do
		getv "num[$i]" /sys/class/block/${DEVS[$i]#/dev/}/dev
	done

	wipe_sb "${DEVS[@]}"
	out=$(mdadm --create $md --run -l "$level" -n 2 -e "$meta" "${chunk_opt[@]}" "${DEVS[@]}" 2>&1)
	rc=$?
	[ $rc = 0 ] && [[ "$out" == *"array $md started"* ]]
	ktap_check_out "$tag: mdadm --create --run succeeds" $? "$out"

	# What md makes of the superblocks mdadm wrote.
	local f
	for i in 0 1; do
		d=${DEVS[$i]}
		if [ "$meta" = 0.90 ]; then
			f=($(md_sb $d 0.90 get chunk_size size ctime layout magic))
			chunk_sectors=$((f[1] / 512)) comp_kib=${f[2]} sb_ctime=${f[3]} sb_layout=${f[4]}
			dev_bytes $d
			doff[$i]=0
			size[$i]=$(( (BYTES / 512 & ~127) - 128 ))
		else
			f=($(md_sb $d "$meta" get chunksize size ctime layout data_offset data_size magic))
			chunk_sectors=${f[1]} comp_kib=$((f[2] / 2)) sb_ctime=$((f[3] & 0xffffffffff))
			sb_layout=${f[4]} doff[$i]=${f[5]} size[$i]=${f[6]}
		fi
		rdev_sectors[$i]=${size[$i]}
		if [ "${chunk_sectors:-0}" -gt 0 ]; then
			rdev_sectors[$i]=$(( size[i] / chunk_sectors * chunk_sectors ))
		fi
		total=$(( total + rdev_sectors[i] ))
	done
	[ "${sb_layout:-0}" -ge 2147483648 ] && sb_layout=$((sb_layout - 4294967296))
	layout=$sb_layout
	# raid0 without the RAID0_LAYOUT feature (one zone): md forgets it.
	[ "$level" = raid0 ] && layout=-1
	local blocks=$((total / 2)) chunk_k=$((chunk_sectors / 2))
	local super=" super $meta"
	[ "$meta" = 0.90 ] && super=""
	local pers_status=" ${chunk_k}k chunks"
	[ "$level" = linear ] && pers_status=" ${chunk_k}k rounding"

	# /proc/mdstat: mdadm adds the members last to first, md lists the
	# newest first.
	exp=$(printf 'md%s : active %s vdb[1] vda[0]\n      %s blocks%s%s\n      \n' \
		"$u" "$level" "$blocks" "$super" "$pers_status")
	ktap_eq "$tag: /proc/mdstat entry" "$(mdstat_entry md$u)" "$exp"

	local S=/sys/block/md$u/md
	attrs $S level raid_disks chunk_size layout component_size metadata_version array_size array_state
	ktap_eq "$tag: md/ attributes" "$ATTRS" \
		"level=$level raid_disks=2 chunk_size=$((chunk_sectors * 512)) layout=$layout component_size=$comp_kib metadata_version=$meta array_size=default array_state=clean"

	exp="" out=""
	for i in 0 1; do
		d=${DEVS[$i]#/dev/}
		exp+="dev-$d: state=in_sync slot=$i offset=${doff[$i]} size=$(( rdev_sectors[i] / 2 )) ${num[$i]} rd$i=dev-$d; "
		attrs $S/dev-$d state slot offset size
		getv v $S/dev-$d/block/dev
		out+="dev-$d: $ATTRS $v rd$i=$(readlink $S/rd$i); "
	done
	ktap_eq "$tag: dev-*/{state,slot,offset,size,block} and rdN links" "$out" "$exp"

	dev_bytes $md
	ktap_eq "$tag: array size" "$BYTES" $((total * 512))

	local v_major=1 v_minor=${meta#1.} lvl=0
	[ "$meta" = 0.90 ] && v_major=0 v_minor=90
	[ "$level" = linear ] && lvl=-1
	exp="ok major_version=$v_major minor_version=$v_minor patch_version=3 ctime=$sb_ctime level=$lvl"
	exp+=" size=$comp_kib nr_disks=2 raid_disks=2 md_minor=$u not_persistent=0"
	exp+=" state=1 active_disks=2 working_disks=2 failed_disks=0 spare_disks=0"
	exp+=" layout=$layout chunk_size=$((chunk_sectors * 512))"
	local -a lines
	mapfile -t lines < <(md_ioctl $md array-info , disk-info 0 , disk-info 1 , disk-info 2 , \
		disk-info -1 , disk-info 27 , disk-info 1919 , disk-info 1920 , disk-info 65535 , \
		disk-info 2147483647)
	ktap_eq "$tag: GET_ARRAY_INFO (ctime is the superblock's)" "${lines[0]/ utime=+([0-9])/}" "$exp"

	exp=""
	for i in 0 1; do
		exp+="ok number=$i major=${num[$i]%:*} minor=${num[$i]#*:} raid_disk=$i state=6; "
	done
	for i in 2 -1 27 1919 1920 65535 2147483647; do
		exp+="ok number=$i major=0 minor=0 raid_disk=-1 state=8; "
	done
	out=$(printf '%s; ' "${lines[@]:1}")
	ktap_eq "$tag: GET_DISK_INFO: members active|sync, any other number removed" "$out" "$exp"

	# mdadm --examine (userspace, the superblock) and --detail (the kernel,
	# plus the superblock it finds through GET_DISK_INFO: Name, UUID and
	# Events appear only if ctime and level match the kernel's).
	local ex uuid
	ex=$(mdadm --examine /dev/vda 2>&1 | sed 's/^ *//; s/ *$//; s/  */ /g')
	if [ "$meta" = 0.90 ]; then
		uuid=$(sed -n 's/^UUID : \([0-9a-f:]*\).*/\1/p' <<<"$ex")
		out=$(expect_lines "$ex" "Version : 0.90.00" "Raid Level : $level" "Raid Devices : 2" \
			"Preferred Minor : $u" "State : clean" \
			"this 0 ${num[0]/:/ } 0 active sync /dev/vda")
	else
		uuid=$(sed -n 's/^Array UUID : //p' <<<"$ex")
		local sb_at offs
		sb_at=$(md_sb /dev/vda "$meta" where)
		offs=("Super Offset : $(( ${sb_at#ok } / 512 )) sectors")
		[ "$meta" = 1.0 ] || offs+=("Data Offset : ${doff[0]} sectors")
		out=$(expect_lines "$ex" "Version : $meta" "Raid Level : $level" "Raid Devices : 2" \
			"Name : $HOST:$u (local to host $HOST)" "${offs[@]}" \
			"Device Role : Active device 0" \
			"Array State : AA ('A' == active, '.' == missing, 'R' == replacing)")
	fi
	rc=$?
	[[ "$ex" == *"- correct"* ]] && [ -n "$uuid" ] || rc=1
	ktap_check_out "$tag: mdadm --examine of a member: fields, checksum correct" $rc "$out"

	local det want
	det=$(detail_lines $md)
	want=("Raid Level : $level" "Raid Devices : 2" "Total Devices : 2"
		"Persistence : Superblock is persistent" "State : clean"
		"Active Devices : 2" "Working Devices : 2" "Failed Devices : 0" "Spare Devices : 0"
		"Consistency Policy : none"
		"Array Size : $blocks ($(mdadm_human_kib $blocks))"
		"0 ${num[0]/:/ } 0 active sync /dev/vda"
		"1 ${num[1]/:/ } 1 active sync /dev/vdb")
	if [ "$meta" = 0.90 ]; then
		want+=("Version : 0.90" "Preferred Minor : $u" "UUID : $uuid (local to host $HOST)" "Events : 0.1")
	else
		want+=("Version : $meta" "Name : $HOST:$u (local to host $HOST)" "UUID : $uuid" "Events : 0")
	fi
	if [ "$level" = raid0 ]; then
		want+=("Layout : -unknown-" "Chunk Size : ${chunk_k}K")
	else
		want+=("Rounding : ${chunk_k}K")
	fi
	out=$(expect_lines "$det" "${want[@]}")
	rc=$?
	[[ "$det" == *$'\n'"Creation Time : "* && "$det" == *$'\n'"Update Time : "* ]] || rc=1
	ktap_check_out "$tag: mdadm --detail, every field" $rc "$out"
	[ $rc = 0 ] || sed 's/^/#   /' <<<"$det"

	out=$(mdadm --query $md /dev/vda 2>&1)
	[[ "$out" =~ (^|$'\n')"$md: "[0-9.]+[MG]"iB $level 2 devices, 0 spares. Use mdadm --detail for more detail."($'\n'|$) ]] &&
		[[ "$out" == *"/dev/vda: device 0 in 2 device active $level $md.  Use mdadm --examine for more detail."* ]]
	ktap_check_out "$tag: mdadm --query of the array and of a member" $? "$out"

	# The members are the array's while it runs.
	out="$(md_open excl "${DEVS[@]}" | tr '\n' ' ')"
	for d in "${DEVS[@]}"; do
		[ -e /sys/block/${d#/dev/}/holders/md$u ] && out+="holder "
		[ -e /sys/block/md$u/slaves/${d#/dev/} ] && out+="slave "
	done
	ktap_eq "$tag: members claimed: O_EXCL open EBUSY, holders/ and slaves/ links" "$out" \
		"open EBUSY open EBUSY holder slave holder slave "
	out=$(mdadm --zero-superblock /dev/vda 2>&1)
	rc=$?
	v=$(md_sb /dev/vda "$meta" get magic)
	[ $rc != 0 ] && [ "$v" = "ok 2838187772" ]
	ktap_check_out "$tag: --zero-superblock of a running member refused, superblock intact" $? "$out"

	out=$(mdadm --stop $md 2>&1)
	[ "$out" = "mdadm: stopped $md" ] && wait_md_gone md$u && [ -z "$(mdstat_entry md$u)" ]
	ktap_check_out "$tag: mdadm --stop; md$u gone from sysfs and /proc/mdstat" $? "$out"

	out="$(md_open excl "${DEVS[@]}" | tr '\n' ' ')"
	for d in "${DEVS[@]}"; do
		[ -e /sys/block/${d#/dev/}/holders/md$u ] && out+="holder "
	done
	ktap_eq "$tag: members released: O_EXCL open ok, no holders link" "$out" "ok ok "

	out=$(mdadm --zero-superblock "${DEVS[@]}" 2>&1 && mdadm --examine /dev/vda 2>&1)
	[[ "$out" == *"No md superblock detected on /dev/vda"* ]]
	ktap_check_out "$tag: --zero-superblock after the stop; --examine finds nothing" $? "$out"
}

# One --build case on units u (and u+1 for the second build). Prints
# exactly PER_BUILD results.
build_case() { # build_case <level> <unit>
	local level=$1 u=$2 md=/dev/md$2 tag="$drv $1 --build" out rc exp i d v
	local -a sect num
	local total=0 comp=0
	wipe_sb "${DEVS[@]}"
	out=$(mdadm --build $md -l "$level" -n2 "${DEVS[@]}" 2>&1)
	[ $? = 0 ] && [ "$out" = "mdadm: array $md built and started." ]
	ktap_check_out "$tag: built and started (default chunk 64 KiB)" $? "$out"

	for i in 0 1; do
		getv "num[$i]" /sys/class/block/${DEVS[$i]#/dev/}/dev
		dev_bytes ${DEVS[$i]}
		sect[$i]=$((BYTES / 512 / 128 * 128))
		total=$((total + sect[i]))
		[ $comp = 0 ] || [ $((sect[i] / 2)) -lt $comp ] && comp=$((sect[i] / 2))
	done
	local status="64k chunks"
	[ "$level" = linear ] && status="64k rounding"
	exp=$(printf 'md%s : active %s vdb[1] vda[0]\n      %s blocks super non-persistent %s\n      ' \
		$u "$level" $((total / 2)) "$status")
	ktap_eq "$tag: /proc/mdstat entry" "$(mdstat_entry md$u)" "$exp"

	local S=/sys/block/md$u/md layout=-1
	[ "$level" = linear ] && layout=0
	attrs $S level raid_disks chunk_size layout component_size metadata_version array_size array_state
	ktap_eq "$tag: md/ attributes" "$ATTRS" \
		"level=$level raid_disks=2 chunk_size=$C layout=$layout component_size=$comp metadata_version=none array_size=default array_state=clean"

	out="" exp=""
	for i in 0 1; do
		attrs $S/dev-${DEVS[$i]#/dev/} state slot offset size
		out+="$ATTRS; "
		exp+="state=in_sync slot=$i offset=0 size=$((sect[i] / 2)); "
	done
	ktap_eq "$tag: dev-*/ state, slot, offset 0, size" "$out" "$exp"

	local lvl=0
	[ "$level" = linear ] && lvl=-1
	out=$(md_ioctl $md array-info)
	out=${out/ ctime=+([0-9])/}
	ktap_eq "$tag: GET_ARRAY_INFO: 0.90, not persistent" "${out/ utime=+([0-9])/}" \
		"ok major_version=0 minor_version=90 patch_version=3 level=$lvl size=$comp nr_disks=2 raid_disks=2 md_minor=$u not_persistent=1 state=1 active_disks=2 working_disks=2 failed_disks=0 spare_disks=0 layout=$layout chunk_size=$C"

	local det want
	det=$(detail_lines $md)
	want=("Version :" "Raid Level : $level" "Array Size : $((total / 2)) ($(mdadm_human_kib $((total / 2))))"
		"Raid Devices : 2" "Total Devices : 2" "State : clean" "Active Devices : 2"
		"Working Devices : 2" "Failed Devices : 0" "Spare Devices : 0" "Consistency Policy : none"
		"0 ${num[0]/:/ } 0 active sync /dev/vda" "1 ${num[1]/:/ } 1 active sync /dev/vdb")
	if [ "$level" = raid0 ]; then
		want+=("Layout : -unknown-" "Chunk Size : 64K")
	else
		want+=("Rounding : 64K")
	fi
	out=$(expect_lines "$det" "${want[@]}")
	rc=$?
	[[ "$det" =~ (^|$'\n')(Persistence|Name|UUID|Events)\ : ]] && { rc=1; out+=" and a superblock's field"; }
	ktap_check_out "$tag: mdadm --detail (no persistence, name, uuid or events)" $rc "$out"

	# Data: from offset 0 of the members. raid0: chunk c on member c%2 at
	# c/2 chunks; linear: vda then vdb. b is where vdb's data starts in a
	# linear array (for raid0 just the middle).
	local b=$((sect[0] * 512)) c
	out=$(md_pattern write $md seed=41 len=1m bs=20k 2>&1 &&
		md_pattern write $md seed=41 off=$((b - 65536)) len=131072 bs=12k direct=1 2>&1)
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
	ktap_check_out "$tag: data through the array lies on the members from offset 0" $rc "$out"

	# Where a 0.90 or 1.0 superblock would go (the last 128 KiB) nothing
	# was written through the array (but for linear's vda, whose last
	# 64 KiB are data), and no format's superblock is found.
	mdadm --stop $md >/dev/null 2>&1
	wait_md_gone md$u
	out=""
	rc=0
	for d in "${DEVS[@]}"; do
		v=$(mdadm --examine "$d" 2>&1)
		[[ "$v" == *"No md superblock detected"* ]] || { rc=1; out+="$d: $v; "; }
		dev_bytes "$d"
		v=$((BYTES - 131072))
		[ "$level/$d" = linear//dev/vda ] && v=$((BYTES - 196608))
		out+=$(md_pattern zeroed "$d" off=$v len=131072 direct=1 2>&1)"; " || rc=1
	done
	ktap_check_out "$tag: stopped; no superblock written, unwritten data still zero" $rc "$out"

	md=/dev/md$((u + 1))
	out=$(mdadm --build $md -l "$level" -n2 "${DEVS[@]}" 2>&1 &&
		md_pattern verify $md seed=41 len=1m direct=1 2>&1 &&
		md_pattern verify $md seed=41 off=$((b - 65536)) len=131072 2>&1)
	ktap_check_out "$tag: built again, the data is there" $? "$out"
	out=$(mdadm --stop $md 2>&1 && md_open excl "${DEVS[@]}")
	[ $? = 0 ] && wait_md_gone md$((u + 1))
	ktap_check_out "$tag: stopped, members released" $? "$out"
}

u=10
for c in $CASES; do
	level=${c%%:*} meta=${c#*:}
	if [ "$level" = linear ] && ! has_linear "$drv"; then
		ktap_skip_n $PER_CASE "$drv $level $meta: the C md of 6.12 has no linear"
	else
		run_case "$level" "$meta" $u
		[ -e /sys/block/md$u ] && { mdadm --stop /dev/md$u >/dev/null 2>&1; wait_md_gone md$u; }
	fi
	u=$((u + 1))
done
build_case raid0 20
if has_linear "$drv"; then
	build_case linear 22
else
	ktap_skip_n $PER_BUILD "$drv linear --build: the C md of 6.12 has no linear"
fi

rmd_cleanup
ktap_finished
