#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The views on a real recording: the demo workload (tests/demo) recorded
# with its maps, then every view, the damo export and top --batch.  The
# heatmap and WSS pictures go to the results directory (heatmap-demo.svg,
# wss-demo.svg), with the recording (demo.rec): cli/heatmap-demo.svg in the
# README is one of them.
results=$PWD	# the VM runner starts each test in its results directory
. "$(dirname "$0")/lib.sh"

DEMO=${3:?usage: $0 DAMONCTL MEMTOUCH DEMO_WORKLOAD}
dctl start -o demo.rec -- "$DEMO" 10
expect_rc 0
expect_in err "the COMMAND exited with status 0"
for view in heatmap wss hot recency; do
	dctl report --view "$view" demo.rec
	expect_rc 0
	expect_empty err
	cat out
done
# The demo's 256 MiB mapping is the hottest memory, and named.
dctl report --view hot --top 3 demo.rec
grep -qE '^ +1 .* \[anon\]$' out || { show; fail "the hottest region is not the anonymous mapping"; }
expect_in out "coverage: "
# The recording too, to draw it again on the host.
cp demo.rec "$results/demo.rec"
dctl report --view heatmap --svg "$results/heatmap-demo.svg" demo.rec
expect_rc 0
dctl report --view wss --svg "$results/wss-demo.svg" demo.rec
expect_rc 0
for view in heatmap wss hot recency; do
	dctl report --view "$view" --json demo.rec
	expect_rc 0
	python3 -m json.tool out > /dev/null || fail "--view $view --json is not JSON"
done
python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' \
	"$results/heatmap-demo.svg" || fail "heatmap-demo.svg is not XML"
dctl report --export damo-json demo.rec
expect_rc 0
python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
assert len(r) == 1 and len(r[0]["snapshots"]) > 10, len(r)' out ||
	fail "the damo export is not one record with its snapshots"

# top --batch straight from the device, for a few aggregations.
workload 32
dctl top --batch --pid "$target" -n 5
expect_rc 0
expect_empty err
[ "$(grep -c "^pid $target (memtouch)  #" out)" -eq 5 ] || { show; fail "expected 5 blocks"; }
head -12 out
echo "PASS"
