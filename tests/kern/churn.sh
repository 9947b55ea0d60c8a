#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs kern-churn, then checks that the module unloads after it (no
# session, thread or reference left behind) and loads it back for the
# tests that follow.
# Usage: churn.sh PATH-TO-kern-churn [ARGS...]
set -u
fail() { echo "FAIL: $*"; exit 1; }
[ -n "${DAMON_MODULE:-}" ] || fail "DAMON_MODULE is not set"
"$@"
rc=$?
# Even after a failure: the tests after this one need a working module.
if rmmod damondev; then
	unloaded=1
else
	unloaded=0
	echo "FAIL: rmmod failed after all sessions were closed"
	rc=1
fi
if grep -q '^damondev/' /proc/[0-9]*/comm 2> /dev/null; then
	echo "FAIL: a damondev thread survived"
	rc=1
fi
if [ $unloaded = 1 ]; then
	echo "ok - rmmod succeeds after the churn"
	insmod "$DAMON_MODULE" || fail "reloading the module failed"
	for _ in $(seq 50); do [ -c /dev/damon ] && break; sleep 0.1; done
	[ -c /dev/damon ] || fail "no /dev/damon after reloading"
	echo "ok - module reloaded"
fi
exit $rc
