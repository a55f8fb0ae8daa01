#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Assembling arrays with mdadm: named members (in any order), --scan with
# an mdadm.conf, auto-numbered arrays (md127 and down) for foreign names,
# named arrays (/dev/md/NAME, and md_NAME with "CREATE names=yes"), -I
# incremental assembly (inactive with one member, running with the last),
# --readonly/--readwrite, --assemble --readonly, a 0.90 raid0 array, and
# refusals (a missing member, a busy member, a stop while open). The data
# written before is read back after each assembly, and neither run nor
# stop rewrites a raid0 superblock (md never does: 04r0update).
#
# RMD_DRIVER=rust|c picks the driver; the linear part is skipped for c.
. "$(dirname "$0")/lib.sh"

ktap_print_header
ktap_set_plan 42

drv=$RMD_DRIVER
load_md_levels "$drv"
mdadm_forget
wipe_sb /dev/vda /dev/vdb /dev/vdc /dev/vdd
conf=/tmp/rmd-mdadm.conf

# The data each array holds: a pattern over its first 1 MiB and over
# 1 MiB in the middle, written once and read back after every assembly.
write_data() { # write_data <dev> <seed>
	local mid=$(( $(blockdev --getsize64 "$1") / 2 ))
	md_pattern write "$1" seed="$2" len=1m bs=12k >/dev/null &&
		md_pattern write "$1" seed="$2" off=$((mid + 1000)) len=1m bs=5000 >/dev/null
}
data_ok() { # data_ok <dev> <seed>
	local mid=$(( $(blockdev --getsize64 "$1") / 2 ))
	md_pattern verify "$1" seed="$2" len=1m direct=1 &&
		md_pattern verify "$1" seed="$2" off=$((mid + 1000)) len=1m
}
stop() { mdadm --stop "$@" >/dev/null 2>&1; }
sb_image() { md_sb "$1" "$2" save "/tmp/rmd-sb-${1#/dev/}" >/dev/null; }
sb_same() { # sb_same <dev> <version>: the superblock area is as sb_image saw it
	md_sb "$1" "$2" save /tmp/rmd-sb-now >/dev/null &&
		cmp -s /tmp/rmd-sb-now "/tmp/rmd-sb-${1#/dev/}"
}

# A raid0 array md0 (1.2, 64 KiB chunks) on vda vdb with data.
mdadm --create /dev/md0 --run -l0 -n2 -c 64 /dev/vda /dev/vdb >/dev/null 2>&1
write_data /dev/md0 21
blocks=$(mdstat_entry md0 | sed -n 2p)
stop /dev/md0
wait_md_gone md0
sb_image /dev/vda 1.2
sb_image /dev/vdb 1.2

out=$(mdadm --assemble /dev/md0 /dev/vda /dev/vdb 2>&1)
[ "$out" = "mdadm: /dev/md0 has been started with 2 drives." ]
ktap_check_out "assemble named members: started with 2 drives" $? "$out"
ktap_eq "its /proc/mdstat entry" "$(mdstat_entry md0)" \
	"$(printf 'md0 : active raid0 vda[0] vdb[1]\n%s\n      ' "$blocks")"
out=$(data_ok /dev/md0 21 2>&1)
ktap_check_out "the data written before reads back" $? "$out"
stop /dev/md0
wait_md_gone md0
sb_same /dev/vda 1.2 && sb_same /dev/vdb 1.2
ktap_check "run and stop left both superblocks byte for byte as they were" $?

out=$(mdadm --assemble /dev/md0 /dev/vdb /dev/vda 2>&1)
[ $? = 0 ] && [ "$(cat /sys/block/md0/md/dev-vda/slot) $(cat /sys/block/md0/md/dev-vdb/slot)" = "0 1" ] &&
	data_ok /dev/md0 21 >/dev/null
ktap_check_out "members named in the other order: roles from the superblocks, data intact" $? "$out"
stop /dev/md0
wait_md_gone md0

