#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Checks after every test has run, as a KTAP document of its own: a clean
# kernel (no taint but out-of-tree/unsigned, lockdep still on, no leak) and
# nothing left behind by the tests (no md device, md_mod unloaded).
n=0
result() { # result <ok?> <name> [diagnostic]
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2${3:+ # $3}"; fi
}
echo "TAP version 13"
echo "1..5"

taint=$(cat /proc/sys/kernel/tainted)
bad=$((taint & ~(4096 | 8192)))	# O (out-of-tree) and E (unsigned) are ours
[ $bad = 0 ]; result $? "post: taint" "tainted=$taint"

if [ -r /proc/lockdep_stats ]; then
	grep -q "debug_locks: *1" /proc/lockdep_stats
	result $? "post: lockdep still active" "$(grep debug_locks /proc/lockdep_stats)"
else
	n=$((n + 1)); echo "ok $n post: lockdep # SKIP not built in"
fi

if [ -w /sys/kernel/debug/kmemleak ]; then
	# kmemleak only reports objects older than 5 s, and needs two scans
	# to be sure: its documented minimum age, not a synchronisation guess.
	echo scan > /sys/kernel/debug/kmemleak
	sleep 6
	echo scan > /sys/kernel/debug/kmemleak
	leaks=$(cat /sys/kernel/debug/kmemleak)
	[ -z "$leaks" ]; result $? "post: kmemleak" "$(echo "$leaks" | head -1)"
	[ -z "$leaks" ] || echo "$leaks" | head -40 | sed 's/^/# /'
else
	n=$((n + 1)); echo "ok $n post: kmemleak # SKIP not built in"
fi

left=$(ls /sys/block | grep '^md' | tr '\n' ' ')
[ -z "$left" ]; result $? "post: no md device left" "$left"

! grep -q '^md_mod ' /proc/modules; result $? "post: md_mod unloaded"
