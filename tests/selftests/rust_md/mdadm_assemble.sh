#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Assembling arrays with mdadm: named members (in any order), --scan with
# an mdadm.conf, named arrays (/dev/md/NAME: md127 and down; md_NAME with
# "CREATE names=yes"), auto-numbered foreign arrays (md127, md126), -I
# incremental assembly (inactive with one member, running with the last),
# --readonly/--readwrite, --assemble --readonly, a 0.90 raid0 array, and
# refusals (a missing member, a busy member, a stop while open). The data
# written before is read back after each assembly, and neither run nor
# stop rewrites a raid0 superblock (md never does: mdadm's 04r0update).
#
# RMD_DRIVER=rust|c picks the driver; the linear part is skipped for c.
# Arrays get units of their own where mdadm lets the test choose: the C md
# frees a unit only seconds after a stop on the debug kernel.
. "$(dirname "$0")/lib.sh"

ktap_print_header
ktap_set_plan 39
rmd_setup

drv=$RMD_DRIVER
load_md_levels "$drv"
loop_make 0 4M && loop_make 1 4M && loop_make 2 4M && loop_make 3 4M
conf=/tmp/rmd-mdadm.conf
stop() { mdadm --stop "$@" >/dev/null 2>&1; }

# The data each array holds: a pattern over its first 1 MiB and over
# 1 MiB in its middle, written once and read back after every assembly.
write_data() { # write_data <dev> <seed>
	local mid
	dev_bytes "$1"
	mid=$((BYTES / 2))
	md_pattern write "$1" seed="$2" len=1m bs=12k >/dev/null &&
		md_pattern write "$1" seed="$2" off=$((mid + 1000)) len=1m bs=5000 >/dev/null
}
data_ok() { # data_ok <dev> <seed>
	local mid
	dev_bytes "$1"
	mid=$((BYTES / 2))
	md_pattern verify "$1" seed="$2" len=1m direct=1 &&
		md_pattern verify "$1" seed="$2" off=$((mid + 1000)) len=1m
}
sb_image() { md_sb "$1" "$2" save "/tmp/rmd-sb-${1#/dev/}" >/dev/null; }
sb_same() { # sb_same <dev> <version>: the superblock area is as sb_image saw it
	md_sb "$1" "$2" save /tmp/rmd-sb-now >/dev/null &&
		cmp -s /tmp/rmd-sb-now "/tmp/rmd-sb-${1#/dev/}"
}
getv VDA /sys/class/block/vda/dev