# Refusals: a member missing (raid0 cannot run without it) and a member
# another array holds.
out=$(mdadm --assemble /dev/md0 /dev/vda 2>&1)
[ $? != 0 ] && grep -q "not enough to start the array" <<<"$out" && [ -z "$(mdstat_entry md0)" ]
ktap_check_out "one member of two: not started, nothing left in /proc/mdstat" $? "$out"
out=$(mdadm --assemble --run /dev/md0 /dev/vda 2>&1)
[ $? != 0 ] && grep -q "failed to RUN_ARRAY /dev/md0: Invalid argument" <<<"$out" &&
	[ -z "$(mdstat_entry md0)" ]
ktap_check_out "--run with one member: RUN_ARRAY fails with EINVAL" $? "$out"
mdadm --build /dev/md5 -l0 -n2 -c64 /dev/vdb /dev/vdc >/dev/null 2>&1
out=$(mdadm --assemble /dev/md0 /dev/vda /dev/vdb 2>&1)
[ $? != 0 ] && grep -q "/dev/vdb is busy - skipping" <<<"$out"
ktap_check_out "a member held by another array: busy, skipped" $? "$out"
stop /dev/md5 /dev/md0
wait_md_gone md5
sb_same /dev/vdb 1.2
ktap_check "the other array (--build over vdb) did not touch vdb's superblock" $?

# --scan with an mdadm.conf naming the array.
{ echo "DEVICE /dev/vd*"; mdadm --examine --scan; } > $conf
uuid=$(sed -n 's/.*UUID=\([0-9a-f:]*\).*/\1/p' $conf)
out=$(mdadm --assemble --scan --config=$conf 2>&1)
[ "$out" = "mdadm: /dev/md/0 has been started with 2 drives." ] &&
	[ "$(readlink /dev/md/0)" = /dev/md0 ] && data_ok /dev/md/0 21 >/dev/null
ktap_check_out "assemble --scan with an mdadm.conf: /dev/md/0 is md0, data intact" $? "$out"
out=$(mdadm --detail --scan --config=$conf 2>&1)
ktap_eq "detail --scan names it" "$out" "ARRAY /dev/md/0 metadata=1.2 name=$HOST:0 UUID=$uuid"
out=$(mdadm --stop --scan --config=$conf 2>&1)
[ $? = 0 ] && wait_md_gone md0
ktap_check_out "stop --scan stops it" $? "$out"

# Named arrays: /dev/md/NAME gets the first free number from 127 down.
out=$(mdadm --create /dev/md/other --run -l0 -n2 -c 64 /dev/vdc /dev/vdd 2>&1)
[ $? = 0 ] && [ "$(readlink /dev/md/other)" = /dev/md127 ] && [ -n "$(mdstat_entry md127)" ]
ktap_check_out "create /dev/md/other: md127" $? "$out"
det=$(detail_lines /dev/md/other)
out=$(expect_lines "$det" "Name : $HOST:other (local to host $HOST)" "Raid Level : raid0")
ktap_check_out "its --detail names it $HOST:other" $? "$out"
write_data /dev/md/other 22
stop /dev/md/other
wait_md_gone md127
mdadm_forget
out=$(mdadm --assemble /dev/md/other /dev/vdc /dev/vdd 2>&1)
[ $? = 0 ] && [ "$(readlink /dev/md/other)" = /dev/md127 ] && data_ok /dev/md/other 22 >/dev/null
ktap_check_out "assemble /dev/md/other again: md127, data intact" $? "$out"
stop /dev/md/other
wait_md_gone md127
mdadm_forget

# Auto-numbering: to another homehost both arrays are foreign, and get
# md127 and md126 (in the order the scan finds them).
echo "DEVICE /dev/vd*" > $conf
out=$(mdadm --assemble --scan --config=$conf --homehost=elsewhere 2>&1)
rc=$?
a=$(readlink "/dev/md/$HOST:0") b=$(readlink "/dev/md/$HOST:other")
[ $rc = 0 ] && [ "$(echo "$a $b" | tr ' ' '\n' | sort | tr '\n' ' ')" = "/dev/md126 /dev/md127 " ]
ktap_check_out "foreign arrays auto-numbered: md127 and md126 ($a, $b)" $? "$out"
[ -e "/sys/block/${a#/dev/}/slaves/vda" ] && [ -e "/sys/block/${b#/dev/}/slaves/vdc" ] &&
	data_ok "$a" 21 >/dev/null && data_ok "$b" 22 >/dev/null
