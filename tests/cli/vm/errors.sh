#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The sentences people get: missing module, bad attribute, a target that is
# gone, a target they may not monitor, a device they may not open.
. "$(dirname "$0")/lib.sh"

# The module "missing": a device path that does not exist.
DAMON_DEVICE=/dev/no-such-damon dctl start --pid $$
expect_rc 4
expect_in err "damonctl: /dev/no-such-damon does not exist, so the damondev module is not loaded: load it with 'modprobe damondev' (or insmod kmod/damondev.ko)"

workload 16
dctl start --pid "$target" --sample 5ms --aggr 50us -o bad.rec
expect_rc 1
expect_in err "damonctl: --aggr (50 us) must be at least --sample (5 ms): raise --aggr or lower --sample"
[ ! -e bad.rec ] || fail "bad.rec left behind"

dctl start --pid "$target" --min-regions 2 -o bad.rec
expect_rc 1
expect_in err "damonctl: --min-regions (2) must be at least 3"

true & gone=$!
wait "$gone"
dctl start --pid "$gone" -o gone.rec
expect_rc 1
expect_in err "damonctl: there is no process with pid $gone: check the pid (the process may have exited)"

# As an unprivileged user: first the device's permissions, then (with the
# device opened up) the rule about other users' processes.
mode=$(stat -c %a /dev/damon)
restore+=("chmod $mode /dev/damon")
as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"
}
chmod 0600 /dev/damon
chmod 0777 "$work"
as_nobody "$DAMONCTL" start --pid "$target" -o "$work/nobody.rec" > out 2> err
rc=$?
expect_rc 4
expect_in err "damonctl: permission denied on /dev/damon: only root may use it (mode 0600)"
chmod 0666 /dev/damon
as_nobody "$DAMONCTL" start --pid "$target" -o "$work/nobody.rec" > out 2> err
rc=$?
expect_rc 1
expect_in err "damonctl: you may not monitor pid $target (memtouch, user root): without CAP_SYS_PTRACE you may monitor only your own processes that are dumpable"
[ ! -e nobody.rec ] || fail "nobody.rec left behind"
echo "PASS"
