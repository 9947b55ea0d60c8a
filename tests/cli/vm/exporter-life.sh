#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# What a long-running exporter meets: a cgroup v1 hierarchy (refused with a
# sentence), processes its user may not monitor (skipped and counted, not
# fatal), its cgroup removed and made again, every target gone and the
# module unloaded and loaded again (it reconnects, and says so in
# damon_exporter_reconnects_total).
. "$(dirname "$0")/lib.sh"

for tool in curl setpriv useradd; do
	command -v "$tool" > /dev/null || fail "$tool is missing (.ci/install-deps installs it)"
done
[ -n "${DAMON_MODULE:-}" ] && [ -f "$DAMON_MODULE" ] ||
	fail "DAMON_MODULE does not name the module (the VM runner sets it)"
ip link set lo up || fail "cannot bring up the loopback interface"

# A cgroup v1 hierarchy of its own (no controller): refused.
mkdir v1
mount -t cgroup -o none,name=damontest none v1 || fail "cannot mount a cgroup v1 hierarchy"
restore+=("umount $work/v1")
dctl exporter --cgroup v1 --no-web --textfile .
expect_rc 2
expect_in err "--cgroup v1 is in a cgroup v1 hierarchy; damonctl reads cgroup v2 only"

test_cgroup damon-exporter-life
# The module must be back whatever happens below.
restore=("lsmod | grep -q '^damondev ' || insmod '$DAMON_MODULE'" "${restore[@]}")
id -u dexporter > /dev/null 2>&1 ||
	useradd --no-create-home --user-group --shell /usr/sbin/nologin dexporter ||
	fail "useradd dexporter"
mode=$(stat -c %a /dev/damon)
chmod 0666 /dev/damon
restore+=("chmod $mode /dev/damon 2> /dev/null")
chmod 0755 "$work"
# Programs the other user can run, wherever the build tree is.
mkdir bin
cp "$DAMONCTL" "$MEMTOUCH" bin/ || fail "cannot copy the programs"
DAMONCTL=$work/bin/damonctl MEMTOUCH=$work/bin/memtouch
chmod 0755 bin bin/*

port=9733
url=http://127.0.0.1:$port/metrics
metric() {
	curl -sf "$url" | awk -v k="$1" '$1 == k { print $2 }'
}
label='{cgroup="/damon-exporter-life"}'
expect_metric() {
	wait_for "[ \"\$(metric '$1')\" = '$2' ]" "${3:-60}" ||
		fail "$1 never became $2"
	log "$1 = $2"
}

# Processes of another user are skipped, and counted.
in_cgroup "$MEMTOUCH" 16 0
in_cgroup --as dexporter "$MEMTOUCH" 16 0
setpriv --reuid=dexporter --regid=dexporter --init-groups -- \
	"$DAMONCTL" exporter --cgroup $d --web.listen-address 127.0.0.1:$port \
	> unpriv.out 2>&1 &
unpriv=$!
pids+=("$unpriv")
expect_metric "damon_targets$label" 1
expect_metric "damon_targets_skipped$label" 1
alive $unpriv || { cat unpriv.out; fail "the unprivileged exporter died"; }
kill $unpriv
wait $unpriv 2> /dev/null
for p in "${pids[@]}"; do kill "$p" 2> /dev/null; done
wait_for "[ -z \"\$(cat $d/cgroup.procs)\" ]" 30

# Root's exporter: the cgroup removed and made again.
"$DAMONCTL" exporter --cgroup $d --update 500ms \
	--web.listen-address 127.0.0.1:$port > exporter.out 2>&1 &
exporter=$!
pids+=("$exporter")
in_cgroup "$MEMTOUCH" 16 0
w=$!
expect_metric "damon_targets$label" 1
expect_metric damon_exporter_sessions 1
kill $w
expect_metric "damon_targets$label" 0
# No target, no session: nothing holds the module.
expect_metric damon_exporter_sessions 0
rmdir $d || fail "rmdir $d"
expect_metric "damon_group_present$label" 0
mkdir $d || fail "mkdir $d"
expect_metric "damon_group_present$label" 1

# The module unloaded while the exporter runs, a process arriving
# meanwhile, the module loaded again.
rmmod damondev || fail "rmmod damondev failed with the exporter idle: it holds the device"
in_cgroup "$MEMTOUCH" 16 0
w=$!
expect_metric damon_device_up 0
insmod "$DAMON_MODULE" || fail "insmod $DAMON_MODULE"
wait_for "[ -c /dev/damon ]" 10
expect_metric damon_device_up 1
expect_metric damon_exporter_reconnects_total 1
expect_metric "damon_targets$label" 1
alive $exporter || { cat exporter.out; fail "the exporter died"; }
cat exporter.out
grep -q "works again: monitoring resumes" exporter.out ||
	fail "the exporter did not say that it reconnected"
kill $w $exporter
wait $exporter
echo "PASS"
