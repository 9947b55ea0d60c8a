#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# damo itself (3.3.0, unmodified, in ../shared/damo beside the source tree)
# reads what "damonctl report --export" writes, and agrees with damonctl's
# own views on the same recording:
#
#   records  damo's loader, through the file type check its commands use
#            (the compressed export) and directly (the plain one), gives
#            every target, snapshot and region that "report -f jsonl" has
#   wss      "damo report wss --exclude_samples 0 --per_target" prints the
#            percentiles and average of "report --view wss", per target
#            (its defaults differ on purpose: damonctl(8), wss)
#   access   "damo report access" prints the latest snapshot's regions with
#            the sizes, access rates and ages of "report --pid"
#   heatmap  "damo report heatmap --output raw" draws the file: a grid of
#            the resolution asked for, heat where damonctl saw accesses
#
# Usage: damo-interop.sh DAMONCTL MKFIXTURE DAMO-DIR CHECK
# Exits 77 (skipped, with the reason) when damo is not there.
set -u
DAMONCTL=$1 MKFIXTURE=$2 DAMO=$3 check=$4
fail() { echo "FAIL ($check): $*"; exit 1; }
[ -f "$DAMO/src/damo.py" ] || {
	echo "SKIP: no damo at $DAMO (the suite looks for ../shared/damo beside the source tree; meson configure -Ddamo_dir=DIR names another)"
	exit 77
}
for t in python3 file; do
	command -v $t > /dev/null ||
		fail "$t is missing, so damo cannot run: apt-get install $t (.ci/install-deps does)"
done
work=$(mktemp -d /tmp/damo-interop.XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
"$MKFIXTURE" views views.rec || fail "mkfixture"
"$DAMONCTL" report --export damo-json-compressed views.rec > views.json.z ||
	fail "damonctl report --export damo-json-compressed"
"$DAMONCTL" report --export damo-json views.rec > views.json ||
	fail "damonctl report --export damo-json"
damo() { python3 "$DAMO/src/damo.py" "$@"; }
pids="1000 1001"	# the fixture's targets

case $check in
records)
	"$DAMONCTL" report -f jsonl views.rec > ours.jsonl || fail "report -f jsonl"
	python3 - "$DAMO/src" ours.jsonl <<'EOF' || fail "damo's records differ from damonctl's"
import json, sys
sys.path.insert(0, sys.argv[1])
import _damo_records

ours = {}	# pid -> [[(start, end, nr_accesses, age), ...] per snapshot]
for line in open(sys.argv[2]):
    j = json.loads(line)
    if "snapshot" not in j:
        continue
    s = j["snapshot"][0]
    for pid in s["target_pid"]:
        regions = [(a, b, n, g) for p, a, b, n, g in zip(
            s["region_pid"], s["region_start"], s["region_end"],
            s["region_nr_accesses"], s["region_age"]) if p == pid]
        if regions:
            ours.setdefault(pid, []).append(regions)

def theirs(records):
    out = {}
    for rec in records:
        out[rec.target_id] = [[(r.start, r.end, r.nr_accesses.samples,
                                r.age.aggr_intervals) for r in snap.regions]
                              for snap in rec.snapshots]
    return out

compressed, err = _damo_records.parse_records_file("views.json.z")
assert err is None, err
plain = _damo_records.parse_json_file("views.json")
for name, records in (("compressed", compressed), ("plain", plain)):
    got = theirs(records)
    assert got == ours, "%s: damo read %s" % (name, {
        pid: len(snaps) for pid, snaps in got.items()})
print("ok - damo's loader reads both exports: %s" % ", ".join(
    "pid %d: %d snapshots, %d regions" % (pid, len(snaps),
                                          sum(map(len, snaps)))
    for pid, snaps in sorted(ours.items())))
EOF
	;;
wss)
	damo report wss --input views.json.z --exclude_samples 0 --per_target \
		--raw_number > damo.out 2>&1 || { cat damo.out; fail "damo report wss"; }
	for pid in $pids; do
		"$DAMONCTL" report --view wss --bytes --pid "$pid" views.rec > ours.out ||
			fail "report --view wss --pid $pid"
		want=$(awk '$1 ~ /^[0-9]+$/ { printf "%s:%s ", $1, $2 } $1 == "average" { printf "avr:%s", $2 }' ours.out)
		got=$(awk -v t="$pid" '$1 == "#" && $2 == "target_id" { on = ($3 == t) }
			on && $1 ~ /^[0-9]+$/ { printf "%s:%s ", $1, $2 }
			on && $2 == "avr:" { avr = $3 } END { printf "avr:%s", avr }' damo.out)
		[ "$want" = "$got" ] || { cat ours.out damo.out; fail "pid $pid: damonctl '$want', damo '$got'"; }
		echo "ok - pid $pid: damo's working set percentiles and average equal damonctl's ($want)"
	done
	;;
access)
	damo report access --input views.json.z --raw_number --dont_merge_regions \
		> damo.out 2>&1 || { cat damo.out; fail "damo report access"; }
	for pid in $pids; do
		# damo: "<i> addr <start> size <bytes> access <hz> age <us>" per
		# region, per snapshot; its last snapshot of the target.
		got=$(awk -v t="$pid" '/target id/ { on = ($0 ~ ("target id " t " ")) }
			on && /^snapshot time/ { n = 0; delete r }
			on && $2 == "addr" { r[n++] = $3 ":" $5 ":" int($7) ":" $9 }
			END { for (i = 0; i < n; i++) printf "%s ", r[i] }' damo.out)
		"$DAMONCTL" report --pid "$pid" --bytes --raw --noheadings \
			-o START,SIZE,HZ,AGE views.rec > ours.out || fail "report --pid $pid"
		want=$(while read -r start size hz age; do
			printf '%d:%s:%s:%s ' "$start" "$size" "${hz%.*}" "$age"
		done < ours.out)
		[ -n "$want" ] && [ "$want" = "$got" ] ||
			{ cat ours.out; grep -A12 "target id $pid " damo.out | tail -12; fail "pid $pid: damonctl '$want', damo '$got'"; }
		echo "ok - pid $pid: damo shows the latest snapshot's $(wc -l < ours.out) regions as damonctl does"
	done
	;;
heatmap)
	damo report heatmap --input views.json.z --output raw --resol 8 16 \
		--abs_addr > damo.out 2>&1 || { cat damo.out; fail "damo report heatmap"; }
	[ "$(wc -l < damo.out)" = 128 ] || { head damo.out; fail "not an 8 x 16 grid"; }
	# The hottest cell's address lies in a region that damonctl saw
	# accessed at some time of the recording.
	read -r _ addr heat < <(awk '$3 != "NaN" && $3 > max { max = $3; line = $0 } END { print line }' damo.out)
	[ -n "${heat:-}" ] || fail "damo drew no heat at all"
	"$DAMONCTL" report -f jsonl views.rec > ours.jsonl || fail "report -f jsonl"
	python3 - ours.jsonl "$addr" <<'EOF' || fail "damo's hottest cell (address $addr) is where damonctl saw no access"
import json, sys
addr = int(sys.argv[2])
for line in open(sys.argv[1]):
    s = json.loads(line).get("snapshot", [None])[0]
    if s and any(a <= addr < b and n > 0 for a, b, n in zip(
            s["region_start"], s["region_end"], s["region_nr_accesses"])):
        sys.exit(0)
sys.exit(1)
EOF
	echo "ok - damo draws an 8 x 16 heatmap; its hottest cell ($heat) is memory damonctl saw accessed"
	;;
*)
	fail "unknown check"
	;;
esac
echo "PASS"
