#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# What `make run` shows: md_mod loads and owns block major 9; opening
# /dev/md0 creates md0, which goes away after the last close; new_array
# makes a named array; stopping and unloading leave nothing behind.
set -e
show() { echo "\$ $*"; "$@"; }
gone() { # wait (bounded) for a device to leave sysfs
	i=0
	while [ -e "/sys/block/$1" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	[ ! -e "/sys/block/$1" ]
}
echo "rust_md demo on $(uname -r)"
show insmod /lib/modules/rust_md/md_mod.ko
show grep -w md /proc/devices
show cat /proc/mdstat
show mknod /dev/md0 b 9 0
echo "\$ exec 3</dev/md0      # opening a missing unit creates it"
exec 3</dev/md0
show ls /sys/block/md0/md
show cat /sys/block/md0/md/array_state
echo "\$ echo 2 > /sys/block/md0/md/raid_disks"
echo 2 > /sys/block/md0/md/raid_disks
show cat /proc/mdstat
echo "\$ exec 3<&-            # configured: it stays after the close"
exec 3<&-
show ls /sys/block/md0/md/array_state
echo "\$ echo clear > /sys/block/md0/md/array_state"
echo clear > /sys/block/md0/md/array_state
gone md0 && echo "md0 is gone"
echo "\$ echo md_demo > /sys/module/md_mod/parameters/new_array"
echo md_demo > /sys/module/md_mod/parameters/new_array
show cat /sys/block/md_demo/dev
show rmmod md_mod
if grep -qw md /proc/devices || [ -e /sys/block/md_demo ]; then
	echo "something was left after rmmod" >&2
	exit 1
fi
echo "md_mod unloaded; every array deleted and block major 9 free again"
echo "$ dmesg | grep md:"; dmesg | grep "md:" || true
