#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A raid1 whose machine is reset in the middle of a write stream is resynced
# when it is assembled again; one stopped cleanly is not. Two boots of the
# guest on the same disks (scripts/guest.sh boots again when the test says
# "reset" on ttyS3; rmd_boot counts the boots):
#
#   boot 1: a clean raid1 on vda and vdb; a stream of O_DIRECT writes, each
#           followed by fdatasync and then recorded on vdc (what the array
#           acknowledged); the machine is reset (sysrq b: no flush, no
#           stop) while the stream runs. What boot 1 found is kept on vdd.
#   boot 2: boot 1's findings; the members' superblocks say active; the
#           assembled array resyncs (md: "not clean -- starting background
#           reconstruction"); afterwards the halves are identical and every
#           acknowledged write reads back; stopped and assembled again, it
#           is clean and does not resync.
#
# RMD_DRIVER=c (on the kernel command line: RUST_MD_APPEND) runs it against
# the C md, which is how it is validated.
DIR=$(cd "$(dirname "$0")" && pwd)
. "$DIR/../rust_md/lib.sh"

SYS=/sys/block/md0/md
FOUND=/dev/vdd		# boot 1's results, one "<status> <name>" a line
BOOT1_CHECKS=5

ktap_print_header

if [ -z "${rmd_boot:-}" ]; then
	ktap_set_plan 1
	ktap_test_skip "needs a harness that boots the guest again (scripts/guest.sh check)"
	ktap_finished
fi

load() {
	load_md "$RMD_DRIVER" || return 1
	RMD_LOADED=$RMD_DRIVER
	[ "$RMD_DRIVER" != c ] || insmod "$C_MD_DIR/raid1.ko"
}
state_is() { [ "$(cat $SYS/array_state 2>/dev/null)" = "$1" ]; }
sb_state() { mdadm --examine "$1" | sed -n 's/^ *State : //p'; }
sb_state_is() { [ "$(sb_state "$1")" = "$2" ]; }
acked() { md_pattern acked /dev/vdc; }
acked_at_least() { [ "$(acked)" -ge "$1" ]; }
sync_idle() { [ "$(cat $SYS/sync_action 2>/dev/null)" = idle ] && ! grep -q "resync =" /proc/mdstat; }
data_of() { # data_of <dev> <sectors>: the member's data area
	local off
	off=$(mdadm --examine "$1" | sed -n 's/.*Data Offset : \([0-9]*\) sectors.*/\1/p')
	dd if="$1" bs=512 skip="$off" count="$2" iflag=direct 2>/dev/null
}

if [ "$rmd_boot" = 1 ]; then
	found=()
	note() { found+=("$2 $1"); }	# note <name> <status>

	load
	mdadm --zero-superblock /dev/vda /dev/vdb 2>/dev/null
	md_pattern zero /dev/vdc len=4k direct=1 >/dev/null
	# 32 MiB: the resync of boot 2 stays short on a debug kernel.
	mdadm --create /dev/md0 --run --level=1 --raid-devices=2 --assume-clean \
		--size=32M --metadata=1.2 /dev/vda /dev/vdb >/dev/null 2>&1 &&
		md_pattern write /dev/md0 seed=1 direct=1 bs=1m >/dev/null
	note "boot 1: a raid1 on vda and vdb, written" $?

	# Quiet for the safe-mode delay: md marks the array clean on disk.
	poll_until 30 state_is clean && poll_until 30 sb_state_is /dev/vda clean
	note "boot 1: idle, array_state and vda's superblock say clean" $?

	md_pattern write /dev/md0 seed=2 direct=1 bs=64k journal=/dev/vdc >/dev/null &
	writer=$!
	poll_until 60 acked_at_least $((2 * 1048576))
	note "boot 1: the write stream runs (2 MiB acknowledged)" $?

	state_is active && sb_state_is /dev/vda active && sb_state_is /dev/vdb active
	note "boot 1: during the writes the superblocks say active" $?

	kill -0 $writer 2>/dev/null
	note "boot 1: the stream still writes when the machine is reset" $?

	printf '%s\n' "${found[@]}" |
		dd of=$FOUND bs=4096 count=1 conv=sync,fsync oflag=direct 2>/dev/null
	# Tell the harness, then reset at once: nothing is flushed or stopped.
	echo reset > /dev/ttyS3
	echo b > /proc/sysrq-trigger
	# Not reached.
	exit 1
fi

ktap_set_plan $((BOOT1_CHECKS + 9))

n=0
while read -r st name; do
	[ -n "$st" ] || continue
	n=$((n + 1))
	ktap_check "$name" "$st"
done < <(dd if=$FOUND bs=4096 count=1 iflag=direct 2>/dev/null | tr -d '\0')
for ((; n < BOOT1_CHECKS; n++)); do
	ktap_test_fail "boot 1: a finding is missing"
done

load
sb_state_is /dev/vda active && sb_state_is /dev/vdb active
ktap_check "boot 2: the superblocks still say active ($(sb_state /dev/vda), $(sb_state /dev/vdb))" $?

ack=$(acked)
mark=$(dmesg_mark)
mdadm --assemble /dev/md0 /dev/vda /dev/vdb >/dev/null 2>&1
ktap_check "boot 2: assembled" $?

resync_done() { dmesg_since "$mark" | grep -q "md: md0: resync done."; }
poll_until 300 resync_done && poll_until 30 sync_idle &&
	dmesg_since "$mark" | grep -q "md/raid1:md0: not clean -- starting background reconstruction" &&
	dmesg_since "$mark" | grep -q "md: resync of RAID array md0" &&
	dmesg_since "$mark" | grep -q "md: md0: resync done."
ktap_check "boot 2: a resync ran (md's three lines) and ended" $?

sectors=$(( $(cat $SYS/component_size) * 2 ))
cmp -s <(data_of /dev/vda $sectors) <(data_of /dev/vdb $sectors)
ktap_check "boot 2: after the resync both halves are identical" $?

[ "$ack" -ge $((2 * 1048576)) ] && md_pattern verify /dev/md0 seed=2 len="$ack" direct=1 >/dev/null
ktap_check "boot 2: every acknowledged write reads back ($ack bytes)" $?

echo check > $SYS/sync_action && poll_until 300 sync_idle &&
	[ "$(cat $SYS/mismatch_cnt)" = 0 ]
ktap_check "boot 2: a check finds no mismatch ($(cat $SYS/mismatch_cnt 2>/dev/null))" $?

mdadm --stop /dev/md0 >/dev/null 2>&1 &&
	sb_state_is /dev/vda clean && sb_state_is /dev/vdb clean
ktap_check "boot 2: stopped, the superblocks say clean" $?

# (the C md frees a unit only after its delayed releases)
wait_md_released md0
mark=$(dmesg_mark)
mdadm --assemble /dev/md0 /dev/vda /dev/vdb >/dev/null 2>&1 &&
	[ "$(cat $SYS/resync_start)" = none ] && sync_idle &&
	! dmesg_since "$mark" | grep -q "not clean\|resync of RAID array"
ktap_check "boot 2: assembled after a clean stop: no resync" $?

mdadm --stop /dev/md0 >/dev/null 2>&1 && wait_md_gone md0 && unload_md
ktap_check "boot 2: the array stops and md unloads" $?

ktap_finished
