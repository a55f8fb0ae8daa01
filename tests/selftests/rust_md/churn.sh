#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Churn: at least 1000 cycles of open and close of an inactive /dev/md0,
# each making and deleting the array, with no failure and no device left
# behind (the post-run kmemleak scan checks memory). The rate is printed
# for rust_md and, with a STOP_ARRAY per cycle as it needs, for the C md.
. "$(dirname "$0")/lib.sh"
cycles=${RMD_CHURN_CYCLES:-1000}

ktap_print_header
ktap_set_plan 4

load_md rust
dev=$(md_node 0)
out=$(md_churn "$dev" "$cycles")
ktap_check "rust: $out" $?
wait_md_gone md0 && [ "$(md_devices)" = "" ]
ktap_check "rust: no device left after the churn" $?
out=$(md_churn "$dev" $((cycles / 4)) stop)
ktap_check "rust, with STOP_ARRAY: $out" $?
md_reset

load_md c
out=$(md_churn "$dev" $((cycles / 4)) stop)
ktap_print_msg "c, with STOP_ARRAY: $out"
wait_md_gone md0
md_reset
[ "$(md_devices)" = "" ] && ! module_loaded md_mod
ktap_check "c: churn done, nothing left" $?
ktap_finished
