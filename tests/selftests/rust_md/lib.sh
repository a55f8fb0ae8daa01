#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Shared by the rust_md kselftests: where things are in the guest, KTAP
# helpers, and waiting for the kernel without fixed sleeps.
RMD_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$RMD_DIR/../kselftest/ktap_helpers.sh"

RUST_MD_KO=${RUST_MD_KO:-/lib/modules/rust_md/md_mod.ko}
C_MD_DIR=${C_MD_DIR:-/lib/modules/c_md}

# Is a block major registered under this name? (major_registered 9 md)
major_registered() {
	grep -qE "^ *$1 $2\$" /proc/devices
}

module_loaded() {
	local m _
	while read -r m _; do
		[ "$m" = "$1" ] && return 0
	done < /proc/modules
	return 1
}

# poll_until <seconds> <command...>: true as soon as the command succeeds,
# false if it still fails after the deadline. For state the kernel changes
# asynchronously (devices going away); never a stand-in for a fixed sleep.
poll_until() {
	local deadline=$((EPOCHSECONDS + $1)); shift
	until "$@"; do
		[ "$EPOCHSECONDS" -ge "$deadline" ] && return 1
		sleep 0.1
	done
}

# Leave the guest as the test found it even when a step failed. rmmod
# fails while deleted gendisks still wait for their release (see
# md_settle), so wait for that first. The C md's personalities go first.
try_rmmod_md() {
	local p
	for p in raid0 raid1; do
		! module_loaded $p || rmmod $p 2>/dev/null
	done
	! module_loaded md_mod || rmmod md_mod 2>/dev/null
}
unload_md() {
	poll_until 20 try_rmmod_md
	! module_loaded md_mod
}

# Load md_mod.ko (rust) or the C md reference (c), with optional parameters.
load_md() {
	local driver=$1; shift
	case "$driver" in
	rust) insmod "$RUST_MD_KO" "$@" ;;
	c) insmod "$C_MD_DIR/md-mod.ko" "$@" ;;
	esac
}

# load_md_levels <driver>: md able to run linear and raid0 arrays: rust_md
# has both built in; the C md needs its raid0 module (and 6.12 has no
# linear module at all: has_linear).
load_md_levels() {
	load_md "$1" || return 1
	RMD_LOADED=$1
	[ "$1" != c ] || insmod "$C_MD_DIR/raid0.ko"
}
has_linear() { [ "$1" != c ]; }

# The driver a single-driver test is about: RMD_DRIVER=c runs it against
# the C md, which is how the tests themselves are validated.
RMD_DRIVER=${RMD_DRIVER:-rust}
case "$RMD_DRIVER" in rust|c) ;; *) echo "RMD_DRIVER must be rust or c" >&2; exit 1 ;; esac

# A device node for md unit N (devtmpfs makes nodes only for existing disks).
md_node() {
	[ -b "/dev/md$1" ] || mknod "/dev/md$1" b 9 "$1"
	echo "/dev/md$1"
}

md_exists() { [ -e "/sys/block/$1" ]; }
md_gone() { [ ! -e "/sys/block/$1" ]; }

# Every md device in sysfs, space separated.
md_devices() {
	ls /sys/block | grep '^md' | tr '\n' ' '
}

# Wait (bounded) for an md device to go away after its last user.
# DEBUG_KOBJECT_RELEASE can delay the gendisk's release by seconds; the
# sysfs entry itself goes with del_gendisk.
wait_md_gone() {
	poll_until 20 md_gone "$1"
}

# Wait (bounded) until every deleted md gendisk is released, not only
# deleted: the kernel (kernel/patches/0002) pins the driver's module from
# del_gendisk() until the disk's release, so with nothing of ours open the
# module's reference count falls to zero then. The C md needs this before
# it makes a unit again (it frees a unit's name only at release), and
# CONFIG_DEBUG_KOBJECT_RELEASE delays releases by up to 4 s.
md_refcnt_zero() { [ "$(cat /sys/module/md_mod/refcnt 2>/dev/null)" = 0 ]; }
md_settle() {
	poll_until 20 md_refcnt_zero
}

# Everything back to nothing: no md device, md_mod unloaded. Used between
# parts of a test so that one failure does not cascade.
md_reset() {
	local d
	for d in $(md_devices); do
		echo clear > "/sys/block/$d/md/array_state" 2>/dev/null
	done
	for d in $(md_devices); do
		wait_md_gone "$d"
	done
	unload_md
}

