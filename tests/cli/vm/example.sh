#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The example reader (cli/examples/damon-top-region.c), built from the uapi
# header alone, against the real module: it monitors a process with the
# default attributes until the process exits, printing each snapshot's
# hottest region.  Every line must be well formed, for that pid, with
# rising sequence numbers, a region inside the process's mappings and no
# more accesses than samples; the last line says the target exited, and
# the reader then ends with status 0 on its own (read() returned 0).
. "$(dirname "$0")/lib.sh"
EXAMPLE=${5:?usage: $0 DAMONCTL MEMTOUCH DEMO RECCHECK DAMON-TOP-REGION}

"$MEMTOUCH" 64 4 < /dev/null > /dev/null 2>&1 &
target=$!
pids+=("$target")
wait_for "grep -q rw-p /proc/$target/maps" 10
sleep 0.5	# past memtouch's first pass over its memory
cp "/proc/$target/maps" maps
timeout 60 "$EXAMPLE" "$target" > out 2> err
rc=$?
cat out
[ "$rc" = 0 ] || fail "the example exited with $rc: $(cat err)"
expect_empty err
lines=$(wc -l < out)
[ "$lines" -ge 5 ] || fail "only $lines lines in 4 s of monitoring"
tail -n 1 out | grep -qE "^#[0-9]+ pid $target: exited\$" ||
	fail "the last line does not say that pid $target exited"
last=-1
while read -r line; do
	[ "$line" = "$(tail -n 1 out)" ] && break
	[[ $line =~ ^#([0-9]+)\ pid\ $target:\ 0x([0-9a-f]+)-0x([0-9a-f]+)\ \(([0-9]+)\ KiB\)\ accessed\ in\ ([0-9]+)\ of\ ([0-9]+)\ samples$ ]] ||
		fail "malformed line: $line"
	seq=${BASH_REMATCH[1]} start=$((16#${BASH_REMATCH[2]})) end=$((16#${BASH_REMATCH[3]}))
	[ "$seq" -gt "$last" ] || fail "sequence numbers do not rise: $line"
	last=$seq
	[ "$start" -lt "$end" ] && [ $(((end - start) / 1024)) = "${BASH_REMATCH[4]}" ] ||
		fail "bad region size: $line"
	[ "${BASH_REMATCH[5]}" -le "${BASH_REMATCH[6]}" ] && [ "${BASH_REMATCH[6]}" -ge 1 ] ||
		fail "more accesses than samples: $line"
	# Inside the span of the mappings (regions may cover the small gaps
	# between neighbours, never the two big ones).
	inside=0
	while read -r range _; do
		lo=$((16#${range%-*})) hi=$((16#${range#*-}))
		if [ "$start" -lt "$hi" ] && [ "$end" -gt "$lo" ]; then inside=1; break; fi
	done < maps
	[ "$inside" = 1 ] || fail "region outside every mapping of pid $target: $line"
done < out
echo "PASS"
