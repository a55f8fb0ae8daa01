#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Planted: a real kernel WARN (lkdtm), while the test itself reports success.
. "$(dirname "$0")/../kselftest/ktap_helpers.sh"
ktap_print_header
ktap_set_plan 1
echo WARNING > /sys/kernel/debug/provoke-crash/DIRECT
ktap_test_pass "a test that passes while the kernel warns"
ktap_finished
