#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of `make bench` (scripts/bench.sh runs it with
# `scripts/guest.sh perf script`): rust_md and the C md, each loaded in
# turn on the same brd members, several rounds, fio and lifecycle figures.
# It prints one line per figure, for scripts/bench.py to read:
#
#   info <key>=<value>
#   result round=<n> driver=<rust|c|raw> scenario=<name> value=<v> unit=<u> [k=v...]
#   error round=<n> driver=<d> scenario=<name> msg=<text>
#
# Parameters come from the kernel command line (the kernel hands unknown
# key=value words to /init, whose environment this script inherits):
# bench_rounds, bench_runtime and bench_ramp (fio seconds per job),
# bench_churn (open/close cycles), bench_arrays (idle arrays for the memory
# figure), bench_gone (close-to-gone samples), bench_member_mb (brd size).
set -uo pipefail
export PATH=/sbin:/bin:/usr/sbin:/usr/bin MDADM_NO_UDEV=1
rounds=${bench_rounds:-5}
runtime=${bench_runtime:-4}
ramp=${bench_ramp:-1}
churn=${bench_churn:-1000}
arrays=${bench_arrays:-400}
gone_samples=${bench_gone:-20}
member_mb=${bench_member_mb:-256}
RUST_KO=/lib/modules/rust_md/md_mod.ko
C_DIR=/lib/modules/c_md
mkdir -p /run/mdadm
round=0 driver=none

err() { echo "error round=$round driver=$driver scenario=$1 msg=${2// /_}"; }

# nap <seconds>: a short wait inside a polling loop without a fork (a
# program started costs more than the waits measured here).
mkfifo /tmp/bench-nap
exec 9<>/tmp/bench-nap
nap() { read -r -t "$1" -u 9 _ || :; }

# poll <seconds> <command...>: true once the command succeeds, false after
# the deadline. State the kernel changes asynchronously is polled, never
# waited for by a fixed sleep.
poll() {
	local deadline=$((EPOCHSECONDS + $1)); shift
	until "$@"; do
		[ "$EPOCHSECONDS" -ge "$deadline" ] && return 1
		nap "${POLL_NAP:-0.001}"
	done
}

loaded() { grep -q "^$1 " /proc/modules; }
gone() { [ ! -e "/sys/block/$1" ]; }
md_list() { # (a glob: ls stats entries that may go meanwhile)
	local d
	for d in /sys/block/md*; do [ -e "$d" ] && echo "${d##*/}"; done
}
no_md() { [ -z "$(md_list)" ]; }
# The C md frees a unit only when its gendisk is released; with nothing
# of ours open md_mod's references are then those of its personalities.
at_rest() {
	local want=0 p
	for p in linear raid0 raid1; do loaded $p && want=$((want + 1)); done
	[ "$(cat /sys/module/md_mod/refcnt 2>/dev/null)" = "$want" ]
}
settle() { poll 20 no_md && poll 20 at_rest; }

load() { # load <rust|c>
	case "$1" in
	rust) insmod "$RUST_KO" ;;
	c) insmod "$C_DIR/md-mod.ko" && for p in linear raid0 raid1; do
		insmod "$C_DIR/$p.ko" || return 1
	done ;;
	esac || return 1
	# Resync as fast as it can: the raid1 figures never wait on a limit.
	echo 2000000 > /proc/sys/dev/raid/speed_limit_max &&
		echo 2000000 > /proc/sys/dev/raid/speed_limit_min
}
try_unload() {
	local m
	for m in raid0 raid1 linear md_mod; do
		! loaded $m || rmmod $m 2>/dev/null || return 1
	done
}
unload() {
	local d
	for d in $(md_list); do
		echo clear > "/sys/block/$d/md/array_state" 2>/dev/null
	done
	poll 20 no_md && poll 20 try_unload
}

members=(/dev/ram0 /dev/ram1 /dev/ram2 /dev/ram3)
wipe() { mdadm --zero-superblock "$@" 2>/dev/null; return 0; }

# cpu_sample: the system-wide busy and idle jiffies so far (/proc/stat).
cpu_sample() {
	local _c user nice sys idle iowait irq softirq steal _rest
	read -r _c user nice sys idle iowait irq softirq steal _rest < /proc/stat
	CPU_BUSY=$((user + nice + sys + irq + softirq + steal))
	CPU_IDLE=$((idle + iowait))
}

