#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# rmmod is refused while a session is open, and succeeds once it is closed
# with no damondev thread left behind.  Reloads the module afterwards.
# Usage: rmmod.sh PATH-TO-kern-hold-session
set -u
fail() { echo "FAIL: $*"; exit 1; }
[ -n "${DAMON_MODULE:-}" ] || fail "DAMON_MODULE is not set"
sleep 600 &
sleeper=$!
"$1" "$sleeper" &
holder=$!
sleep 1
rmmod damondev 2> /dev/null && fail "rmmod succeeded while a session was open"
grep -q '^damondev/' /proc/[0-9]*/comm 2> /dev/null || fail "no damondev thread while a session runs"
echo "ok - rmmod refused while a session is open (and its thread runs)"
kill "$holder"; wait "$holder" 2> /dev/null
rmmod damondev || fail "rmmod failed after the session was closed"
grep -q '^damondev/' /proc/[0-9]*/comm 2> /dev/null && fail "a damondev thread survived rmmod"
echo "ok - rmmod succeeds after close; no thread left"
kill "$sleeper"
insmod "$DAMON_MODULE" || fail "reloading the module failed"
for _ in $(seq 50); do [ -c /dev/damon ] && break; sleep 0.1; done
[ -c /dev/damon ] || fail "no /dev/damon after reloading"
echo "ok - module reloaded"
