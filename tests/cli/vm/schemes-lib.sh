# SPDX-License-Identifier: GPL-2.0
# Shared by the in-VM scheme tests, after lib.sh: sourced, not run.
# They are run as: TEST.sh DAMONCTL MEMTOUCH SCHEMEWORK

SCHEMEWORK=${3:?usage: $0 DAMONCTL MEMTOUCH SCHEMEWORK}

# Swap on zram, so that anonymous memory can be paged out; taken down on
# the way out.  Debian's kernels have zram as a module, the debug kernel
# has it built in.
zram_swap() {
	command -v mkswap > /dev/null || fail "mkswap is missing (util-linux)"
	[ -e /sys/block/zram0 ] || modprobe zram ||
		fail "no zram: neither built in nor a module"
	[ -e /sys/block/zram0 ] || fail "modprobe zram made no /sys/block/zram0"
	echo 1G > /sys/block/zram0/disksize || fail "cannot size zram0"
	mkswap /dev/zram0 > /dev/null || fail "mkswap /dev/zram0 failed"
	swapon /dev/zram0 || fail "swapon /dev/zram0 failed"
	restore=("swapoff /dev/zram0; echo 1 > /sys/block/zram0/reset"
		 "${restore[@]}")
	log "swap: $(grep zram0 /proc/swaps)"
}

# schemework HOT COLD [LOCKED] (MiB): $wpid, and $hot, $cold, $locked, the
# areas' start addresses as /proc/PID/smaps writes them; its output (the
# rate lines) goes to work.N.out, $wout.
work_n=0
schemework() {
	work_n=$((work_n + 1))
	wout=work.$work_n.out
	"$SCHEMEWORK" "$@" < /dev/null > "$wout" 2>&1 &
	wpid=$!
	pids+=("$wpid")
	wait_for "grep -q '^ready' $wout" 120
	hot=$(awk '$1 == "hot" { print $2 }' "$wout")
	cold=$(awk '$1 == "cold" { print $2 }' "$wout")
	locked=$(awk '$1 == "locked" { print $2 }' "$wout")
}

# smaps_kb PID START FIELD: FIELD (Rss, Swap, AnonHugePages, ...) in KiB
# of the mapping that starts at START.
smaps_kb() {
	awk -v s="$2-" -v f="$3:" '
		/^[0-9a-f]+-[0-9a-f]+ / { in_it = index($1, s) == 1; next }
		in_it && $1 == f { print $2; exit }' "/proc/$1/smaps"
}

# rates FROM TO: the median of the rate lines FROM to TO (1-based) of
# $wout, the hot pages written per second.
rates() {
	grep '^rate ' "$wout" | sed -n "$1,$2p" | awk '{ print $2 }' | sort -n |
		awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print 0 }'
}

# A field of the last schemes line of a recording: scheme N's value.
scheme_stat() {
	"$DAMONCTL" report -f jsonl "$1" | grep '^{"schemes"' | tail -n 1 |
		python3 -c 'import json, sys
o = json.loads(sys.stdin.read())["schemes"][0]
print(o[sys.argv[1]][int(sys.argv[2]) - 1])' "$2" "${3:-1}"
}
