#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Resync speed of a fresh two-way raid1, rust_md against the C md:
#   RUST_MD_DISK_MB=1024 RUST_MD_CACHE=... \
#       scripts/guest.sh perf script tests/bench-resync.sh
# On two brd RAM disks (512 MiB each, brd reloaded for each run) and on the
# virtio disks vda/vdb (whole: 1 GiB with RUST_MD_DISK_MB=1024); rounds
# rust, c, after a warm-up round 0. Nothing throttles (speed_limit_min =
# speed_limit_max = 2000000 KiB/s). Each run prints the resync's time
# between md's "resync of RAID array" and "resync done." log lines (kernel
# timestamps) and the MB/s that makes; the wall time from mdadm --create
# to sync_action idle (/proc/uptime); how often user space got to poll
# (every 50 ms) meanwhile; the last speed /proc/mdstat showed.
export MDADM_NO_UDEV=1
RUST_MD_KO=/lib/modules/rust_md/md_mod.ko
C_MD_DIR=/lib/modules/c_md
BRD=/lib/modules/extra/brd.ko
mkdir -p /run/mdadm

uptime_cs() { # /proc/uptime in centiseconds
	local u
	read -r u _ < /proc/uptime
	echo $((${u%.*} * 100 + 10#${u#*.}))
}
load() {
	if [ "$1" = rust ]; then
		insmod $RUST_MD_KO
	else
		insmod $C_MD_DIR/md-mod.ko && insmod $C_MD_DIR/raid1.ko
	fi || return 1
	echo 2000000 > /proc/sys/dev/raid/speed_limit_max
	echo 2000000 > /proc/sys/dev/raid/speed_limit_min
}
unload() { # (rmmod fails until the stopped arrays' gendisks are released)
	local i
	for i in $(seq 200); do
		{ ! grep -q '^raid1 ' /proc/modules || rmmod raid1 2>/dev/null; } &&
			{ ! grep -q '^md_mod ' /proc/modules || rmmod md_mod 2>/dev/null; } && return 0
		sleep 0.1
	done
	echo "cannot unload md" >&2
	return 1
}
# ts <text>: the kernel timestamp (s) of the last log line containing text
ts() {
	dmesg | grep -F "$1" | tail -1 | sed 's/^\[ *\([0-9.]*\)\].*/\1/'
}

# run <driver> <round> <label> <dev> <dev> [mdadm options]
run() {
	local drv=$1 round=$2 label=$3 d0=$4 d1=$5 t0 t1 act l speed="" kib a b polls=0
	shift 5
	load $drv || { echo "$drv: load failed"; return 1; }
	mdadm --zero-superblock $d0 $d1 2>/dev/null
	dmesg -c >/dev/null
	t0=$(uptime_cs)
	if ! mdadm --create /dev/md0 --run -l1 -n2 "$@" $d0 $d1 >/dev/null 2>&1; then
		echo "$drv: create failed"
		unload
		return 1
	fi
	while :; do
		read -r act < /sys/block/md0/md/sync_action
		while read -r l; do
			[[ $l =~ speed=([0-9]+K/sec) ]] && speed=${BASH_REMATCH[1]}
		done < /proc/mdstat
		[ "$act" = idle ] && ! grep -q resync /proc/mdstat && break
		polls=$((polls + 1))
		sleep 0.05
	done
	t1=$(uptime_cs)
	read -r kib < /sys/block/md0/md/component_size
	a=$(ts "resync of RAID array md0")
	b=$(ts "md0: resync done.")
	awk -v d="$drv" -v r="$round" -v lab="$label" -v kib="$kib" -v a="$a" -v b="$b" \
		-v wall="$(( t1 - t0 ))" -v sp="${speed:-none}" -v polls=$polls 'BEGIN {
		s = b - a
		printf "%-5s round %d %-6s %4d MiB: resync %7.3f s = %7.1f MB/s (wall %5.2f s, %d polls; mdstat last %s)\n",
			d, r, lab, kib / 1024, s, (s > 0 ? kib * 1.024 / 1000 / s : 0), wall / 100, polls, sp
	}'
	mdadm --stop /dev/md0 >/dev/null 2>&1
	mdadm --zero-superblock $d0 $d1 2>/dev/null
	unload
}

echo "kernel $(uname -r), $(nproc) CPUs"
brd_run() {
	insmod $BRD rd_nr=2 rd_size=524288
	run "$@" /dev/ram0 /dev/ram1
	rmmod brd
}
# Round 0 warms up (module loading, the host's first writes to the disk
# images); rounds 1 and 2 count.
for round in 0 1 2; do
	for drv in rust c; do
		brd_run $drv $round brd
	done
done
for round in 0 1 2; do
	for drv in rust c; do
		run $drv $round virtio /dev/vda /dev/vdb
	done
done