# fio_run <scenario> <device> <rw> <bs> <iodepth> <jobs>: one time-based
# fio job with libaio and O_DIRECT; its terse line gives bandwidth, IOPS
# and CPU; /proc/stat around it gives how busy the whole guest was
# (kernel threads included), so the CPU time per I/O can be told apart
# from waiting.
fio_run() {
	local name=$1 dev=$2 rw=$3 bs=$4 depth=$5 jobs=$6 line b0 i0 t0 t1 extra=()
	case "$rw" in rand*) extra=(--norandommap --randrepeat=0) ;; esac
	cpu_sample; b0=$CPU_BUSY i0=$CPU_IDLE; t0=$EPOCHREALTIME
	line=$(fio --name="$name" --filename="$dev" --rw="$rw" --bs="$bs" \
		--iodepth="$depth" --numjobs="$jobs" --direct=1 --ioengine=libaio \
		--time_based --runtime="$runtime" --ramp_time="$ramp" \
		--group_reporting --output-format=terse --terse-version=3 \
		"${extra[@]}" 2>&1 | grep '^3;')
	t1=$EPOCHREALTIME
	cpu_sample
	# terse v3: 7/8 read KiB/s and IOPS, 48/49 write, 88/89 usr/sys CPU %
	# (averaged over the jobs), 90 context switches.
	awk -F';' -v r="$round" -v d="$driver" -v s="$name" -v rw="$rw" \
		-v busy=$((CPU_BUSY - b0)) -v idle=$((CPU_IDLE - i0)) \
		-v secs="$(awk "BEGIN { print $t1 - $t0 }")" '
		NF >= 90 {
			w = (rw ~ /write/)
			kib = w ? $48 : $7; iops = w ? $49 : $8
			if (iops <= 0) exit 1
			seq = (rw == "read" || rw == "write")
			printf "result round=%s driver=%s scenario=%s value=%.1f unit=%s", r, d, s,
				seq ? kib / 1024 : iops, seq ? "MiB/s" : "IOPS"
			printf " iops=%.0f mibs=%.1f fio_usr=%s fio_sys=%s ctx=%s", iops, kib / 1024, $88, $89, $90
			printf " busy=%.3f secs=%.2f\n", (busy + idle) ? busy / (busy + idle) : 0, secs
			ok = 1
		}
		END { exit !ok }' <<<"$line" || err "$name" "fio: ${line:-no output}"
}

fio_set() { # fio_set <prefix> <device> <workload>...
	local prefix=$1 dev=$2 w; shift 2
	for w in "$@"; do
		case "$w" in
		seqread) fio_run "$prefix.$w" "$dev" read 1M 16 1 ;;
		seqwrite) fio_run "$prefix.$w" "$dev" write 1M 16 1 ;;
		randread) fio_run "$prefix.$w" "$dev" randread 4k 32 2 ;;
		randwrite) fio_run "$prefix.$w" "$dev" randwrite 4k 32 2 ;;
		esac
	done
}

# create <unit> <mdadm level options> <members...>; destroy <unit> times
# the stop of the running array to its disappearance.
create() {
	local unit=$1; shift
	mdadm --create "/dev/$unit" --run --metadata=1.2 "$@" > /tmp/bench-mdadm 2>&1 &&
		[ -e "/sys/block/$unit" ] || { err "$unit" "mdadm --create: $(tail -1 /tmp/bench-mdadm)"; return 1; }
}
destroy() { # destroy <unit> <scenario for the stop figure> <members...>
	local unit=$1 name=$2 t0 t1; shift 2
	t0=$EPOCHREALTIME
	mdadm --stop "/dev/$unit" > /tmp/bench-mdadm 2>&1 || err "$name" "mdadm --stop: $(tail -1 /tmp/bench-mdadm)"
	if poll 20 gone "$unit"; then
		t1=$EPOCHREALTIME
		[ -z "$name" ] || echo "result round=$round driver=$driver scenario=$name" \
			"value=$(awk "BEGIN { printf \"%.3f\", ($t1 - $t0) * 1000 }") unit=ms"
	else
		err "${name:-$unit}" "$unit still there after its stop"
	fi
	settle
	wipe "$@"
}

# Wait until a new raid1 has nothing to resync (create --assume-clean
# should leave nothing, but a driver may still check).
idle() { local v; read -r v < "/sys/block/$1/md/sync_action" 2>/dev/null && [ "$v" = idle ]; }

