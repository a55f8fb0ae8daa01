#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Bad input from user space, and what md answers. md ioctls with bad
# arguments and in the wrong state:
# unmapped, null and half-mapped argument pointers (EFAULT), unknown
# numbers (ENOTTY), queries of an array without geometry (ENODEV),
# RUN_ARRAY without members (EINVAL), ADD_NEW_DISK of a nonexistent dev_t
# (ENXIO), of a major beyond dev_t's (EOVERFLOW), of a device without a
# superblock (EINVAL), of a member already in this or another array
# (EBUSY), SET_ARRAY_INFO once members are there (EBUSY); on a running
# raid0: hot add/remove/fail refused, GET_DISK_INFO of any number answered
# (unknown ones removed), RESTART_ARRAY_RW/RUN_ARRAY/STOP_ARRAY_RO in the
# wrong state, STOP_ARRAY with another opener (EBUSY); the whole-geometry
# SET_ARRAY_INFO (--build by hand) and RUN_ARRAY refusing impossible
# geometries. Garbage written to the md/ and dev-*/ attributes of a
# running, an inactive and an empty array: EINVAL mostly (ERANGE for
# numbers too big for an int, EBUSY for metadata_version of an array with
# members), values unchanged; array_state's other words. No splat anywhere.
#
# RMD_DRIVER=rust|c picks the driver.
. "$(dirname "$0")/lib.sh"

ktap_print_header
ktap_set_plan 43
rmd_setup

drv=$RMD_DRIVER
load_md_levels "$drv"
md=$(md_node 0)
KADDR=0xffff888000000000	# a kernel address: never valid from user space
start_mark=$(dmesg_mark)
ioc() { md_ioctl $md "$@" | tr '\n' ' '; }
getv VDA /sys/class/block/vda/dev
getv VDB /sys/class/block/vdb/dev
getv VDC /sys/class/block/vdc/dev
getv VDD /sys/class/block/vdd/dev

# Members with superblocks (vda, vdb), and without (vdc, vdd).
mdadm --create /dev/md6 --run -l0 -n2 -c 64 /dev/vda /dev/vdb >/dev/null 2>&1
mdadm --stop /dev/md6 >/dev/null 2>&1

# ---- an array without anything -------------------------------------------
exec 3<$md	# keeps it (the C md: until an ioctl; rust_md: until the close)
ktap_eq "$drv fresh: GET_ARRAY_INFO, GET_DISK_INFO: ENODEV" "$(ioc array-info , disk-info 0)" "ENODEV ENODEV "
ktap_eq "$drv fresh: RAID_VERSION 0.90.3, GET_BITMAP_FILE: no file" "$(ioc version , bitmap-file)" \
	"ok 0.90.3 ok path= "
ktap_eq "$drv fresh: RUN_ARRAY without members: EINVAL" "$(ioc run)" "EINVAL "
ktap_eq "$drv fresh: RESTART_ARRAY_RW, STOP_ARRAY_RO, HOT_REMOVE_DISK, SET_DISK_FAULTY: ENODEV" \
	"$(ioc restart-rw , stop-ro , hot-remove $VDA , set-faulty $VDA)" "ENODEV ENODEV ENODEV ENODEV "
ktap_eq "$drv unknown ioctls (0x7f, RAID_AUTORUN, 0x31, RAID_VERSION with size 0): ENOTTY" \
	"$(ioc bad-ioctl , raw 0x0914 , raw 0x0931 , raw 0x80000910)" "ENOTTY ENOTTY ENOTTY ENOTTY "
ktap_eq "$drv fresh: bad argument pointers (unmapped, kernel, null, half mapped): EFAULT" \
	"$(ioc bad-ptr bitmap-file , bad-ptr add-disk , bad-ptr add-disk $KADDR , null add-disk , \
		short-buf add-disk 10 , bad-ptr set-array-info , short-buf set-array-info 40)" \
	"EFAULT EFAULT EFAULT EFAULT EFAULT EFAULT EFAULT "
ktap_eq "$drv SET_ARRAY_INFO of an unknown superblock version: EINVAL" \
	"$(ioc set-version 9 0 , set-version -1 0)" "EINVAL EINVAL "

# ---- members being added --------------------------------------------------
ktap_eq "$drv 1.2: SET_ARRAY_INFO ok, still no geometry: ENODEV" \
	"$(ioc set-version 1 2 , array-info , disk-info 0)" "ok ENODEV ENODEV "
