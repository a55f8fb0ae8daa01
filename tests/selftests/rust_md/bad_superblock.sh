#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Members with corrupted superblocks: bad magic, checksum, sizes (data
# beyond the device, a superblock bigger than md allows), offsets
# (superblock elsewhere, data overlapping it or beyond the device), unknown
# feature bits, another array's uuid, impossible device number or
# raid_disks; 1.2 and 0.90. For each: ADD_NEW_DISK (after a good member)
# refuses it with EINVAL, or RUN_ARRAY does where md only finds out then;
# the kernel says so in at most MAX_LOG_LINES lines and without a splat;
# mdadm --assemble does not start the array; and after all cases no byte of
# any member outside the corrupted superblock has changed.
#
# md accepts a 1.2 data offset beyond the end of the device (its size
# check wraps) and fails the I/O later: for that case an I/O error when the
# array is read there is accepted too.
#
# RMD_DRIVER=rust|c picks the driver.
. "$(dirname "$0")/lib.sh"

# The C md logs up to three lines for a refused member, e.g.
#   md: invalid superblock checksum on loop1
#   md: loop1 does not have a valid v1.2 superblock, not importing!
#   md: md_import_device returned -22
MAX_LOG_LINES=3

# name : md_sb arguments : what md does (add: ADD_NEW_DISK fails with
# EINVAL; any: that or RUN_ARRAY fails with EINVAL; io: that or the array
# runs and reading the member's part fails with EIO) : mdadm (whether to
# try mdadm --assemble too: only where mdadm, which checks much in user
# space first, gives the member to the kernel)
CASES_12=(
	"bad magic:set magic 0x12345678:add:"
	"bad checksum:set-raw u8@40 0x41:add:mdadm"
	"data size beyond the device:set data_size 40000:add:mdadm"
	"max_dev above 1920:set max_dev 2000:add:mdadm"
	"super_offset not where it is:set super_offset 16:add:"
	"data offset overlapping the superblock:set data_offset 8:add:mdadm"
	"data offset beyond the device:set data_offset 100000:io:mdadm"
	"unknown feature bit:set feature_map 0x8000:add:mdadm"
	"another array's uuid:set set_uuid 00112233445566778899aabbccddeeff:add:"
	"device number 5000:set dev_number 5000:any:mdadm"
	"raid_disks 0:set raid_disks 0:any:"
)
CASES_090=(
	"bad magic:set magic 0x12345678:add:"
	"bad checksum:set-raw u32@300 7:add:"
	"another array's uuid:set set_uuid0 4660:add:"
	"raid_disks 0:set raid_disks 0:add:"
)
n_mdadm=$(printf '%s\n' "${CASES_12[@]}" "${CASES_090[@]}" | grep -c ':mdadm$')
ktap_print_header
ktap_set_plan $(( ${#CASES_12[@]} + ${#CASES_090[@]} + n_mdadm + 2 ))
rmd_setup

drv=$RMD_DRIVER
load_md_levels "$drv"
stop() { mdadm --stop "$@" >/dev/null 2>&1; }
unit=50	# each case its own units: the C md frees one only seconds after a stop

# Two 4 MiB loop members per format, with data.
loop_make 0 2M && loop_make 1 2M && loop_make 2 2M && loop_make 3 2M
mdadm --create /dev/md1 --run -l0 -n2 -c 64 /dev/loop0 /dev/loop1 >/dev/null 2>&1
md_pattern write /dev/md1 seed=61 >/dev/null
stop /dev/md1
make_090_raid0 64 /dev/loop2 /dev/loop3
mdadm --assemble /dev/md2 /dev/loop2 /dev/loop3 >/dev/null 2>&1
md_pattern write /dev/md2 seed=62 >/dev/null
stop /dev/md2
md_sb /dev/loop1 1.2 save /tmp/rmd-sb-good12 >/dev/null
md_sb /dev/loop3 0.90 save /tmp/rmd-sb-good090 >/dev/null

# sums <good> <bad> <sb offset>: the good member whole, the bad one but for
# the 4 KiB of its superblock.
sums() {
	local size
	dev_bytes "$2"
	size=$BYTES
	echo "$(md_pattern sum "$1" direct=1 bs=1m) $(md_pattern sum "$2" len="$3" direct=1)" \
		"$(md_pattern sum "$2" off=$(($3 + 4096)) len=$((size - $3 - 4096)) direct=1 bs=1m)"
}
SB12=$(md_sb /dev/loop1 1.2 where) SB12=${SB12#ok }
SB090=$(md_sb /dev/loop3 0.90 where) SB090=${SB090#ok }
before12=$(sums /dev/loop0 /dev/loop1 $SB12)
before090=$(sums /dev/loop2 /dev/loop3 $SB090)

nmark=0
mark() { # a kernel log mark without a fork, into MARK
	MARK="rmd-bad-sb-$$-$((++nmark))"
	echo "$MARK" > /dev/kmsg
}

run_case() { # run_case <format> <good> <bad> <name:args:expect>
	local fmt=$1 good=$2 bad=$3 name args expect with_mdadm out add run io rc
	local md md_by_mdadm=/dev/md$((unit + 50))
	md=$(md_node $unit)
	unit=$((unit + 1))
	IFS=: read -r name args expect with_mdadm <<<"$4"
	local tag="$drv $fmt: $name"
	local major=1 minor=2 saved=/tmp/rmd-sb-good12 g b
	[ "$fmt" = 0.90 ] && major=0 minor=90 saved=/tmp/rmd-sb-good090
	getv g /sys/class/block/${good#/dev/}/dev
	getv b /sys/class/block/${bad#/dev/}/dev

	md_sb "$bad" "$fmt" load $saved >/dev/null
	# shellcheck disable=SC2086
	md_sb "$bad" "$fmt" $args >/dev/null

	# The kernel alone: SET_ARRAY_INFO, the good member, the bad one, RUN.
	md_ioctl $md set-version $major $minor , add-disk "$g" >/dev/null
	local m1 m2
	mark; m1=$MARK
	add=$(md_ioctl $md add-disk "$b")
	mark; m2=$MARK
	run=$(md_ioctl $md run)
	io=""
	# Running with the corrupt member: read all of the array.
	[ "$run" = ok ] && io=$(md_pattern sum $md direct=1 bs=64k 2>&1)
	local stopped
	stopped=$(md_ioctl $md stop)
	case "$expect/$add/$run/$io" in
	add/EINVAL/EINVAL/) rc=0 ;;
	any/EINVAL/EINVAL/ | any/ok/EINVAL/) rc=0 ;;
	io/EINVAL/EINVAL/ | io/ok/EINVAL/) rc=0 ;;
	io/ok/ok/read\ at\ *\ EIO) rc=0 ;;
	*) rc=1 ;;
	esac
	[ "$stopped" = ok ] || rc=1
	# Its log lines (not counting the debug kernel's delayed kobject
	# releases and the block layer's autoload notice), and no splat.
	local log
	log=$(dmesg | sed -n "/$m1/,\$p" | grep -vE '^\[[ 0-9.]*\] (kobject: |block device autoloading)')
	grep -qE "$SPLAT_RE" <<<"$log" && rc=1
	log=$(awk -v b="$m2" 'index($0, b) { exit } NR > 1' <<<"$log")
	[ "$(grep -c . <<<"$log")" -le $MAX_LOG_LINES ] || rc=1
	ktap_check_out "$tag: refused (ADD_NEW_DISK $add, RUN_ARRAY $run${io:+, read: $io}), at most $MAX_LOG_LINES log lines" \
		$rc "stop: $stopped"$'\n'"$log"

	# mdadm, where it gives the member to the kernel.
	[ "$with_mdadm" = mdadm ] || return 0
	md=$md_by_mdadm
	out=$(mdadm --assemble $md "$good" "$bad" 2>&1)
	rc=$?
	if [ $rc = 0 ]; then
		io=$(md_pattern sum $md direct=1 bs=64k 2>&1)
		out+=$'\n'"read: $io"
		mdadm --stop $md >/dev/null 2>&1
		[ "$expect" = io ] && [[ "$io" == read\ at\ *\ EIO ]]
	else
		[ -z "$(mdstat_entry ${md#/dev/})" ]
	fi
	rc=$?
	local what="mdadm --assemble does not start it"
	[ "$expect" = io ] && what+=" (or reading it fails)"
	ktap_check_out "$tag: $what" $rc "$out"
	# (mdadm opens the array's node before it gives up: the C md keeps
	# what an open made until an ioctl or a clear)
	[ ! -e /sys/block/${md#/dev/} ] || echo clear > /sys/block/${md#/dev/}/md/array_state
}

for c in "${CASES_12[@]}"; do
	run_case 1.2 /dev/loop0 /dev/loop1 "$c"
done
for c in "${CASES_090[@]}"; do
	run_case 0.90 /dev/loop2 /dev/loop3 "$c"
done

md_sb /dev/loop1 1.2 load /tmp/rmd-sb-good12 >/dev/null
md_sb /dev/loop3 0.90 load /tmp/rmd-sb-good090 >/dev/null
ktap_eq "$drv 1.2: no byte of either member changed outside the superblock" \
	"$(sums /dev/loop0 /dev/loop1 $SB12)" "$before12"
ktap_eq "$drv 0.90: no byte of either member changed outside the superblock" \
	"$(sums /dev/loop2 /dev/loop3 $SB090)" "$before090"

rmd_cleanup
ktap_finished
