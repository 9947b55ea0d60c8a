#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# host-refuses.sh RUN-BENCH CONF: run-bench --host on a kernel the module
# was not built for, or that cannot load modules, must stop before running
# anything, with exit status 2 and a sentence that says why and what to do.
# Where the module could really be loaded here (a Debian host of the VM's
# kernel), this would run the benchmark on the host: skipped.
set -u
run_bench=$1 conf=$2
module=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["module"])' "$conf")
if [ -e /proc/modules ] && [ "$(modinfo -F vermagic "$module" | cut -d' ' -f1)" = "$(uname -r)" ]; then
	echo "1..0 # SKIP this kernel ($(uname -r)) could load $module: --host would run for real"
	exit 0
fi
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
out=$("$run_bench" --conf "$conf" --host --only needle-1g-64 --results "$results/r" 2>&1)
rc=$?
echo "1..3"
[ $rc -eq 2 ] && echo "ok 1 - exit status 2" || echo "not ok 1 - exit status $rc, not 2"
if grep -Eq 'was built for .* and this kernel is .*: configure a build against|cannot load modules|must run as root' <<<"$out"; then
	echo "ok 2 - the refusal says why and what to do"
else
	echo "not ok 2 - no reason given"
fi
[ ! -e "$results/r" ] && echo "ok 3 - nothing was run" || echo "not ok 3 - a results directory was made"
sed 's/^/# /' <<<"$out"
