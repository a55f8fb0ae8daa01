#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Planted: the run never ends (no runner timeout here); only QEMU's hard
# timeout stops it, and the sentinel is missing.
. "$(dirname "$0")/../kselftest/ktap_helpers.sh"
ktap_print_header
ktap_set_plan 1
ktap_test_pass "before the hang"
while :; do sleep 1; done
