#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# start --cgroup records every process of a cgroup as they come and go:
# one started in it later shows in the snapshots within two update
# intervals, one that exits leaves them, and the file records both (with
# the newcomer's name, which the report shows).  --follow-children does
# the same for the processes a COMMAND forks.
. "$(dirname "$0")/lib.sh"

test_cgroup damon-start-test

dctl start --cgroup /nonexistent -o x.rec
expect_rc 2
expect_in err "--cgroup /nonexistent: No such file or directory"
dctl start --cgroup $d -o x.rec
expect_rc 1
expect_in err "there is no process to record in the cgroup $d"

in_cgroup "$MEMTOUCH" 16 0
first=$!
# in_cgroup's shell moves itself in: until then the cgroup is empty.
wait_for "grep -qx $first $d/cgroup.procs" 30
"$DAMONCTL" start --cgroup $d --update 500ms --duration 8s -o c.rec \
	> start.out 2> start.err &
rec=$!
pids+=("$rec")
wait_for "[ -s c.rec ]" 30
sleep 2
in_cgroup "$MEMTOUCH" 16 0
late=$!
t_late=$(date +%s%N)
sleep 2
kill $first
wait $rec
rc=$?
cat start.err
expect_rc 0
dctl report -f jsonl c.rec
expect_rc 0
cp out c.jsonl
grep -q "^{\"target\":\[{\"event\":\"arrived\",\"pid\":$late," c.jsonl ||
	fail "no arrival of pid $late in the record"
grep -q "^{\"target\":\[{\"event\":\"left\",\"pid\":$first," c.jsonl ||
	fail "no departure of pid $first in the record"
grep '^{"target"' c.jsonl
# Snapshots with the newcomer, and none with the one that left after its
# departure.
python3 - "$late" "$first" c.jsonl << 'PY' || fail "the snapshots do not follow the cgroup"
import json, sys
late, first, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
arrived = left = name = None
with_late = []
after_left = 0
for line in open(path):
    o = json.loads(line)
    if "target" in o:
        t = o["target"][0]
        if t["pid"] == late and t["event"] == "arrived":
            arrived = t["time_ns"]
        # Found between fork and exec it arrives under its parent's name;
        # an exec event names it then.
        if t["pid"] == late and t["event"] in ("arrived", "exec"):
            name = t["comm"]
        if t["pid"] == first and t["event"] == "left":
            left = t["time_ns"]
    if "snapshot" in o:
        s = o["snapshot"][0]
        pids = s["target_pid"]
        if late in pids:
            with_late.append(s["time_ns"])
        if left is not None and first in pids and s["time_ns"] > left + 1e9:
            after_left += 1
print("arrival recorded at %.2f s, first snapshot with it %d, after departure %d with the old pid"
      % (arrived / 1e9, len(with_late), after_left))
assert arrived is not None and with_late, "the newcomer never appeared"
assert name == "memtouch", "the newcomer is last named %r" % name
assert after_left == 0, "snapshots kept the departed process"
PY
# The table and the views have the newcomer, though the header does not
# list it.
dctl report c.rec
expect_rc 0
grep -q "^ *$late " out || { show; fail "the table has no regions of $late"; }
dctl report --view wss --pid $late c.rec
expect_rc 0
expect_empty err
dctl report --view hot --pid $late c.rec
expect_rc 0
grep -q "memtouch\|anon" out || { show; fail "the hot view of $late is empty"; }

# top --cgroup: a table of the cgroup's processes.
in_cgroup "$MEMTOUCH" 16 0
t1=$!
wait_for "grep -qx $t1 $d/cgroup.procs" 30
dctl top --cgroup $d --batch -n 3
expect_rc 0
cat out
grep -q "^ *$t1 memtouch " out || { show; fail "top --cgroup has no row of $t1"; }
n=$(wc -l < $d/cgroup.procs)
grep -q "^/damon-start-test: $n processes" out ||
	{ show; fail "top --cgroup does not count the $n processes of the cgroup"; }
kill $t1

# --follow-children: a COMMAND that forks after a while.
dctl start --follow-children --update 500ms -o f.rec -- \
	bash -c "sleep 2; \"$MEMTOUCH\" 8 2; true"
expect_rc 0
dctl report -f jsonl f.rec
expect_rc 0
grep '^{"target"' out
grep -q '^{"target":\[{"event":"\(arrived\|exec\)","pid":[0-9]*,"time_ns":[0-9]*,"comm":"memtouch"}\]}' out ||
	fail "the child of the COMMAND was not recorded"
echo "PASS"
