// SPDX-License-Identifier: GPL-2.0
#include <grp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "perm.h"

static const struct { const char *name; int err; } errs[] = {
	{ "ok", 0 }, { "EPERM", EPERM }, { "EACCES", EACCES },
	{ "ESRCH", ESRCH }, { "EINVAL", EINVAL }, { "EUSERS", EUSERS },
	{ "ENFILE", ENFILE },
};

int perm_parse_expect(const char *s)
{
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		if (!strcmp(s, errs[i].name))
			return errs[i].err;
	KT_FAIL("unknown expectation \"%s\" (ok, EPERM, EACCES, ESRCH, EINVAL, EUSERS, ENFILE)", s);
}

const char *perm_errname(int err)
{
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		if (errs[i].err == err)
			return errs[i].name;
	return strerror(err);
}

const char *perm_whoami(void)
{
	static char buf[512];
	gid_t groups[32];
	char line[256];
	int n = getgroups(32, groups), len;
	FILE *f;

	len = snprintf(buf, sizeof(buf), "uid=%u euid=%u gid=%u groups=",
		       getuid(), geteuid(), getgid());
	for (int i = 0; i < n && len < 300; i++)
		len += snprintf(buf + len, sizeof(buf) - len, "%s%u",
				i ? "," : "", groups[i]);
	f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "CapEff:", 7)) {
			line[strcspn(line, "\n")] = 0;
			snprintf(buf + len, sizeof(buf) - len, " CapEff=%s",
				 line + 8);
		}
	if (f)
		fclose(f);
	return buf;
}

pid_t perm_parse_pid(const char *s)
{
	char *end;
	long v;

	if (!strcmp(s, "self"))
		return getpid();
	v = strtol(s, &end, 10);
	if (*s == 0 || *end || v <= 0)
		KT_FAIL("bad pid \"%s\"", s);
	return v;
}

void perm_reader_init(struct perm_reader *r, int fd)
{
	r->fd = fd;
	r->cap = kt_max_snapshot(fd) * 4;
	r->buf = malloc(r->cap);
	KT_ASSERT(r->buf);
	r->len = r->off = 0;
}

const struct damon_snapshot *perm_next(struct perm_reader *r, int timeout_ms)
{
	struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
	const struct damon_snapshot *s;
	ssize_t n;

	if (r->off == r->len) {
		int p = poll(&pfd, 1, timeout_ms);

		if (p < 0)
			KT_FAIL("poll: %s", strerror(errno));
		if (p == 0)
			return NULL;
		n = read(r->fd, r->buf, r->cap);
		if (n < 0)
			KT_FAIL("read: %s", strerror(errno));
		if (n == 0)
			KT_FAIL("read: end of file (monitoring ended)");
		r->len = n;
		r->off = 0;
	}
	s = kt_next_snapshot(r->buf, r->len, &r->off);
	kt_check_snapshot(s);
	return s;
}

const struct damon_snapshot_target *perm_find(const struct damon_snapshot *s,
					      pid_t pid)
{
	const struct damon_snapshot_target *t;

	for (t = kt_first_target(s); t; t = kt_next_target(s, t))
		if (t->pid == pid)
			return t;
	return NULL;
}
