#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# start --background, stop, report: a complete file that says it was
# stopped, and no state file left.
. "$(dirname "$0")/lib.sh"

workload 64
dctl start --background --pid "$target" -o bg.rec
expect_rc 0
expect_in out "recording in the background to $work/bg.rec (id "
id=$(sed -n 's/.*(id \([0-9]*\)).*/\1/p' out)
[ -e "run/damonctl/$id.state" ] || fail "no state file for recording $id"
sleep 3
dctl stop
expect_rc 0
expect_in out "stopped recording $id: "
expect_in out "to $work/bg.rec: stopped by SIGTERM"
[ ! -e "run/damonctl/$id.state" ] || fail "the state file is still there"
wait_for "! alive $id" 10
expect_report bg.rec "$target"
expect_in out '"cause":"signal","signal":"SIGTERM"'
head -3 out
echo "PASS"
