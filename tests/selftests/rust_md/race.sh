#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Opens racing deletion: four processes open and close /dev/md0 in a loop
# while another clears it (array_state), stops it (STOP_ARRAY) or makes it
# again (new_array), for a bounded time each. With the kernel's open retry
# no open fails; the retries are counted (debugfs block/open_retries*) and
# bounded per open. Afterwards nothing is left and rmmod succeeds. The C md
# runs the same race for comparison (counted, not judged).
. "$(dirname "$0")/lib.sh"
secs=${RMD_RACE_SECONDS:-8}
dbg=/sys/kernel/debug/block

ktap_print_header
ktap_set_plan 9

retry_stats() {
	echo "retries=$(cat $dbg/open_retries) max_per_open=$(cat $dbg/open_retries_max) gave_up=$(cat $dbg/open_retry_give_ups)"
}

if [ -e $dbg/open_retries ]; then
	ktap_test_pass "kernel: open retry present (CONFIG_BLK_DEV_OPEN_RETRY)"
else
	ktap_test_fail "kernel: open retry present (CONFIG_BLK_DEV_OPEN_RETRY)"
fi

all_out=""
load_md rust
dev=$(md_node 0)
for stopper in clear stop new_array all; do
	for f in open_retries open_retries_max open_retry_give_ups; do echo 0 > $dbg/$f; done
	out=$(md_race "$dev" 0 4 "$secs" "$stopper")
	all_out+="$out"$'\n'
	echo "$out" | sed 's/^/# /'
	stats=$(retry_stats)
	ktap_print_msg "rust, $stopper: $stats"
	summary=$(echo "$out" | grep '^opens:')
	failed=$(echo "$summary" | sed -n 's/.*failed: \([0-9]*\).*/\1/p')
	max=$(cat $dbg/open_retries_max)
	[ "$failed" = 0 ] && [ "$(cat $dbg/open_retry_give_ups)" = 0 ] && [ "$max" -le 8 ]
	ktap_check "rust, $stopper: no open failed, retries bounded ($summary; $stats)" $?
done
md_reset
[ "$(md_devices)" = "" ] && ! module_loaded md_mod
ktap_check "rust: nothing left, rmmod succeeded" $?

load_md c
for f in open_retries open_retries_max open_retry_give_ups; do echo 0 > $dbg/$f; done
out=$(md_race "$dev" 0 4 "$secs" clear)
all_out+="$out"$'\n'
echo "$out" | sed 's/^/# /'
ktap_print_msg "c, clear: $(echo "$out" | grep '^opens:')"
echo "$out" | grep -q '^opens: [1-9]'
ktap_check "c, clear: the race ran (opens counted)" $?
md_ioctl "$dev" stop >/dev/null 2>&1
md_reset
[ "$(md_devices)" = "" ] && ! module_loaded md_mod
ktap_check "c: nothing left, rmmod succeeded" $?

# Without the retry an open that loses the race must still never see
# ERESTARTSYS: the module turns it into ENODEV (checked by the race above
# never reporting ERESTARTSYS on either kernel).
! grep -q ERESTARTSYS <<<"$all_out"
ktap_check "no open ever returned ERESTARTSYS to user space" $?
ktap_finished
