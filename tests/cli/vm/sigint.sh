#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Ctrl-C (SIGINT) and SIGTERM during a foreground recording: a complete
# file, exit status 0.
. "$(dirname "$0")/lib.sh"
set -m	# else background jobs start with SIGINT ignored

workload 64
for sig in INT TERM; do
	"$DAMONCTL" start --pid "$target" -o "$sig.rec" > out 2> err &
	recorder=$!
	wait_for "test -s $sig.rec"
	sleep 2
	kill -"$sig" "$recorder"
	wait "$recorder"
	rc=$?
	expect_rc 0
	expect_in err "to $sig.rec: stopped by SIG$sig"
	expect_report "$sig.rec" "$target"
	expect_in out '"complete":true'
done
echo "PASS"