ktap_check "each has its own members and data" $?
out=$(mdadm --stop --scan --config=$conf 2>&1)
wait_md_gone md127 && wait_md_gone md126
ktap_check_out "stop --scan stops both" $? "$out"
mdadm_forget

# CREATE names=yes: mdadm makes md_other through new_array.
printf 'CREATE names=yes\nDEVICE /dev/vd*\n' > $conf
out=$(mdadm --assemble /dev/md/other --config=$conf /dev/vdc /dev/vdd 2>&1)
[ $? = 0 ] && [ "$(readlink /dev/md/other)" = /dev/md_other ] &&
	mdstat_entry md_other | grep -q "^md_other : active raid0 " && data_ok /dev/md_other 22 >/dev/null
ktap_check_out "names=yes: /dev/md/other is md_other (new_array), data intact" $? "$out"
stop /dev/md/other
wait_md_gone md_other
ktap_check "md_other goes with its stop" $?
mdadm_forget

# -I: the first member makes an inactive array, the last one starts it.
out=$(mdadm -I /dev/vda 2>&1)
[ "$out" = "mdadm: /dev/vda attached to /dev/md/0, not enough to start (1)." ]
ktap_check_out "-I first member: attached to /dev/md/0, not started" $? "$out"
S=/sys/block/md0/md
size_k=$(( $(sb_get /dev/vda 1.2 data_size) / 2 ))
ktap_eq "md0 inactive in /proc/mdstat, the member a spare" "$(mdstat_entry md0)" \
	"$(printf 'md0 : inactive vda[0](S)\n      %s blocks super 1.2\n       ' $size_k)"
out="$(cat $S/array_state) level=$(cat $S/level) raid_disks=$(cat $S/raid_disks)"
out+=" $(cat $S/metadata_version) slot=$(cat $S/dev-vda/slot) $(cat $S/dev-vda/state)"
out+=" offset=$(cat $S/dev-vda/offset) size=$(cat $S/dev-vda/size)"
ktap_eq "its attributes: inactive, slot none (what -I requires)" "$out" \
	"inactive level= raid_disks= 1.2 slot=none spare offset=$(sb_get /dev/vda 1.2 data_offset) size=$size_k"
det=$(detail_lines /dev/md0)
out=$(expect_lines "$det" "State : inactive" "Total Devices : 1" "Raid Level : raid0" \
	"Name : $HOST:0 (local to host $HOST)" "UUID : $uuid" "- $(devnum vda | tr : ' ') - /dev/vda")
ktap_check_out "its --detail: inactive, one device" $? "$out"
[ "$(md_open /dev/vda excl)" = "open EBUSY" ]
ktap_check "the inactive array holds its member" $?
out=$(mdadm -I /dev/vdb 2>&1)
[ "$out" = "mdadm: /dev/vdb attached to /dev/md/0, which has been started." ] &&
	[ "$(cat $S/array_state)" = clean ] && data_ok /dev/md0 21 >/dev/null
ktap_check_out "-I last member: started, data intact" $? "$out"

# --readonly / --readwrite (STOP_ARRAY_RO / RESTART_ARRAY_RW).
out=$(mdadm --readonly /dev/md0 2>&1)
[ $? = 0 ] && [ "$(cat $S/array_state)" = readonly ] && [ "$(blockdev --getro /dev/md0)" = 1 ]
ktap_check_out "--readonly: array_state readonly, the disk read-only" $? "$out"
mdstat_entry md0 | grep -q "^md0 : active (read-only) raid0 vd"
ktap_check "/proc/mdstat says (read-only)" $?
out="$(md_open /dev/md0 rw write) $(data_ok /dev/md0 21 | tr '\n' ' ')"
ktap_eq "writes fail with EPERM, reads work" "$out" "write EPERM ok verify 1048576 bytes ok verify 1048576 bytes "
out=$(mdadm --readonly /dev/md0 2>&1)
[ $? != 0 ] && grep -q "No such device or address" <<<"$out"
ktap_check_out "--readonly again: refused with ENXIO" $? "$out"
out=$(mdadm --readwrite /dev/md0 2>&1)
[ $? = 0 ] && [ "$(cat $S/array_state)" = clean ] && [ "$(blockdev --getro /dev/md0)" = 0 ] &&
	[ "$(md_open /dev/md0 rw write)" = ok ]
