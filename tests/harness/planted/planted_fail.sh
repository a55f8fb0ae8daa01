#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Planted: one subtest passes, one fails.
. "$(dirname "$0")/../kselftest/ktap_helpers.sh"
ktap_print_header
ktap_set_plan 2
ktap_test_pass "planted pass"
ktap_test_fail "planted failure"
ktap_finished