ktap_eq "$drv ADD_NEW_DISK of dev_t 4095:0 (nothing there): ENXIO; of major 5000: EOVERFLOW" \
	"$(ioc add-disk 4095:0 , add-disk 5000:0)" "ENXIO EOVERFLOW "
ktap_eq "$drv ADD_NEW_DISK of a device without a superblock: EINVAL" "$(ioc add-disk $VDC)" "EINVAL "
ktap_eq "$drv ADD_NEW_DISK of a member, then again: ok, EBUSY" "$(ioc add-disk $VDA , add-disk $VDA)" "ok EBUSY "
ktap_eq "$drv SET_ARRAY_INFO once there are members: EBUSY" "$(ioc set-version 1 2)" "EBUSY "
mdadm --build /dev/md1 -l0 -n2 -c 64 /dev/vdc /dev/vdd >/dev/null 2>&1
ktap_eq "$drv ADD_NEW_DISK of a member of another array: EBUSY" "$(ioc add-disk $VDC)" "EBUSY "
mdadm --stop /dev/md1 >/dev/null 2>&1
ktap_eq "$drv second member, RUN_ARRAY: ok" "$(ioc add-disk $VDB , run)" "ok ok "
exec 3<&-

# ---- running raid0 --------------------------------------------------------
out=$(ioc array-info | sed 's/ ctime=[0-9]*//; s/ utime=[0-9]*//')
ktap_eq "$drv running: GET_ARRAY_INFO" "$out" \
	"ok major_version=1 minor_version=2 patch_version=3 level=0 size=0 nr_disks=2 raid_disks=2 md_minor=0 not_persistent=0 state=1 active_disks=2 working_disks=2 failed_disks=0 spare_disks=0 layout=-1 chunk_size=65536 "
ktap_eq "$drv running: GET_DISK_INFO of members, and of 2, -1, 1920, 2^31-1: removed" \
	"$(ioc disk-info 0 , disk-info 1 , disk-info 2 , disk-info -1 , disk-info 1920 , disk-info 2147483647)" \
	"ok number=0 major=${VDA%:*} minor=${VDA#*:} raid_disk=0 state=6 ok number=1 major=${VDB%:*} minor=${VDB#*:} raid_disk=1 state=6 ok number=2 major=0 minor=0 raid_disk=-1 state=8 ok number=-1 major=0 minor=0 raid_disk=-1 state=8 ok number=1920 major=0 minor=0 raid_disk=-1 state=8 ok number=2147483647 major=0 minor=0 raid_disk=-1 state=8 "
ktap_eq "$drv running: bad pointers for GET_ARRAY_INFO, GET_DISK_INFO, GET_BITMAP_FILE: EFAULT" \
	"$(ioc bad-ptr array-info , bad-ptr array-info $KADDR , null array-info , short-buf array-info 40 , \
		bad-ptr disk-info , null disk-info , short-buf disk-info 8 , \
		bad-ptr bitmap-file , null bitmap-file , short-buf bitmap-file 100)" \
	"EFAULT EFAULT EFAULT EFAULT EFAULT EFAULT EFAULT EFAULT EFAULT EFAULT "
ktap_eq "$drv running: bad pointers for ADD_NEW_DISK, SET_ARRAY_INFO: EFAULT" \
	"$(ioc bad-ptr add-disk , short-buf add-disk 12 , bad-ptr set-array-info)" "EFAULT EFAULT EFAULT "
ktap_eq "$drv running: SET_ARRAY_INFO (version only, or zeros): EINVAL" \
	"$(ioc set-version 1 2 , null set-array-info)" "EINVAL EINVAL "
ktap_eq "$drv running raid0: ADD_NEW_DISK (spare, or in sync): EINVAL, no hot add" \
	"$(ioc add-disk $VDC , add-disk $VDC 2 2 6)" "EINVAL EINVAL "
ktap_eq "$drv running raid0: HOT_REMOVE_DISK of a member EBUSY, of another device ENXIO; SET_DISK_FAULTY of another device ENODEV" \
	"$(ioc hot-remove $VDA , hot-remove $VDC , set-faulty $VDC)" "EBUSY ENXIO ENODEV "
