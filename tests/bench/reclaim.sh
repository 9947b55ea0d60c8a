#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Proactive reclaim from user space (benchmark step "reclaim", in the VM,
# as root): reclaim.sh DAMONCTL MASIM CONFIG SECONDS OUT.json [MASIM ARGS...]
# Swap on zram; the masim workload runs SECONDS in each mode, one after
# the other, each a fresh process:
#   off          not monitored
#   stat         monitored, a stat scheme (what monitoring alone costs)
#   pageout-5s   --scheme pageout,access=0%,age=5s..
#   reclaim      DAMON_RECLAIM's policy with a shorter least age:
#                pageout,access=0%,age=30s..,quota=128M/s,cpu=10ms/s
# Per mode: the workload's accesses per second (masim's end event), its
# resident and swapped memory (VmRSS, VmSwap), sampled every second, and
# damonctl's CPU time (user + system, which counts the compression into
# zram: the reclaim happens in the calling thread).
set -u
damonctl=$1 masim=$2 config=$3 seconds=$4 out=$5
shift 5
work=$(mktemp -d /tmp/reclaim.XXXXXX)
pids=()
cleanup() {
	kill "${pids[@]}" 2> /dev/null
	wait 2> /dev/null
	swapoff /dev/zram0 2> /dev/null
	[ -e /sys/block/zram0/reset ] && echo 1 > /sys/block/zram0/reset
	rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "reclaim: $*"; exit 1; }
[ -e /sys/block/zram0 ] || modprobe zram || fail "no zram"
echo 2G > /sys/block/zram0/disksize || fail "cannot size zram0"
mkswap /dev/zram0 > /dev/null || fail "mkswap failed"
swapon /dev/zram0 || fail "swapon failed"
tick=$(getconf CLK_TCK)

modes=(off stat pageout-5s reclaim)
scheme_of() {
	case $1 in
	stat) echo "stat,access=0%,age=5s.." ;;
	pageout-5s) echo "pageout,access=0%,age=5s.." ;;
	reclaim) echo "pageout,access=0%,age=30s..,quota=128M/s,cpu=10ms/s" ;;
	esac
}
results=()
for mode in "${modes[@]}"; do
	log=$work/$mode.masim.log
	mkfifo "$work/$mode.ready"
	"$masim" --config "$config" --log "$log" --loops 0 --ready-fd 3 "$@" \
		3> "$work/$mode.ready" > /dev/null 2>&1 &
	m=$!
	pids+=("$m")
	head -c 1 "$work/$mode.ready" > /dev/null || fail "masim did not get ready"
	d=''
	if [ "$mode" != off ]; then
		"$damonctl" start --pid $m --scheme "$(scheme_of $mode)" \
			-o "$work/$mode.rec" \
			> "$work/$mode.damonctl.log" 2>&1 &
		d=$!
		pids+=("$d")
	fi
	rss=() swap=()
	t_end=$(($(date +%s) + seconds))
	while [ "$(date +%s)" -lt $t_end ]; do
		sleep 1
		read -r r w <<< "$(awk '/^VmRSS:/ { r = $2 } /^VmSwap:/ { w = $2 }
			END { print r, w }' /proc/$m/status)"
		rss+=("$r")
		swap+=("$w")
	done
	dcpu=0
	if [ -n "$d" ]; then
		[ -r /proc/$d/stat ] ||
			{ cat "$work/$mode.damonctl.log"; fail "damonctl ended early in mode $mode"; }
		dcpu=$(awk '{ print $14 + $15 }' /proc/$d/stat)
	fi
	kill -TERM $m
	wait $m
	applied=0
	if [ -n "$d" ]; then
		kill -INT $d
		wait $d
		applied=$("$damonctl" report -f jsonl "$work/$mode.rec" |
			grep '^{"schemes"' | tail -n 1 |
			python3 -c 'import json, sys
t = sys.stdin.read()
print(json.loads(t)["schemes"][0]["applied_bytes"][0] if t else 0)')
	fi
	end=$(grep '"event":"end"' "$log")
	[ -n "$end" ] || fail "masim logged no end in mode $mode"
	results+=("$(python3 - "$mode" "$end" "$dcpu" "$tick" "$applied" "${rss[*]}" "${swap[*]}" << 'PY'
import json, sys
mode, end, dcpu, tick, applied, rss, swap = sys.argv[1:]
e = json.loads(end)
rss = [int(x) * 1024 for x in rss.split()]
swap = [int(x) * 1024 for x in swap.split()]
half = rss[len(rss) // 2:]
print(json.dumps(dict(
    mode=mode, accesses=e['accesses'], runtime_ns=e['runtime_ns'],
    accesses_per_s=e['accesses'] / (e['runtime_ns'] / 1e9),
    rss_mean=sum(rss) / len(rss), rss_second_half=sum(half) / len(half),
    rss_end=rss[-1], swap_end=swap[-1],
    damonctl_cpu_s=int(dcpu) / int(tick), applied_bytes=int(applied))))
PY
)")
done
printf '%s\n' "${results[@]}" | python3 -c '
import json, sys
runs = [json.loads(l) for l in sys.stdin if l.strip()]
json.dump(dict(runs=runs, seconds=int(sys.argv[1])), open(sys.argv[2], "w"))
' "$seconds" "$out"
