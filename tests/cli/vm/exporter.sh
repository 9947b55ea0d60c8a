#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# damonctl exporter with the real components: a workload with a known hot
# area in a cgroup this test makes; promtool accepts the exposition; a
# real Prometheus server scrapes the exporter and its HTTP API answers
# damon_working_set_bytes for the cgroup within 25% of the truth;
# node_exporter serves the --textfile output.  A process started in the
# cgroup later and a child forked by a followed process appear within two
# update intervals (plus one aggregation: figures come with snapshots),
# and leave when they exit.
. "$(dirname "$0")/lib.sh"

for tool in promtool prometheus prometheus-node-exporter curl; do
	command -v "$tool" > /dev/null ||
		fail "$tool is missing: apt-get install prometheus prometheus-node-exporter curl (.ci/install-deps)"
done
ip link set lo up || fail "cannot bring up the loopback interface"

test_cgroup damon-exporter-test

# The hot area: memtouch writes the first eighth of its mapping without
# pause, after touching all of it once.
mib=256
hot=$((mib / 8 * 1048576))
in_cgroup "$MEMTOUCH" $mib 0
w1=$!
wait_for "grep -q 'VmRSS:.*[0-9]\{6\} kB' /proc/$w1/status" 60

port=9732
update_s=1
tf=$work/textfile
mkdir "$tf"
# --tlb-flush: under QEMU's software emulation the monitor is blind
# without it (NOTES.md); root may flush as often as it likes.
# A followed process that forks when told to (a line on its fifo).
mkfifo go
bash -c 'read -r _ < go; "$1" 16 0 < /dev/null > /dev/null 2>&1 & echo $! > child; wait' \
	sh "$MEMTOUCH" &
parent=$!
pids+=("$parent")
"$DAMONCTL" exporter --cgroup $d --pid $parent --follow-children --per-process \
	--tlb-flush --update ${update_s}s --web.listen-address 127.0.0.1:$port \
	--textfile "$tf" --textfile-interval 1s > exporter.out 2>&1 &
exporter=$!
pids+=("$exporter")
url=http://127.0.0.1:$port/metrics
# metric NAME_AND_LABELS: its value in the exporter's latest exposition.
metric() {
	curl -sf "$url" | awk -v k="$1" '$1 == k { print $2 }'
}
wait_for "[ \"\$(metric 'damon_targets{cgroup=\"/damon-exporter-test\"}')\" = 1 ]" 60
curl -sf "$url" > scrape.txt || fail "no metrics at $url"
promtool check metrics < scrape.txt > promtool.out 2>&1 ||
	{ cat promtool.out; fail "promtool check metrics refused the exposition"; }
log "promtool check metrics: accepted ($(wc -l < scrape.txt) lines)"
for m in damon_monitored_bytes damon_working_set_bytes damon_idle_bytes \
		damon_regions damon_kdamond_cpu_seconds_total \
		damon_snapshots_dropped_total damon_samples_done_ratio \
		damon_sampling_interval_seconds damon_targets \
		damon_targets_revoked_total damon_exporter_scrape_duration_seconds; do
	grep -q "^# TYPE $m " scrape.txt || fail "no $m in the exposition"
done

# Prometheus itself scrapes it, every second.
cat > prometheus.yml << EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: damon
    static_configs:
      - targets: ['127.0.0.1:$port']
EOF
prometheus --config.file=prometheus.yml --storage.tsdb.path="$work/tsdb" \
	--web.listen-address=127.0.0.1:9090 > prometheus.log 2>&1 &
pids+=("$!")
query() {
	curl -sf --get --data-urlencode "query=$1" \
		http://127.0.0.1:9090/api/v1/query > query.json 2> /dev/null || return 0
	python3 -c 'import json,sys
r = json.load(open(sys.argv[1]))["data"]["result"]
print(r[0]["value"][1] if r else "")' query.json
}
# A median over 20 s of scrapes: one aggregation interval is noisy.
q='quantile_over_time(0.5, damon_working_set_bytes{cgroup="/damon-exporter-test"}[20s])'
wait_for "[ -n \"\$(query 'damon_working_set_bytes{cgroup=\"/damon-exporter-test\"}')\" ]" 120 ||
	{ tail -n 20 prometheus.log; fail "Prometheus never scraped the exporter"; }