ktap_check_out "--readwrite: clean, writable again" $? "$out"
out=$(mdadm --readwrite /dev/md0 2>&1)
[ $? != 0 ] && grep -q "Device or resource busy" <<<"$out"
ktap_check_out "--readwrite of a writable array: refused with EBUSY" $? "$out"

exec 3</dev/md0
out=$(md_ioctl /dev/md0 stop)
[ "$out" = EBUSY ] && [ "$(cat $S/array_state)" = clean ]
ktap_check_out "STOP_ARRAY while another opener has it: EBUSY, still running" $? "$out"
exec 3<&-
out=$(mdadm --stop /dev/md0 2>&1)
[ $? = 0 ] && wait_md_gone md0
ktap_check_out "after that close, --stop succeeds" $? "$out"

out=$(mdadm --assemble --readonly /dev/md0 /dev/vda /dev/vdb 2>&1)
[ $? = 0 ] && [ "$(cat $S/array_state)" = readonly ] && data_ok /dev/md0 21 >/dev/null
ktap_check_out "assemble --readonly: readonly, data intact" $? "$out"
stop /dev/md0
wait_md_gone md0
sb_same /dev/vda 1.2 && sb_same /dev/vdb 1.2
ktap_check "after all that, the superblocks are still byte for byte the same" $?

# 0.90: mdadm 4.2 cannot create raid0 with it, but assembles it.
wipe_sb /dev/vdc /dev/vdd
make_090_raid0 64 /dev/vdc /dev/vdd
sb_image /dev/vdc 0.90
s090=$(( ($(blockdev --getsize64 /dev/vdc) / 512 & ~127) - 128 ))
out=$(mdadm --assemble /dev/md1 /dev/vdc /dev/vdd 2>&1)
[ $? = 0 ] && [ "$(mdstat_entry md1)" = "$(printf 'md1 : active raid0 vdc[0] vdd[1]\n      %s blocks 64k chunks\n      ' $s090)" ]
ktap_check_out "0.90 raid0: assembled, /proc/mdstat without 'super'" $? "$out"
det=$(detail_lines /dev/md1)
out=$(expect_lines "$det" "Version : 0.90" "Raid Level : raid0" "Preferred Minor : 1" "Chunk Size : 64K")
ktap_check_out "its --detail (Preferred Minor: the minor it runs as)" $? "$out"
write_data /dev/md1 23 && data_ok /dev/md1 23 >/dev/null
ktap_check "its data reads back" $?
stop /dev/md1
wait_md_gone md1
out=$(mdadm --assemble /dev/md1 /dev/vdc /dev/vdd 2>&1)
[ $? = 0 ] && data_ok /dev/md1 23 >/dev/null
ktap_check_out "assembled again: data intact" $? "$out"
stop /dev/md1
wait_md_gone md1
sb_same /dev/vdc 0.90
ktap_check "the 0.90 superblock not rewritten (its preferred minor stays 9)" $?

# linear, 1.2 (rust_md only: the C md of 6.12 has none).
if has_linear "$drv"; then
	wipe_sb /dev/vdc /dev/vdd
	mdadm --create /dev/md2 --run -l linear -n2 /dev/vdc /dev/vdd >/dev/null 2>&1
	write_data /dev/md2 24
	stop /dev/md2
	wait_md_gone md2
	out=$(mdadm --assemble /dev/md2 /dev/vdc /dev/vdd 2>&1)
	[ $? = 0 ] && mdstat_entry md2 | grep -q "^md2 : active linear vdc\[0\] vdd\[1\]$" &&
		data_ok /dev/md2 24 >/dev/null
	ktap_check_out "$drv: linear assembled, data intact" $? "$out"
	stop /dev/md2
	wait_md_gone md2
else
	ktap_test_skip "$drv: linear assemble: the C md of 6.12 has no linear"
fi

mdadm_forget
wipe_sb /dev/vda /dev/vdb /dev/vdc /dev/vdd
rm -f $conf /tmp/rmd-sb-*
md_reset
ktap_finished
