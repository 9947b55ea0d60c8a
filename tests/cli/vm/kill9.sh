#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kill -9 of a recorder: its file is still readable (with a warning), and
# "stop" finds, reports and cleans up after a killed background recorder.
. "$(dirname "$0")/lib.sh"

workload 64
"$DAMONCTL" start --pid "$target" -o fg.rec > /dev/null 2>&1 &
recorder=$!
wait_for "test -s fg.rec"
sleep 2
kill -KILL "$recorder"
wait "$recorder"
dctl report fg.rec
expect_rc 0
grep -qE "^damonctl: warning: fg.rec (has no end record|ends inside a record)" err ||
	{ show; fail "no warning about the unfinished file"; }
grep -q "^ *$target " out || { show; fail "no regions in fg.rec"; }

dctl start --background --pid "$target" -o bg.rec
expect_rc 0
id=$(sed -n 's/.*(id \([0-9]*\)).*/\1/p' out)
sleep 2
kill -KILL "$id"
wait_for "! alive $id"
dctl stop
expect_rc 1
expect_in err "background recording $id (pid $target) had died without finishing (was its recorder killed?)"
[ ! -e "run/damonctl/$id.state" ] || fail "the state file is still there"
dctl report bg.rec
expect_rc 0
echo "PASS"
