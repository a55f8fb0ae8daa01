#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The C md driver of the same kernel is in the guest, apart from ours, as
# the reference for behaviour and speed: it loads on purpose only, owns
# major 9 while loaded, excludes md_mod.ko (same module name), and unloads.
. "$(dirname "$0")/lib.sh"

ktap_print_header
ktap_set_plan 5

if [ -f "$C_MD_DIR/md-mod.ko" ] && [ -f "$C_MD_DIR/raid0.ko" ] && [ -f "$C_MD_DIR/raid1.ko" ]; then
	ktap_test_pass "C md modules shipped in $C_MD_DIR"
else
	ktap_test_fail "C md modules shipped in $C_MD_DIR"
fi

if ! module_loaded md_mod && [ ! -e /proc/mdstat ]; then
	ktap_test_pass "nothing autoloaded the C md"
else
	ktap_test_fail "nothing autoloaded the C md"
fi

if insmod "$C_MD_DIR/md-mod.ko" && major_registered 9 md && [ -e /proc/mdstat ]; then
	ktap_test_pass "C md loads and owns major 9"
else
	ktap_test_fail "C md loads and owns major 9"
fi

if insmod "$RUST_MD_KO" 2>/dev/null; then
	ktap_test_fail "md_mod.ko refused while the C md is loaded"
	rmmod md_mod
else
	ktap_test_pass "md_mod.ko refused while the C md is loaded"
fi

if rmmod md_mod && ! major_registered 9 md && ! module_loaded md_mod; then
	ktap_test_pass "C md unloads and frees major 9"
else
	ktap_test_fail "C md unloads and frees major 9"
fi
ktap_finished
