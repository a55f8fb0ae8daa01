#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# md_mod loads and unloads cleanly, again and again: while loaded it owns
# block major 9 "md" and /sys/module/md_mod; after rmmod neither remains.
. "$(dirname "$0")/lib.sh"
cycles=${RMD_MODLOAD_CYCLES:-3}

ktap_print_header
ktap_set_plan $((5 + 3 * cycles))

if ! module_loaded md_mod && ! major_registered 9 md; then
	ktap_test_pass "major 9 is free before the first load"
else
	ktap_test_fail "major 9 is free before the first load"
fi

# The .modinfo section: NUL-separated key=value strings.
info=$(tr '\0' '\n' < "$RUST_MD_KO" | grep -aE '^(license|alias|description|author|name)=')
if grep -qx "license=GPL" <<<"$info" && grep -qx "alias=block-major-9-\*" <<<"$info" &&
	grep -q "^description=." <<<"$info" && grep -qx "name=md_mod" <<<"$info"; then
	ktap_test_pass "modinfo: name md_mod, license GPL, alias block-major-9-*, description"
else
	ktap_print_msg "$info"
	ktap_test_fail "modinfo: name md_mod, license GPL, alias block-major-9-*, description"
fi

for i in $(seq "$cycles"); do
	ktap_test_result "cycle $i: insmod md_mod.ko" insmod "$RUST_MD_KO"
	if major_registered 9 md && [ -d /sys/module/md_mod ]; then
		ktap_test_pass "cycle $i: major 9 md registered"
	else
		ktap_test_fail "cycle $i: major 9 md registered"
	fi
	if rmmod md_mod && ! major_registered 9 md && [ ! -e /sys/module/md_mod ] &&
		! module_loaded md_mod; then
		ktap_test_pass "cycle $i: rmmod leaves no trace"
	else
		ktap_test_fail "cycle $i: rmmod leaves no trace"
	fi
done

# A device that is open pins the module; closed, unload succeeds.
insmod "$RUST_MD_KO"
exec 3<"$(md_node 0)"
err=$(rmmod md_mod 2>&1)
module_loaded md_mod && md_exists md0
ktap_check "rmmod while /dev/md0 is open fails, md0 intact (${err##*: })" $?
exec 3<&-
wait_md_gone md0 && md_settle
# Unload tears down every array, configured, held or named.
exec 3<"$(md_node 1)"
echo 2 > /sys/block/md1/md/raid_disks
exec 3<&-
md_write /sys/module/md_mod/parameters/new_array md_named >/dev/null
md_write /sys/module/md_mod/parameters/new_array md7 >/dev/null
[ "$(md_devices)" = "md1 md7 md_named " ]
ktap_check "before unload: md1 (configured), md7 and md_named (held)" $?
rmmod md_mod && [ "$(md_devices)" = "" ] && ! major_registered 9 md
ktap_check "rmmod deletes every array and frees major 9" $?
unload_md
ktap_finished
