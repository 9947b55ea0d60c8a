#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# What holds a scheme back, and what it cannot do: a size quota is kept
# (within 20% over a minute); an mlock()ed area is refused by the kernel,
# counted and logged, and monitoring goes on; without CAP_SYS_NICE one
# sentence says what to do and the scheme only counts; collapse turns a
# hot area into huge pages (THP in madvise mode, so that nothing else
# does); the memory-pressure watermark holds a scheme while pressure is
# above its mark.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/schemes-lib.sh"

zram_swap

# A size quota of 4 MiB/s over 60 s, on 512 MiB that all match at once.
schemework 8 512
dctl start --pid $wpid --scheme pageout,access=0%,quota=4M/s --duration 60s -o q.rec
expect_rc 0
applied=$(scheme_stat q.rec applied_bytes)
held=$(scheme_stat q.rec quota_bytes)
want=$((60 * 4 * 1024 * 1024))
log "quota 4 MiB/s for 60 s: $applied bytes paged out (want $want), $held held back"
[ "$applied" -ge $((want * 80 / 100)) ] && [ "$applied" -le $((want * 120 / 100)) ] ||
	fail "the quota was not kept within 20%: $applied bytes for $want"
[ "$held" -gt 0 ] || fail "the quota held nothing back, though 512 MiB matched"
kill $wpid

# An mlock()ed area: EINVAL, counted, logged at most every 10 s; the rest
# of the cold memory goes out all the same.
schemework 8 64 16
dctl start --pid $wpid --scheme pageout,access=0% --duration 12s -o l.rec
expect_rc 0
cat err
expect_in err "the kernel refused"
expect_in err "Invalid argument (locked, PFN or hugetlb mappings are never advised)"
lines=$(grep -c "the kernel refused" err)
[ "$lines" -le 2 ] || fail "$lines refusal messages in 12 s: not rate-limited"
refused=$(scheme_stat l.rec refused_einval_bytes)
[ "$refused" -ge $((16 << 20)) ] || fail "only $refused bytes of the locked area were counted as refused"
l=$(smaps_kb $wpid "$locked" Rss)
[ "$l" -ge $((16 * 1024)) ] || fail "the locked area went out: $l KiB resident"
c=$(smaps_kb $wpid "$cold" Rss)
[ "$c" -le $((64 * 1024 / 5)) ] || fail "the unlocked cold area stayed: $c KiB resident"
dctl report --schemes l.rec
expect_in out "EINVAL"
dctl report -f jsonl l.rec
tail -n 1 out | grep -q '"cause":"duration"' || fail "the recording did not run to its --duration"
kill $wpid

# Without CAP_SYS_NICE: a user's own process, one sentence, stat only.
command -v setpriv > /dev/null || fail "setpriv is missing (util-linux)"
id -u dscheme > /dev/null 2>&1 ||
	useradd --no-create-home --user-group --shell /usr/sbin/nologin dscheme ||
	fail "useradd dscheme"
mode=$(stat -c %a /dev/damon)
chmod 0666 /dev/damon
restore+=("chmod $mode /dev/damon 2> /dev/null")
chmod 0777 "$work"
mkdir bin
cp "$DAMONCTL" "$SCHEMEWORK" bin/ || fail "cannot copy the programs"
chmod 0755 bin bin/*
setpriv --reuid=dscheme --regid=dscheme --init-groups -- bin/schemework 8 32 \
	< /dev/null > user.out 2>&1 &
upid=$!
pids+=("$upid")
wait_for "grep -q '^ready' user.out" 120
ucold=$(awk '$1 == "cold" { print $2 }' user.out)
setpriv --reuid=dscheme --regid=dscheme --init-groups -- bin/damonctl start \
	--pid $upid --scheme pageout,access=0% --duration 5s -o user.rec > out 2> err
rc=$?
cat err
expect_rc 0
expect_in err "acting on memory takes CAP_SYS_NICE: the schemes only count what they would act on"
[ "$(grep -c CAP_SYS_NICE err)" = 1 ] || fail "the CAP_SYS_NICE sentence was said more than once"
[ "$(scheme_stat user.rec stat_only)" = 1 ] || fail "the record does not say the scheme only counted"
[ "$(scheme_stat user.rec matched_bytes)" -gt 0 ] || fail "the stat-only scheme counted nothing"
c=$(smaps_kb $upid "$ucold" Rss)
[ "$c" -ge $((32 * 1024 * 99 / 100)) ] || fail "without CAP_SYS_NICE memory went out: $c KiB resident"
dctl report --schemes user.rec
expect_in out "stat-only"
kill $upid

# collapse: THP in madvise mode, the hot area never asked for it.
thp=/sys/kernel/mm/transparent_hugepage/enabled
if [ -w $thp ]; then
	old=$(sed 's/.*\[\(.*\)\].*/\1/' $thp)
	echo madvise > $thp
	restore+=("echo $old > $thp")
	schemework 32 16
	sleep 1
	b=$(smaps_kb $wpid "$hot" AnonHugePages)
	dctl start --pid $wpid --scheme collapse,access=20%..,size=2M.. --duration 15s -o c.rec
	expect_rc 0
	cat err
	a=$(smaps_kb $wpid "$hot" AnonHugePages)
	log "collapse: AnonHugePages of the hot area $b KiB before, $a KiB after"
	[ "$b" = 0 ] || fail "the hot area had huge pages before (THP is in madvise mode)"
	[ "$a" -ge 2048 ] || { dctl report --schemes c.rec; cat out; fail "collapse made no huge page"; }
	kill $wpid
else
	fail "$thp is not there: the kernel has no THP"
fi

# The pressure watermark, from pressure files of our own (the kernel's
# cannot be made to show a chosen pressure): at 50% stalled a 10% mark
# holds the scheme, at 0% it acts.
schemework 8 32
echo "some avg10=50.00 avg60=0.00 avg300=0.00 total=0" > high.pressure
echo "some avg10=0.00 avg60=0.00 avg300=0.00 total=0" > low.pressure
dctl start --pid $wpid --scheme "pageout,access=0%,psi=10%,psi-from=$work/high.pressure" \
	--duration 5s -o psi1.rec
expect_rc 0
[ "$(scheme_stat psi1.rec applied_bytes)" = 0 ] &&
	[ "$(scheme_stat psi1.rec inactive_snapshots)" = "$(scheme_stat psi1.rec snapshots)" ] ||
	fail "above the pressure mark the scheme acted"
dctl start --pid $wpid --scheme "pageout,access=0%,psi=10%,psi-from=$work/low.pressure" \
	--duration 5s -o psi2.rec
expect_rc 0
[ "$(scheme_stat psi2.rec applied_bytes)" -gt 0 ] || fail "below the pressure mark the scheme did nothing"
kill $wpid
echo "PASS"
