#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# --duration ends the recording by itself; the targets keep running.
. "$(dirname "$0")/lib.sh"

workload 32
dctl start --pid "$target" --duration 2s --aggr 200ms -o d.rec
expect_rc 0
expect_in err "to d.rec: the --duration passed"
alive "$target" || fail "the target did not survive the recording"
expect_report d.rec "$target"
expect_in out '"aggr_us":200000'
echo "PASS"