# The kernel log since a mark: mark=$(dmesg_mark); ...; dmesg_since "$mark"
dmesg_mark() {
	local m="rust_md-test-mark-$RANDOM$RANDOM"
	echo "$m" > /dev/kmsg
	echo "$m"
}
dmesg_since() {
	dmesg | sed -n "/$1/,\$p" | tail -n +2
}

# ktap_check <description> <status>: pass when the status is 0.
ktap_check() {
	if [ "$2" = 0 ]; then ktap_test_pass "$1"; else ktap_test_fail "$1"; fi
}

# ---- arrays with members -------------------------------------------------

# mdadm without udev: it makes /dev/md/NAME links and nodes itself and keeps
# its map in /run/mdadm. HOST is the homehost it puts into array names.
export MDADM_NO_UDEV=1
HOST=$(hostname)

# Forget what mdadm remembers (map, /dev/md/ links), so that names and
# auto-numbering start afresh in each test.
mdadm_forget() {
	rm -rf /run/mdadm /dev/md
}

# wipe_sb <dev>...: zero where any md superblock could be (the first 8 KiB:
# 1.1 and 1.2; the last 128 KiB: 1.0 and 0.90), so that a test starts from
# members without a past.
wipe_sb() {
	local d size
	for d in "$@"; do
		size=$(blockdev --getsize64 "$d") || return 1
		md_pattern zero "$d" off=0 len=8k direct=1 >/dev/null &&
			md_pattern zero "$d" off=$((size - 131072)) len=128k direct=1 >/dev/null ||
			return 1
	done
}

