#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# damonctl top, live in an 80x24 terminal (tmux): the screen shows the
# overhead, the WSS, the heatmap strip and the hot list with the mapping
# names; q quits with status 0 and leaves no session behind.
. "$(dirname "$0")/lib.sh"

command -v tmux > /dev/null || { echo "SKIP: tmux is not installed"; exit 77; }
# tmux needs pseudo-terminals, and the VM's init mounts no devpts.
if ! mountpoint -q /dev/pts; then
	mkdir -p /dev/pts
	mount -t devpts -o mode=0620,ptmxmode=0666 devpts /dev/pts ||
		fail "cannot mount devpts for tmux's terminal"
	mounted_pts=1
fi
workload 64
sock=$work/tmux.sock
restore+=("tmux -S $sock kill-server 2> /dev/null")
[ -n "${mounted_pts:-}" ] && restore+=("umount -l /dev/pts")
tmux -S "$sock" new-session -d -x 80 -y 24 \
	"TERM=xterm-256color $DAMONCTL top --pid $target; echo \$? > $work/top.rc; sleep 600"
capture() {
	tmux -S "$sock" capture-pane -p > screen
}
tmux -S "$sock" has-session 2> /dev/null || fail "tmux could not start"
# Under QEMU's emulation the first aggregations take a while.
wait_for "capture && grep -q '^ *0x[0-9a-f]* .*[KMG]iB .*%' screen" 120
capture
cat screen
expect_in screen "damonctl top  pid $target (memtouch)"
expect_in screen "% CPU, samples "
expect_in screen "WSS "
expect_in screen "Heatmap: the latest aggregations"
grep -qE '^[0-9| ]{80}$' screen || fail "no heatmap strip"
expect_in screen "Hot regions"
grep -qE ' (\[anon\]|memtouch|\[heap\])$' screen || fail "no mapping named in the hot list"
expect_in screen " q: quit"
[ "$(wc -l < screen)" -le 24 ] || fail "the screen is taller than 24 lines"
tmux -S "$sock" send-keys q
wait_for "test -s $work/top.rc" 30
[ "$(cat "$work/top.rc")" = 0 ] || fail "damonctl top exited with $(cat "$work/top.rc")"
# Its session is gone: the module's threads come and go with sessions.
wait_for "! ps -eo comm | grep -q '^damondev'" 30
echo "PASS"
