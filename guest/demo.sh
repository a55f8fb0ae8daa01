#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# What `make run` shows: md_mod loads, owns block major 9, and unloads.
set -e
show() { echo "\$ $*"; "$@"; }
echo "rust_md demo on $(uname -r)"
show insmod /lib/modules/rust_md/md_mod.ko
show grep -w md /proc/devices
show ls /sys/module/md_mod
show rmmod md_mod
if grep -qw md /proc/devices; then
	echo "major 9 still registered after rmmod" >&2
	exit 1
fi
echo "md_mod unloaded; block major 9 is free again"