sleep 20
wss=$(query "$q")
log "Prometheus: median damon_working_set_bytes over 20 s = $wss; the hot area is $hot bytes"
python3 -c "import sys; w = float(sys.argv[1]); t = float(sys.argv[2]); sys.exit(0 if abs(w - t) <= 0.25 * t else 1)" \
	"$wss" "$hot" || fail "working set $wss is not within 25% of $hot"

# node_exporter serves the textfile.
wait_for "[ -s '$tf/damon.prom' ]" 30
prometheus-node-exporter --collector.disable-defaults --collector.textfile \
	--collector.textfile.directory="$tf" \
	--web.listen-address=127.0.0.1:9100 > node-exporter.log 2>&1 &
pids+=("$!")
wait_for "curl -sf http://127.0.0.1:9100/metrics > node.txt && grep -q '^damon_working_set_bytes{cgroup=\"/damon-exporter-test\"}' node.txt" 60
grep -q '^node_textfile_scrape_error 0' node.txt ||
	{ grep textfile node.txt; fail "node_exporter could not read the textfile"; }
log "node_exporter serves $(grep -c '^damon_' node.txt) damon_ series from the textfile"

# Arrivals and departures within two update intervals (+ an aggregation).
limit_ms=$(( (2 * update_s) * 1000 + 1000 ))
# appears PID: milliseconds until a per-process series has it, or fails.
# until_series present|absent PID: milliseconds until a per-process series
# of PID is there (or gone), or "never" within 60 s.
until_series() {
	local t0 now found
	t0=$(date +%s%N)
	while :; do
		found=absent
		curl -sf "$url" | grep -q "^damon_process_working_set_bytes{[^}]*pid=\"$2\"" &&
			found=present
		now=$(date +%s%N)
		if [ $found = "$1" ]; then
			echo $(( (now - t0) / 1000000 ))
			return 0
		fi
		[ $(( (now - t0) / 1000000000 )) -lt 60 ] || break
		sleep 0.1
	done
	echo never
}
appears() { until_series present "$1"; }
leaves() { until_series absent "$1"; }
# On the debug kernel (KASAN makes every sample about 20 times dearer)
# the delays are reported, not checked, as kern-churn does with STOP.
debug_kernel=0
case $(uname -r) in *-damondev-debug) debug_kernel=1 ;; esac
within() {
	local limit_ms=${3:-$limit_ms}
	if [ $debug_kernel = 1 ] && [ "$1" != never ]; then
		log "$2: $1 ms (debug kernel: reported, not checked)"
		return 0
	fi
	[ "$1" != never ] && [ "$1" -le "$limit_ms" ] || {
		cat exporter.out
		curl -sf "$url" | grep -v '^#'
		fail "$2 took $1 ms (limit $limit_ms ms)"
	}
	log "$2: $1 ms"
}
in_cgroup "$MEMTOUCH" 16 0
late=$!
# The clock starts once it is in the cgroup.
wait_for "grep -qx $late $d/cgroup.procs" 30
within "$(appears $late)" "a process started in the cgroup later appeared"
[ "$(metric 'damon_targets{cgroup="/damon-exporter-test"}')" = 2 ] ||
	fail "damon_targets of the cgroup is not 2 with two processes"
echo go > go
wait_for "[ -s child ]" 30
child=$(cat child)
pids+=("$child")
# A child is found through its parent's children, and its first regions
# wait for the module's next regions update: seen 2.4 to 3.4 s, so one
# more aggregation is allowed than for a process that enters the cgroup.
within "$(appears $child)" "a child forked by a followed process appeared" \
	$((limit_ms + 1000))
kill $late $child
within "$(leaves $late)" "a process that exited from the cgroup left"
within "$(leaves $child)" "an exited child left"
[ "$(metric 'damon_targets{cgroup="/damon-exporter-test"}')" = 1 ] ||
	fail "damon_targets of the cgroup is not back to 1"
alive "$exporter" || { cat exporter.out; fail "the exporter died"; }
cat exporter.out
echo "PASS"
