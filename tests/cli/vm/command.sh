#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# start -- COMMAND: records the command from its start and ends when it
# exits, with its exit status.
. "$(dirname "$0")/lib.sh"

dctl start -o cmd.rec -- "$MEMTOUCH" 32 3
expect_rc 0
expect_in err "damonctl: recorded "
expect_in err "to cmd.rec: the COMMAND exited with status 0"
dctl report -o PID,COMM,SIZE,ACCESS cmd.rec
expect_rc 0
expect_empty err
expect_in out "memtouch"
cat out
dctl report -f jsonl cmd.rec
expect_rc 0
expect_in out '"target_flags":[1]'
expect_in out '"cause":"command-exited","signal":null,"exit_status":0'

# A command that fails to run leaves no file.
dctl start -o missing.rec -- ./no-such-program
expect_rc 1
expect_in err "damonctl: cannot run ./no-such-program: No such file or directory"
[ ! -e missing.rec ] || fail "missing.rec left behind"
echo "PASS"