bench_arrays() {
	if create md0 --level=0 --chunk=64 --raid-devices=4 "${members[@]}"; then
		fio_set raid0 /dev/md0 seqread seqwrite randread randwrite
		# md's per-array I/O statistics off (the C md then skips
		# bio_start_io_acct; rust_md keeps none): what they cost.
		if echo 0 > /sys/block/md0/queue/iostats; then
			fio_run raid0.randread_nostats /dev/md0 randread 4k 32 2
		else
			err raid0.randread_nostats "cannot write queue/iostats"
		fi
		destroy md0 lifecycle.stop_raid0 "${members[@]}"
	fi
	if create md1 --level=1 --raid-devices=2 --assume-clean "${members[@]:0:2}"; then
		poll 60 idle md1 || err raid1 "md1 not idle after create --assume-clean"
		fio_set raid1 /dev/md1 seqwrite randread
		destroy md1 "" "${members[@]:0:2}"
	fi
	if create md2 --level=linear --raid-devices=2 "${members[@]:0:2}"; then
		fio_set linear /dev/md2 seqwrite randread
		destroy md2 "" "${members[@]:0:2}"
	fi
}

# raid1 resync on two members with the speed limits lifted: from the
# create to the array in sync again. In sync: sync_action idle, and
# resync_start "none" or, where a driver does not show that, md's "resync
# done" in the kernel log since the create. The log's own timestamps give
# the resync alone (kernel_secs). Polled every 10 ms without starting a
# program: the poll must not take CPU from the resync it times; the end is
# the moment idle is seen, the kernel log is read only after it.
mark() { MARK="bench-mark-$RANDOM$RANDOM"; echo "$MARK" > /dev/kmsg; }
since_mark() { dmesg | sed -n "/$MARK/,\$p"; }
in_sync() {
	local v
	read -r v < "/sys/block/$1/md/resync_start"
	[ "$v" = none ] || since_mark | grep -q "md: $1: resync done"
}
wait_synced() { # wait_synced <mdX>: SYNCED_AT is when it was seen idle and in sync
	local deadline=$((EPOCHSECONDS + 300))
	while POLL_NAP=0.01 poll 300 idle "$1"; do
		SYNCED_AT=$EPOCHREALTIME
		in_sync "$1" && return 0
		[ "$EPOCHSECONDS" -ge "$deadline" ] && return 1
		nap 0.01
	done
	return 1
}
bench_resync() {
	local t0 t1 tc sectors ksecs
	mark
	t0=$EPOCHREALTIME
	create md3 --level=1 --raid-devices=2 "${members[@]:2:2}" || return
	tc=$EPOCHREALTIME
	if wait_synced md3; then
		t1=$SYNCED_AT
		read -r sectors < /sys/block/md3/size
		ksecs=$(since_mark | awk -F'[][]' '
			/md: resync of RAID array md3/ { s = $2 }
			/md: md3: resync done/ { e = $2 }
			END { if (s != "" && e != "") printf "%.3f", e - s; else print "?" }')
		echo "result round=$round driver=$driver scenario=raid1.resync" \
			"value=$(awk "BEGIN { printf \"%.1f\", $sectors / 2048 / ($t1 - $t0) }") unit=MiB/s" \
			"mib=$((sectors / 2048)) secs=$(awk "BEGIN { printf \"%.3f\", $t1 - $t0 }")" \
			"create_secs=$(awk "BEGIN { printf \"%.3f\", $tc - $t0 }") kernel_secs=$ksecs"
	else
		err raid1.resync "no end of the resync seen ($(cat /sys/block/md3/md/sync_action))"
	fi
	destroy md3 "" "${members[@]:2:2}"
}

# The same resync again, with a user-space ticker noting the time every
# 5 ms: the longest gap between its ticks is how long user space went
# without the CPU meanwhile (the guest has one; a resync that never
# yields holds everything else off until it ends). Kept apart from the
# throughput figure, from which the ticker would take a little CPU.
bench_stall() {
	local t0 t1 tick
	: > /tmp/bench-ticks
	( while :; do echo "$EPOCHREALTIME"; nap 0.005; done ) > /tmp/bench-ticks &
	tick=$!
	poll 5 test -s /tmp/bench-ticks
	mark
	t0=$EPOCHREALTIME
	if create md3 --level=1 --raid-devices=2 "${members[@]:2:2}"; then
		if wait_synced md3; then
			t1=$SYNCED_AT
			awk -v a="$t0" -v b="$t1" -v r="$round" -v d="$driver" '
				$1 >= a && $1 <= b { if (p) { g = $1 - p; if (g > m) m = g } p = $1; n++ }
				END { printf "result round=%s driver=%s scenario=raid1.resync_stall", r, d
					printf " value=%.1f unit=ms ticks=%d secs=%.3f\n", m * 1000, n, b - a }' /tmp/bench-ticks
		else
			err raid1.resync_stall "no end of the resync seen"
		fi
		destroy md3 "" "${members[@]:2:2}"
	fi
	kill "$tick"; wait "$tick" 2>/dev/null
}

# Probe, open, STOP_ARRAY and close of an inactive /dev/md5, each cycle
# creating the array anew and deleting it: what both drivers do (the C md
# keeps a probed array until an ioctl, so the STOP_ARRAY is needed; an
# open that meets the old array still going away is retried by md_churn
# in user space, as it must be on the C md).
bench_churn() {
	local out left b0 i0 busy
	[ -b /dev/md5 ] || mknod /dev/md5 b 9 5
	# How busy the guest was: a cycle bound by waiting (a grace period,
	# a timer) shows as idle time, one bound by work does not.
	cpu_sample; b0=$CPU_BUSY i0=$CPU_IDLE
	out=$(md_churn /dev/md5 "$churn" stop retry 2>&1)
	cpu_sample
	busy=$(awk -v b=$((CPU_BUSY - b0)) -v i=$((CPU_IDLE - i0)) 'BEGIN { printf "%.3f", (b + i) ? b / (b + i) : 0 }')
	poll 20 gone md5
	settle
	left=$(md_list | wc -l)
	# "cycles: N failed: N seconds: S rate: R/s user-space retries: K"
	awk -v r="$round" -v d="$driver" -v left="$left" -v busy="$busy" '
		/^cycles:/ { sub("/s", "", $8)
			printf "result round=%s driver=%s scenario=lifecycle.churn value=%s unit=cycles/s", r, d, $8
			printf " cycles=%s failed=%s retries=%s left=%s busy=%s\n", $2, $4, $11, left, busy; ok = 1 }
		END { exit !ok }' <<<"$out" || err lifecycle.churn "${out:-no output}"
	[ "$left" = 0 ] || err lifecycle.churn "$left md devices left behind: $(md_list)"
}

# The last close of a stopped array to its disappearance from /sys/block:
# a probed, inactive array stopped (STOP_ARRAY) while another opener holds
# it; that opener's close is timed until the directory goes. The median of
# bench_gone samples, each on a unit of its own.
bench_gone() {
	local i unit t0 t1 ms=()
	for ((i = 0; i < gone_samples; i++)); do
		unit=$((100 + i))
		[ -b "/dev/md$unit" ] || mknod "/dev/md$unit" b 9 $unit
		exec 3< "/dev/md$unit" || { err lifecycle.close_to_gone "open md$unit failed"; return; }
		md_ioctl "/dev/md$unit" stop > /dev/null || err lifecycle.close_to_gone "STOP_ARRAY md$unit failed"
		t0=$EPOCHREALTIME
		exec 3<&-
		# (poll's own steps would add a third of a millisecond here)
		until gone "md$unit"; do
			nap 0.0002
			((EPOCHSECONDS - ${t0%.*} < 20)) || { err lifecycle.close_to_gone "md$unit stays"; return; }
		done
		t1=$EPOCHREALTIME
		ms+=("$(awk "BEGIN { printf \"%.3f\", ($t1 - $t0) * 1000 }")")
		settle
	done
	printf '%s\n' "${ms[@]}" | sort -n | awk -v r="$round" -v d="$driver" '
		{ v[NR] = $1 }
		END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "result round=%s driver=%s scenario=lifecycle.close_to_gone value=%.3f unit=ms", r, d, m
			printf " min=%s max=%s samples=%d\n", v[1], v[NR], NR }'
}

# Memory per idle array: bench_arrays named arrays (new_array=md_NAME,
# held until stopped), the kernel memory they took, divided among them:
# the slab objects in use (/proc/slabinfo: objects times their size), and
# the per-CPU, vmalloc and kernel stack pages (/proc/meminfo). Objects, not
# slab pages: the driver measured second in a round would otherwise reuse
# the slab pages the first one freed, and look smaller for it. MemFree and
# the slab pages (Slab) alongside. Measured first after the load; one array
# made beforehand takes the one-time costs (caches) out of the figure.
mem_sample() {
	sync; echo 3 > /proc/sys/vm/drop_caches
	eval "$(awk 'FNR == NR { if (FNR > 2) obj += $2 * $4; next }
		{ sub(":", "", $1); m[$1] = $2 }
		END { printf "MEM_OBJ=%d MEM_FREE=%d MEM_SLAB=%d MEM_PAGES=%d\n", obj / 1024,
			m["MemFree"], m["Slab"], m["Percpu"] + m["VmallocUsed"] + m["KernelStack"] }' \
		/proc/slabinfo /proc/meminfo)"
}
bench_memory() {
	local i o0 p0 f0 s0 d
	echo md_bwarm > /sys/module/md_mod/parameters/new_array || err mem.idle_array "new_array failed"
	mem_sample; o0=$MEM_OBJ p0=$MEM_PAGES f0=$MEM_FREE s0=$MEM_SLAB
	for ((i = 0; i < arrays; i++)); do
		echo "md_b$i" > /sys/module/md_mod/parameters/new_array ||
			{ err mem.idle_array "new_array md_b$i failed"; break; }
	done
	mem_sample
	((i)) && awk -v r="$round" -v d="$driver" -v n=$i -v o=$((MEM_OBJ - o0)) -v p=$((MEM_PAGES - p0)) \
		-v f=$((f0 - MEM_FREE)) -v s=$((MEM_SLAB - s0)) 'BEGIN {
		printf "result round=%s driver=%s scenario=mem.idle_array value=%.1f unit=KiB", r, d, (o + p) / n
		printf " arrays=%d slab_obj_kib=%.1f pages_kib=%.2f slab_kib=%.1f free_kib=%.1f\n",
			n, o / n, p / n, s / n, f / n }'
	for d in $(md_list); do
		echo clear > "/sys/block/$d/md/array_state"
	done
	settle || err mem.idle_array "arrays left after clear: $(md_list)"
}