ktap_eq "$drv running: RESTART_ARRAY_RW of a writable array, RUN_ARRAY again: EBUSY" \
	"$(ioc restart-rw , run)" "EBUSY EBUSY "
ktap_eq "$drv STOP_ARRAY_RO ok, again ENXIO, RESTART_ARRAY_RW ok" \
	"$(ioc stop-ro , stop-ro , restart-rw)" "ok ENXIO ok "
exec 3<$md
out=$(ioc stop)
getv state /sys/block/md0/md/array_state
exec 3<&-
ktap_eq "$drv STOP_ARRAY while another opener has it: EBUSY, still running" "$out$state" "EBUSY clean"
out=$(ioc stop)
wait_md_gone md0
ktap_eq "$drv STOP_ARRAY alone: ok, md0 gone" "$out$([ -e /sys/block/md0 ] && echo ' still there')" "ok "

# ---- the whole geometry by hand (what mdadm --build does) -------------------
md=$(md_node 2)
ktap_eq "$drv SET_ARRAY_INFO level 0, 2 disks, 64 KiB, not persistent: geometry, no members" \
	"$(ioc set-array-info level=0 raid_disks=2 chunk_size=65536 not_persistent=1 , array-info , disk-info 0 |
		sed 's/ ctime=[0-9]*//; s/ utime=[0-9]*//')" \
	"ok ok major_version=0 minor_version=90 patch_version=3 level=0 size=0 nr_disks=0 raid_disks=2 md_minor=2 not_persistent=1 state=0 active_disks=0 working_disks=0 failed_disks=0 spare_disks=0 layout=-1 chunk_size=65536 ok number=0 major=0 minor=0 raid_disk=-1 state=8 "
dev_bytes /dev/vdc
ktap_eq "$drv ADD_NEW_DISK by number and role: members in sync; SET_ARRAY_INFO again EBUSY" \
	"$(ioc add-disk $VDC 0 0 6 , add-disk $VDD 1 1 6 , disk-info 0 , disk-info 1 , set-array-info level=0 raid_disks=2 chunk_size=65536)" \
	"ok ok ok number=0 major=${VDC%:*} minor=${VDC#*:} raid_disk=0 state=6 ok number=1 major=${VDD%:*} minor=${VDD#*:} raid_disk=1 state=6 EBUSY "
out=$(ioc run)
ktap_eq "$drv RUN_ARRAY: running, /proc/mdstat 'super non-persistent'" "$out$(mdstat_entry md2)" \
	"ok $(printf 'md2 : active raid0 vdd[1] vdc[0]\n      %s blocks super non-persistent 64k chunks\n      ' $((BYTES / 1024 * 2 / 64 * 64)))"
ktap_eq "$drv and STOP_ARRAY" "$(ioc stop)" "ok "

# Geometries no personality can run: RUN_ARRAY refuses them.
out=""
for g in "3:level=99 raid_disks=2 chunk_size=65536" "4:level=0 raid_disks=2 chunk_size=0"; do
	md=$(md_node ${g%%:*})
	out+="$(ioc set-array-info ${g#*:} not_persistent=1 , add-disk $VDC 0 0 6 , add-disk $VDD 1 1 6 , run , stop)| "
done
ktap_eq "$drv RUN_ARRAY of level 99, or raid0 without a chunk size: EINVAL" "$out" \
	"ok ok ok EINVAL ok | ok ok ok EINVAL ok | "

# ---- garbage into sysfs ------------------------------------------------------
# sysw <dir> <attr> <value>...: write each value to the attribute (one
# write each), then read it back: "EINVAL EINVAL ... = value".
sysw() {
	local d=$1 a=$2 v args=()
	shift 2
	for v in "$@"; do
		args+=("$d/$a" "$v")
	done
	md_write "${args[@]}" | tr '\n' ' '
	getv v "$d/$a"
	echo "= $v"
}
G=(garbage -1 99999999999999999999 "1 2")	# a word, a negative, an overflow, two numbers

mdadm --assemble /dev/md5 /dev/vda /dev/vdb >/dev/null 2>&1
S=/sys/block/md5/md
out=""
for a in array_state level component_size array_size; do
	out+="$a: $(sysw $S $a "${G[@]}"); "
