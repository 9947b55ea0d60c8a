#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The exporter's cost (benchmark step "exporter", in the VM, as root):
# exporter-load.sh DAMONCTL SMALLPROC N WINDOW_S OUT.json
# N small processes (smallproc: 1 MiB each, a quarter written every
# 100 ms) in one cgroup; `damonctl exporter --cgroup` at its defaults
# (auto-tuned, at most 100 regions per process, no TLB flush).  Once every
# process is monitored and a warm-up has passed, the CPU of the kernel
# threads (damon_kdamond_cpu_seconds_total) and of the exporter
# (/proc/PID/stat) over WINDOW_S seconds, and how many of the samples due
# were taken (damon_samples_done_ratio, scraped every second).
set -u
damonctl=$1 smallproc=$2 n=$3 window=$4 out=$5
port=9734
url=http://127.0.0.1:$port/metrics
cg=/sys/fs/cgroup
d=$cg/damon-bench-fleet
work=$(mktemp -d /tmp/exporter-load.XXXXXX)
pids=()
cleanup() {
	kill "${pids[@]}" 2> /dev/null
	wait 2> /dev/null
	rmdir "$d" 2> /dev/null
	rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "exporter-load: $*"; exit 1; }
ip link set lo up || fail "no loopback"
if [ "$(stat -f -c %T $cg 2> /dev/null)" != cgroup2fs ]; then
	mount -t cgroup2 none $cg || fail "cannot mount cgroup2"
fi
mkdir -p $d || fail "mkdir $d"
mkfifo "$work/ready"
sh -c 'echo $$ > "$1/cgroup.procs" && exec "$2" "$3" 1 100' sh "$d" \
	"$smallproc" "$n" > "$work/ready" 2>&1 &
pids+=("$!")
read -r line < "$work/ready"
[ "$line" = ready ] || fail "smallproc: $line"
"$damonctl" exporter --cgroup $d --web.listen-address 127.0.0.1:$port \
	> "$work/exporter.log" 2>&1 &
exporter=$!
pids+=("$exporter")
metric() { curl -sf "$url" | awk -v k="$1" '$1 == k { print $2 }'; }
label='{cgroup="/damon-bench-fleet"}'
t0=$(date +%s)
until [ "$(metric "damon_targets$label")" = "$n" ]; do
	[ $(($(date +%s) - t0)) -lt 600 ] || fail "only $(metric "damon_targets$label") of $n monitored after 600 s"
	kill -0 $exporter 2> /dev/null || { cat "$work/exporter.log"; fail "the exporter died"; }
	sleep 1
done
settle=$(($(date +%s) - t0))
sleep 10
tick=$(getconf CLK_TCK)
cpu_of() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
k0=$(metric "damon_kdamond_cpu_seconds_total$label")
e0=$(cpu_of $exporter)
s0=$(date +%s%N)
ratios=()
for ((i = 0; i < window; i++)); do
	sleep 1
	r=$(metric "damon_samples_done_ratio$label")
	[ -n "$r" ] && ratios+=("$r")
done
k1=$(metric "damon_kdamond_cpu_seconds_total$label")
e1=$(cpu_of $exporter)
s1=$(date +%s%N)
sessions=$(metric "damon_sessions$label")
sample=$(metric "damon_sampling_interval_seconds$label")
regions=$(metric "damon_regions$label")
python3 - "$out" "$n" "$settle" "$k0" "$k1" "$e0" "$e1" "$tick" "$s0" "$s1" \
	"$sessions" "$sample" "$regions" "${ratios[@]}" << 'PY'
import json, sys
a = sys.argv[1:]
out, n, settle = a[0], int(a[1]), int(a[2])
k0, k1, e0, e1, tick = float(a[3]), float(a[4]), int(a[5]), int(a[6]), int(a[7])
s0, s1 = int(a[8]), int(a[9])
sessions, sample, regions = int(a[10]), float(a[11]), int(a[12])
ratios = sorted(float(x) for x in a[13:])
wall = (s1 - s0) / 1e9
res = dict(processes=n, settle_s=settle, window_s=wall, sessions=sessions,
           regions=regions, sampling_interval_s=sample,
           kdamond_cpu_s=k1 - k0, exporter_cpu_s=(e1 - e0) / tick,
           samples_done_ratio_min=ratios[0] if ratios else None,
           samples_done_ratio_median=ratios[len(ratios) // 2] if ratios else None)
json.dump(res, open(out, 'w'))
print(json.dumps(res))
PY