bench_driver() { # bench_driver <rust|c>
	driver=$1
	local t0=$EPOCHSECONDS
	load "$driver" || { err load "cannot load $driver"; unload; return; }
	bench_memory
	bench_arrays
	bench_resync
	bench_stall
	bench_churn
	bench_gone
	unload || err unload "cannot unload $driver: $(md_list)"
	echo "info phase=round$round-$driver seconds=$((EPOCHSECONDS - t0))"
}

echo "info kernel=$(uname -r) cpus=$(nproc) mem_mib=$(awk '$1 == "MemTotal:" { print int($2 / 1024) }' /proc/meminfo)"
echo "info clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
echo "info fio=$(fio --version) mdadm=$(mdadm --version 2>&1 | awk '{ print $3 }')"
echo "info rounds=$rounds runtime=$runtime ramp=$ramp churn=$churn arrays=$arrays gone=$gone_samples member_mib=$member_mb"
insmod /lib/modules/extra/brd.ko rd_nr=4 rd_size=$((member_mb * 1024)) || exit 1
# Every page of the members allocated once, so that reads are real reads
# (brd answers a read of a page never written with zeros, without work).
for m in "${members[@]}"; do
	dd if=/dev/zero of="$m" bs=1M oflag=direct 2> /dev/null
done
# Each driver once through the arrays of the memory figure before any
# round: the slab caches then hold freed objects of both, as in every
# later round. (Round 1 still comes out some 10 % lower for both drivers,
# the ratio the same.)
for driver in rust c; do
	load "$driver" || { err load "cannot load $driver"; continue; }
	for ((i = 0; i < arrays; i++)); do
		echo "md_w$i" > /sys/module/md_mod/parameters/new_array || break
	done
	unload || err unload "cannot unload $driver: $(md_list)"
done
start=$EPOCHSECONDS
for ((round = 1; round <= rounds; round++)); do
	driver=raw
	fio_set raw /dev/ram0 seqread seqwrite randread randwrite
	# A B, then B A: each driver goes first as often as the other, so
	# that a drift over the run does not favour one.
	if ((round % 2)); then order="rust c"; else order="c rust"; fi
	for d in $order; do
		bench_driver "$d"
	done
done
echo "info guest_seconds=$((EPOCHSECONDS - start))"