done
ktap_eq "$drv running: garbage to array_state, level, component_size, array_size: EINVAL, unchanged" "$out" \
	"array_state: EINVAL EINVAL EINVAL EINVAL = clean; level: EINVAL EINVAL EINVAL EINVAL = raid0; component_size: EINVAL EINVAL EINVAL EINVAL = 0; array_size: EINVAL EINVAL EINVAL EINVAL = default; "
out=""
for a in raid_disks chunk_size layout; do
	out+="$a: $(sysw $S $a "${G[@]}"); "
done
ktap_eq "$drv running: garbage to raid_disks, chunk_size, layout: EINVAL, ERANGE for the overflow" "$out" \
	"raid_disks: EINVAL EINVAL ERANGE EINVAL = 2; chunk_size: EINVAL EINVAL ERANGE EINVAL = 65536; layout: EINVAL EINVAL ERANGE EINVAL = -1; "
ktap_eq "$drv running: garbage to metadata_version of an array with members: EBUSY" \
	"$(sysw $S metadata_version "${G[@]}")" "EBUSY EBUSY EBUSY EBUSY = 1.2"
out=""
for a in state slot offset size; do
	out+="$a: $(sysw $S/dev-vda $a garbage -1 99999999999999999999); "
done
ktap_eq "$drv running: garbage to dev-*/state, slot, offset, size: EINVAL (slot: ERANGE for the overflow)" "$out" \
	"state: EINVAL EINVAL EINVAL = in_sync; slot: EINVAL EINVAL ERANGE = 0; offset: EINVAL EINVAL EINVAL = 2048; size: EINVAL EINVAL EINVAL = 261120; "
ktap_eq "$drv running raid0: array_state suspended, write-pending, active-idle, broken: EINVAL" \
	"$(sysw $S array_state suspended write-pending active-idle broken)" "EINVAL EINVAL EINVAL EINVAL = clean"
out=""
for w in readonly read-auto active clean; do
	out+="$w: $(sysw $S array_state $w); "
done
ktap_eq "$drv running raid0: array_state readonly, read-auto, active, clean" "$out" \
	"readonly: ok = readonly; read-auto: ok = read-auto; active: ok = clean; clean: ok = clean; "
exec 3</dev/md5
out="$(sysw $S array_state clear inactive)"
exec 3<&-
ktap_eq "$drv running, open elsewhere: array_state clear, inactive: EBUSY" "$out" "EBUSY EBUSY = clean"
out="$(sysw $S array_state inactive)$(mdstat_entry md5 | head -1)"
ktap_eq "$drv array_state inactive: stopped, members kept" "$out" "ok = inactivemd5 : inactive vda[0] vdb[1]"
out=""
for a in array_state raid_disks chunk_size layout component_size array_size metadata_version; do
	out+="$a: $(sysw $S $a garbage 99999999999999999999); "
done
ktap_eq "$drv inactive: garbage to the attributes refused, values kept" "$out" \
	"array_state: EINVAL EINVAL = inactive; raid_disks: EINVAL ERANGE = 2; chunk_size: EINVAL ERANGE = 65536; layout: EINVAL ERANGE = -1; component_size: EINVAL EINVAL = 0; array_size: EINVAL EINVAL = default; metadata_version: EBUSY EBUSY = 1.2; "
out="$(sysw $S array_state active)"
ktap_eq "$drv array_state active: runs again" "$out" "ok = clean"
out=$(md_write $S/array_state clear)
wait_md_gone md5
ktap_eq "$drv array_state clear: gone" "$out$([ -e /sys/block/md5 ] && echo ' still there')" "ok"

# An empty array (made by an open, held by it).
md=$(md_node 7)
exec 3<$md
S=/sys/block/md7/md
out=""
for a in array_state raid_disks chunk_size layout component_size metadata_version; do
	out+="$a: $(sysw $S $a garbage 99999999999999999999); "
done
exec 3<&-
ktap_eq "$drv empty array: garbage to the attributes refused" "$out" \
	"array_state: EINVAL EINVAL = clear; raid_disks: EINVAL ERANGE = ; chunk_size: EINVAL ERANGE = 0; layout: EINVAL ERANGE = 0; component_size: EINVAL EINVAL = 0; metadata_version: EINVAL EINVAL = none; "
md_clear md7

dmesg_clean_since "$start_mark"
ktap_check "$drv no kernel splat" $?

rmd_cleanup
ktap_finished