# Loop devices over tmpfs files, for members of any size:
# loop_make <n> <size> makes /dev/loop<n>; loop_free detaches them all.
loop_make() {
	truncate -s "$2" "/tmp/rmd-loop$1" && losetup "/dev/loop$1" "/tmp/rmd-loop$1"
}
loop_free() {
	local f n
	for f in /tmp/rmd-loop*; do
		[ -e "$f" ] || continue
		n=${f#/tmp/rmd-loop}
		losetup -d "/dev/loop$n" 2>/dev/null
		rm -f "$f"
	done
}

# sb_get <dev> <version> <field>: one superblock field (md_sb), or nothing.
sb_get() {
	local out
	out=$(md_sb "$1" "$2" get "$3") && echo "${out#ok }"
}

# maj:min of a block device.
devnum() {
	cat "/sys/class/block/${1#/dev/}/dev"
}

# getv <var> <file>: a one-line file (a sysfs attribute) into a variable,
# without a fork (they are slow on an emulated debug kernel); empty if
# unreadable.
getv() {
	printf -v "$1" ''
	IFS= read -r "$1" < "$2" 2>/dev/null
	return 0
}

# attrs <dir> <name>...: "name=value name=value ..." into ATTRS.
attrs() {
	local d=$1 a v
	shift
	ATTRS=""
	for a in "$@"; do
		getv v "$d/$a"
		ATTRS+="${ATTRS:+ }$a=$v"
	done
}

# dev_bytes <dev>: a block device's size in bytes into BYTES (no fork).
dev_bytes() {
	local s n=$1
	[ ! -L "$n" ] || n=$(readlink -f "$n")
	getv s "/sys/class/block/${n#/dev/}/size"
	BYTES=$((s * 512))
}

# make_090_raid0 <chunk-KiB> <dev>...: 0.90 superblocks of a raid0 array on
# the devices. mdadm 4.2 refuses to create raid0 with 0.90 metadata ("0.90
# metadata does not support layouts for RAID0"), so create a 0.90 linear
# array (userspace writes the superblocks; the C md, which has no linear,
# then fails RUN_ARRAY; rust_md runs it) and make it raid0 in place.
make_090_raid0() {
	local chunk=$1 d; shift
	mdadm --create /dev/md9 --run -e 0.90 -l linear -n $# "$@" >/dev/null 2>&1
	[ -e /sys/block/md9 ] && mdadm --stop /dev/md9 >/dev/null 2>&1
	wait_md_released md9
	for d in "$@"; do
		md_sb "$d" 0.90 set level 0 >/dev/null &&
			md_sb "$d" 0.90 set chunk_size $((chunk * 1024)) >/dev/null || return 1
	done
}

# Kernel splats among the log lines since a mark (dmesg_mark).
SPLAT_RE='Oops|BUG|WARNING:|Call Trace|general protection|KASAN|UBSAN|refcount_t|corruption|kernel panic'
dmesg_clean_since() {
	! dmesg_since "$1" | grep -qE "$SPLAT_RE"
}

# The /proc/mdstat entry of one array: its lines, from "mdX : " to the
# blank line that ends it (inclusive). (Shell only: on the emulated debug
# kernel every program started costs about 0.1 s.)
mdstat_entry() {
	local l p=0 out=""
	while IFS= read -r l; do
		if [ $p = 0 ]; then
			[[ "$l" == "$1 : "* ]] || continue
			p=1
		fi
		out+="$l"$'\n'
		[[ "$l" =~ ^\ *$ ]] && break
	done < /proc/mdstat
	printf '%s' "${out%$'\n'}"
}

# mdadm_lines <mdadm arguments>: mdadm's output (stdout and stderr), each
# line trimmed and with inner runs of blanks squeezed, for line-by-line
# expectations: "Raid Level : raid0".
mdadm_lines() {
	local l w
	while IFS= read -r l; do
		read -ra w <<<"$l"
		echo "${w[*]}"
	done < <(mdadm "$@" 2>&1)
}
detail_lines() {
	mdadm_lines --detail "$1"
}

# expect_lines <text> <line>...: print the expected lines missing from the
# text (exact, whole-line matches); true if none is missing.
expect_lines() {
	local text=$'\n'"$1"$'\n' l missing=0
	shift
	for l in "$@"; do
		if [[ "$text" != *$'\n'"$l"$'\n'* ]]; then
			echo "# missing: '$l'"
			missing=1
		fi
	done
	return $missing
}

# ktap_skip_n <n> <description>: skip n results at once (a case that the
# driver under test cannot run), keeping the plan's count.
ktap_skip_n() {
	local i
	for ((i = 0; i < $1; i++)); do
		ktap_test_skip "$2"
	done
}

# ktap_eq <description> <got> <want>: pass when the texts are equal; else
# fail and show how they differ.
ktap_eq() {
	if [ "$2" = "$3" ]; then
		ktap_test_pass "$1"
	else
		ktap_test_fail "$1"
		if [[ "$2$3" == *$'\n'* ]]; then
			diff <(echo "$3") <(echo "$2") | sed 's/^/# /'
		else
			echo "# got:  $2"
			echo "# want: $3"
		fi
	fi
}

# ktap_check_out <description> <status> <output>: ktap_check, showing the
# output when it failed.
ktap_check_out() {
	ktap_check "$1" "$2"
	[ "$2" = 0 ] || [ -z "$3" ] || sed 's/^/# /' <<<"$3"
}

# mdadm's way of printing a size in --detail: " (x.xx MiB y.yy MB)" for
# arrays under 2 GiB, from KiB.
mdadm_human_kib() {
	local bytes=$(($1 * 1024))
	local cmib=$(( (bytes * 200 / 1048576 + 1) / 2 )) cmb=$(( (bytes / 5000 + 1) / 2 ))
	printf '%d.%02d MiB %d.%02d MB' $((cmib / 100)) $((cmib % 100)) $((cmb / 100)) $((cmb % 100))
}

# md_clear <mdX>: make an md device go (array_state=clear), whatever holds
# it: the C md keeps a device created by an open (mdadm opening /dev/mdX
# before giving up) until an ioctl or this.
md_clear() {
	[ ! -e "/sys/block/$1" ] || echo clear > "/sys/block/$1/md/array_state" 2>/dev/null
	wait_md_gone "$1"
}

# wait_md_released [mdX...]: wait (bounded) until the arrays are gone and,
# with the C md (load_md_levels c), every deleted gendisk released: the C
# md frees a unit only then, and an open or create of the same unit before
# fails (ENXIO, EEXIST), which DEBUG_KOBJECT_RELEASE makes last seconds.
# md_mod's references at rest are those of the C personality modules.
md_refcnt_at_rest() {
	local n=0 p
	for p in raid0 raid1; do
		! module_loaded $p || n=$((n + 1))
	done
	[ "$(cat /sys/module/md_mod/refcnt 2>/dev/null)" = $n ]
}
wait_md_released() {
	local d
	for d in "$@"; do
		wait_md_gone "$d" || return 1
	done
	[ "${RMD_LOADED:-}" != c ] || poll_until 20 md_refcnt_at_rest
}

# Start and end of an array test: no array, no loop device, no mdadm
# memory, no superblock on the virtio disks (tests leave no trace, even
# when they fail half-way: arrays go first, so their members can).
RMD_DISKS=(/dev/vda /dev/vdb /dev/vdc /dev/vdd)
rmd_setup() {
	loop_free
	mdadm_forget
	wipe_sb "${RMD_DISKS[@]}"
}
rmd_cleanup() {
	md_reset
	loop_free
	mdadm_forget
	wipe_sb "${RMD_DISKS[@]}"
	rm -rf /tmp/rmd-*
}