# A: raid0 1.2, 64 KiB chunks, on vda vdb, named "0" (so --scan and -I
# make it md0), with data. B: on vdc vdd, created as /dev/md/other.
mdadm --create /dev/md30 --name=0 --run -l0 -n2 -c 64 /dev/vda /dev/vdb >/dev/null 2>&1
write_data /dev/md30 21
blocks=$(mdstat_entry md30)
blocks=${blocks#*$'\n'}
blocks=${blocks%%$'\n'*}
stop /dev/md30
sb_image /dev/vda 1.2
sb_image /dev/vdb 1.2

out=$(mdadm --create /dev/md/other --run -l0 -n2 -c 64 /dev/vdc /dev/vdd 2>&1)
[ $? = 0 ] && [ "$(readlink /dev/md/other)" = /dev/md127 ] && [ -n "$(mdstat_entry md127)" ]
ktap_check_out "create /dev/md/other: md127" $? "$out"
det=$(detail_lines /dev/md/other)
out=$(expect_lines "$det" "Name : $HOST:other (local to host $HOST)" "Raid Level : raid0")
ktap_check_out "its --detail names it $HOST:other" $? "$out"
write_data /dev/md/other 22
stop /dev/md/other
wait_md_gone md127

out=$(mdadm --assemble /dev/md31 /dev/vda /dev/vdb 2>&1)
[ "$out" = "mdadm: /dev/md31 has been started with 2 drives." ]
ktap_check_out "assemble named members: started with 2 drives" $? "$out"
ktap_eq "its /proc/mdstat entry" "$(mdstat_entry md31)" \
	"$(printf 'md31 : active raid0 vda[0] vdb[1]\n%s\n      ' "$blocks")"
out=$(data_ok /dev/md31 21 2>&1)
ktap_check_out "the data written before reads back" $? "$out"
stop /dev/md31
wait_md_gone md31
sb_same /dev/vda 1.2 && sb_same /dev/vdb 1.2
ktap_check "run and stop left both superblocks byte for byte as they were" $?

out=$(mdadm --assemble /dev/md32 /dev/vdb /dev/vda 2>&1)
rc=$?
attrs /sys/block/md32/md dev-vda/slot dev-vdb/slot
[ $rc = 0 ] && [ "$ATTRS" = "dev-vda/slot=0 dev-vdb/slot=1" ] && data_ok /dev/md32 21 >/dev/null
ktap_check_out "members named in the other order: roles from the superblocks, data intact" $? "$out"
stop /dev/md32

# Refusals: a member missing (raid0 cannot run without it) and a member
# another array holds.
out=$(mdadm --assemble --run /dev/md34 /dev/vda 2>&1)
[ $? != 0 ] && [[ "$out" == *"failed to RUN_ARRAY /dev/md34: Invalid argument"* ]] &&
	[ -z "$(mdstat_entry md34)" ]
ktap_check_out "--run with one member: RUN_ARRAY fails with EINVAL" $? "$out"
mdadm --build /dev/md35 -l0 -n2 -c64 /dev/vdb /dev/loop3 >/dev/null 2>&1
out=$(mdadm --assemble /dev/md36 /dev/vda /dev/vdb 2>&1)
[ $? != 0 ] && [[ "$out" == *"/dev/vdb is busy - skipping"* ]]
ktap_check_out "a member held by another array: busy, skipped" $? "$out"
stop /dev/md35 /dev/md36
md_clear md34
sb_same /dev/vdb 1.2
ktap_check "the other array (--build over vdb) did not touch vdb's superblock" $?

# --scan with an mdadm.conf naming the array.
{ echo "DEVICE /dev/vd*"; mdadm --examine --scan 2>/dev/null | grep "name=$HOST:0\$"; } > $conf
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

# CREATE names=yes: mdadm makes md_other through new_array.
mdadm_forget
printf 'CREATE names=yes\nDEVICE /dev/vd*\n' > $conf
out=$(mdadm --assemble /dev/md/other --config=$conf /dev/vdc /dev/vdd 2>&1)
[ $? = 0 ] && [ "$(readlink /dev/md/other)" = /dev/md_other ] &&
	[[ "$(mdstat_entry md_other)" == "md_other : active raid0 "* ]] && data_ok /dev/md_other 22 >/dev/null
ktap_check_out "names=yes: /dev/md/other is md_other (new_array), data intact" $? "$out"
stop /dev/md/other
wait_md_gone md_other
ktap_check "md_other goes with its stop" $?

# -I on C: raid0 on loop0 loop1 named "7": the first member makes an
# inactive md7, the last one starts it.
mdadm --create /dev/md37 --name=7 --run -l0 -n2 -c 64 /dev/loop0 /dev/loop1 >/dev/null 2>&1
write_data /dev/md37 25
stop /dev/md37
mdadm_forget
out=$(mdadm -I /dev/loop0 2>&1)
[ "$out" = "mdadm: /dev/loop0 attached to /dev/md/7, not enough to start (1)." ]
ktap_check_out "-I first member: attached to /dev/md/7, not started" $? "$out"
S=/sys/block/md7/md
f=($(md_sb /dev/loop0 1.2 get data_size data_offset))
size_k=$((f[1] / 2))
ktap_eq "md7 inactive in /proc/mdstat, the member a spare" "$(mdstat_entry md7)" \
	"$(printf 'md7 : inactive loop0[0](S)\n      %s blocks super 1.2\n       ' $size_k)"
attrs $S array_state level raid_disks metadata_version dev-loop0/slot dev-loop0/state dev-loop0/offset dev-loop0/size
ktap_eq "its attributes: inactive, slot none (what -I requires)" "$ATTRS" \
	"array_state=inactive level= raid_disks= metadata_version=1.2 dev-loop0/slot=none dev-loop0/state=spare dev-loop0/offset=${f[2]} dev-loop0/size=$size_k"
det=$(detail_lines /dev/md7)
getv L0 /sys/class/block/loop0/dev
out=$(expect_lines "$det" "State : inactive" "Total Devices : 1" "Raid Level : raid0" \
	"Name : $HOST:7 (local to host $HOST)" "- ${L0/:/ } - /dev/loop0")
ktap_check_out "its --detail: inactive, one device" $? "$out"
ktap_eq "the inactive array holds its member" "$(md_open excl /dev/loop0)" "open EBUSY"
out=$(mdadm -I /dev/loop1 2>&1)
getv v $S/array_state
[ "$out" = "mdadm: /dev/loop1 attached to /dev/md/7, which has been started." ] &&
	[ "$v" = clean ] && data_ok /dev/md7 25 >/dev/null
ktap_check_out "-I last member: started, data intact" $? "$out"

# --readonly / --readwrite (STOP_ARRAY_RO / RESTART_ARRAY_RW).
out=$(mdadm --readonly /dev/md7 2>&1)
rc=$?
attrs $S array_state
getv v /sys/block/md7/ro
[ $rc = 0 ] && [ "$ATTRS$v" = array_state=readonly1 ]
ktap_check_out "--readonly: array_state readonly, the disk read-only" $? "$out"
[[ "$(mdstat_entry md7)" == "md7 : active (read-only) raid0 "* ]]
ktap_check "/proc/mdstat says (read-only)" $?
out="$(md_open rw write /dev/md7) $(data_ok /dev/md7 25 | tr '\n' ' ')"
ktap_eq "writes fail with EPERM, reads work" "$out" "write EPERM ok verify 1048576 bytes ok verify 1048576 bytes "
out=$(mdadm --readonly /dev/md7 2>&1)
[ $? != 0 ] && [[ "$out" == *"No such device or address"* ]]
ktap_check_out "--readonly again: refused with ENXIO" $? "$out"
out=$(mdadm --readwrite /dev/md7 2>&1)
rc=$?
attrs $S array_state
getv v /sys/block/md7/ro
[ $rc = 0 ] && [ "$ATTRS$v" = array_state=clean0 ] && [ "$(md_open rw write /dev/md7)" = ok ]
ktap_check_out "--readwrite: clean, writable again" $? "$out"
out=$(mdadm --readwrite /dev/md7 2>&1)
[ $? != 0 ] && [[ "$out" == *"Device or resource busy"* ]]
ktap_check_out "--readwrite of a writable array: refused with EBUSY" $? "$out"

exec 3</dev/md7
out=$(md_ioctl /dev/md7 stop)
getv v $S/array_state
exec 3<&-
ktap_eq "STOP_ARRAY while another opener has it: EBUSY, still running" "$out $v" "EBUSY clean"
out=$(mdadm --stop /dev/md7 2>&1)
[ $? = 0 ] && wait_md_gone md7
ktap_check_out "after that close, --stop succeeds" $? "$out"

out=$(mdadm --assemble --readonly /dev/md38 /dev/vda /dev/vdb 2>&1)
rc=$?
getv v /sys/block/md38/md/array_state
[ $rc = 0 ] && [ "$v" = readonly ] && data_ok /dev/md38 21 >/dev/null
ktap_check_out "assemble --readonly: readonly, data intact" $? "$out"
stop /dev/md38
sb_same /dev/vda 1.2 && sb_same /dev/vdb 1.2
ktap_check "after all that, A's superblocks are still byte for byte the same" $?

# Auto-numbering: to another homehost A and B are foreign, and get md127
# and md126 (in the order the scan finds them).
mdadm_forget
wait_md_released md127
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

# 0.90: mdadm 4.2 cannot create raid0 with it, but assembles it.
make_090_raid0 64 /dev/loop2 /dev/loop3
sb_image /dev/loop2 0.90
dev_bytes /dev/loop2
s090=$(( (BYTES / 512 & ~127) - 128 ))
out=$(mdadm --assemble /dev/md41 /dev/loop2 /dev/loop3 2>&1)
[ $? = 0 ] && [ "$(mdstat_entry md41)" = "$(printf 'md41 : active raid0 loop2[0] loop3[1]\n      %s blocks 64k chunks\n      ' $s090)" ]
ktap_check_out "0.90 raid0: assembled, /proc/mdstat without 'super'" $? "$out"
det=$(detail_lines /dev/md41)
out=$(expect_lines "$det" "Version : 0.90" "Raid Level : raid0" "Preferred Minor : 41" "Chunk Size : 64K")
ktap_check_out "its --detail (Preferred Minor: the minor it runs as)" $? "$out"
write_data /dev/md41 23 && data_ok /dev/md41 23 >/dev/null
ktap_check "its data reads back" $?
stop /dev/md41
sb_same /dev/loop2 0.90
ktap_check "the 0.90 superblock not rewritten (its preferred minor stays 9)" $?

# linear, 1.2 (rust_md only: the C md of 6.12 has none).
if has_linear "$drv"; then
	wipe_sb /dev/loop0 /dev/loop1
	mdadm --create /dev/md43 --run -l linear -n2 /dev/loop0 /dev/loop1 >/dev/null 2>&1
	write_data /dev/md43 24
	stop /dev/md43
	out=$(mdadm --assemble /dev/md44 /dev/loop0 /dev/loop1 2>&1)
	[ $? = 0 ] && [[ "$(mdstat_entry md44)" == "md44 : active linear loop0[0] loop1[1]"$'\n'* ]] &&
		data_ok /dev/md44 24 >/dev/null
	ktap_check_out "$drv: linear assembled, data intact" $? "$out"
	stop /dev/md44
else
	ktap_test_skip "$drv: linear assemble: the C md of 6.12 has no linear"
fi

rmd_cleanup
ktap_finished
