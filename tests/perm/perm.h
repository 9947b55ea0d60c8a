/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers of the permission tests (tests/perm), on top of ../kern/kt.h. */
#ifndef PERM_H
#define PERM_H

#include "kt.h"

/* Lands with the kernel change that drops revoked targets. */
#ifndef DAMON_TARGET_REVOKED
#define DAMON_TARGET_REVOKED	(1U << 2)
#endif

/*
 * "ok" -> 0, "EPERM" -> EPERM, "EACCES" -> EACCES, "ESRCH" -> ESRCH;
 * anything else fails the test.
 */
int perm_parse_expect(const char *s);
const char *perm_errname(int err);
/* Who is asking: "uid=… euid=… gid=… groups=… CapEff=…", for messages. */
const char *perm_whoami(void);
/* Parse a pid argument; "self" is the caller. */
pid_t perm_parse_pid(const char *s);

/* Reads snapshot records one by one, however read() batches them. */
struct perm_reader {
	int fd;
	char *buf;
	size_t cap, len, off;
};
void perm_reader_init(struct perm_reader *r, int fd);
/*
 * The next snapshot (checked with kt_check_snapshot), or NULL if none
 * arrives within @timeout_ms.  End of file or a read error fails the test.
 */
const struct damon_snapshot *perm_next(struct perm_reader *r, int timeout_ms);
/* The section of @pid in @s, or NULL. */
const struct damon_snapshot_target *perm_find(const struct damon_snapshot *s,
					      pid_t pid);
#endif
