#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# What `make run` shows: md_mod loads and owns block major 9; the real
# mdadm creates a raid0 array on it, data written through /dev/md0 reads
# back after a stop and an assemble; a raid1 loses a mirror and rebuilds a
# new one with the data intact; opening a missing /dev/mdN creates it
# and the last close deletes it; unloading leaves nothing behind.
set -e
show() { echo "\$ $*"; "$@"; }
gone() { # wait (bounded) for a device to leave sysfs
	i=0
	while [ -e "/sys/block/$1" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	[ ! -e "/sys/block/$1" ]
}
export MDADM_NO_UDEV=1
mkdir -p /run/mdadm
echo "rust_md demo on $(uname -r)"
show insmod /lib/modules/rust_md/md_mod.ko
show grep -w md /proc/devices
mdadm --zero-superblock /dev/vda /dev/vdb 2>/dev/null || true
show mdadm --create /dev/md0 --run --level=0 --raid-devices=2 --chunk=64 /dev/vda /dev/vdb
show cat /proc/mdstat
show mdadm --detail /dev/md0
show ls /sys/block/md0/md /sys/block/vda/holders
echo "\$ dd if=/dev/urandom of=/tmp/data bs=1M count=64; dd if=/tmp/data of=/dev/md0 bs=1M oflag=direct"
dd if=/dev/urandom of=/tmp/data bs=1M count=64 2>/dev/null
dd if=/tmp/data of=/dev/md0 bs=1M oflag=direct 2>&1 | tail -1
show mdadm --stop /dev/md0
show mdadm --assemble /dev/md0 /dev/vda /dev/vdb
echo "\$ cmp -n 64M /tmp/data /dev/md0"
cmp -n 67108864 /tmp/data /dev/md0 && echo "the data read back is the data written"
show mdadm --examine /dev/vdb
show mdadm --stop /dev/md0
gone md0 && echo "md0 is gone after the stop"

# raid1: a mirror fails, is replaced, and the recovery rebuilds it.
mdadm --zero-superblock /dev/vdc /dev/vdd 2>/dev/null || true
show mdadm --create /dev/md1 --run --level=1 --raid-devices=2 --size=64M /dev/vdc /dev/vdd
show cat /proc/mdstat
show mdadm --wait /dev/md1 || true
echo "\$ dd if=/tmp/data of=/dev/md1 bs=1M count=32 oflag=direct"
dd if=/tmp/data of=/dev/md1 bs=1M count=32 oflag=direct 2>&1 | tail -1
show mdadm /dev/md1 --fail /dev/vdd
show cat /proc/mdstat
show mdadm /dev/md1 --remove /dev/vdd
show mdadm --zero-superblock /dev/vdd
show mdadm /dev/md1 --add /dev/vdd
show cat /proc/mdstat
show mdadm --wait /dev/md1 || true
show cat /proc/mdstat
echo "\$ cmp -n 32M /tmp/data /dev/md1"
cmp -n 33554432 /tmp/data /dev/md1 && echo "the data survived the failure and the recovery"
show cat /sys/block/md1/md/sync_action /sys/block/md1/md/degraded
show mdadm --stop /dev/md1
gone md1 && echo "md1 is gone after the stop"
show mknod /dev/md3 b 9 3
echo "\$ exec 3</dev/md3      # opening a missing unit creates it"
exec 3</dev/md3
show cat /sys/block/md3/md/array_state
echo "\$ exec 3<&-            # unconfigured: it goes with the last close"
exec 3<&-
gone md3 && echo "md3 is gone"
show rmmod md_mod
if grep -qw md /proc/devices; then
	echo "something was left after rmmod" >&2
	exit 1
fi
echo "md_mod unloaded; every array deleted and block major 9 free again"
