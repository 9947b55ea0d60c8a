// SPDX-License-Identifier: GPL-2.0
/* Schemes: the text form, matching, priority, watermarks, and the ranges
 * acted on lately (cli/schemes). */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acted.h"
#include "scheme.h"
#include "tap.h"

#define MS 1000000ULL
#define S (1000 * MS)

static void good(const char *text, struct scheme *s)
{
	char err[512] = "";

	if (!ok(scheme_parse(text, s, err, sizeof(err)) == 0,
		"'%s' parses", text)) {
		diag("%s", err);
		memset(s, 0, sizeof(*s));
	}
}

/* Refused, with a sentence that holds want. */
static void bad(const char *text, const char *want)
{
	char err[512] = "";
	struct scheme s;
	int ret = scheme_parse(text, &s, err, sizeof(err));

	if (!ok(ret == -1 && strstr(err, want) && strstr(err, text),
		"'%s' is refused: ...%s...", text, want))
		diag("got %d: %s", ret, err);
	if (!ret)
		scheme_free(&s);
}

static void parsing(void)
{
	struct scheme s;

	good("pageout,access=0%,age=30s..,size=4K..2M,quota=64M/s,cpu=10ms/s",
	     &s);
	ok(s.action == SCHEME_PAGEOUT, "the action is pageout");
	ok(s.access_min_bp == 0 && s.access_max_bp == 0,
	   "access=0%% is exactly 0");
	ok(s.age_min_ns == 30 * S && s.age_max_ns == UINT64_MAX,
	   "age=30s.. has no upper end");
	ok(s.size_min == 4096 && s.size_max == 2 << 20, "size=4K..2M");
	ok(s.quota_bytes == 64 << 20 && s.quota_bytes_window_ns == S,
	   "quota=64M/s is 64 MiB per second");
	ok(s.quota_cpu_ns == 10 * MS && s.quota_cpu_window_ns == S,
	   "cpu=10ms/s");
	ok(!s.free_wmarks && !s.psi_wmarks, "no watermarks unless asked");
	scheme_free(&s);

	good("stat", &s);
	ok(s.action == SCHEME_STAT && s.access_max_bp == SCHEME_BP_MAX &&
	   s.size_max == UINT64_MAX && s.age_max_ns == UINT64_MAX,
	   "stat alone matches everything");
	scheme_free(&s);

	good("collapse,access=50%..,quota=1G/10s", &s);
	ok(s.access_min_bp == 5000 && s.access_max_bp == SCHEME_BP_MAX &&
	   s.quota_bytes_window_ns == 10 * S, "a window other than 1 s");
	scheme_free(&s);

	good("cold,age=..2m,free=50%/40%/5%", &s);
	ok(s.free_wmarks && s.free_high_bp == 5000 && s.free_mid_bp == 4000 &&
	   s.free_low_bp == 500 && s.age_max_ns == 120 * S,
	   "free watermarks and an age with only an upper end");
	scheme_free(&s);

	good("willneed,psi=10%", &s);
	ok(s.psi_wmarks && s.psi_max_bp == 1000 && s.psi_resume_bp == 500 &&
	   !s.psi_path, "psi=10%% resumes at half of it, host-wide");
	scheme_free(&s);

	good("stat,psi=10%/2.5%,psi-from=/", &s);
	ok(s.psi_resume_bp == 250 && s.psi_path &&
	   !strcmp(s.psi_path, "//memory.pressure"),
	   "psi-from= a directory reads its memory.pressure");
	scheme_free(&s);

	bad("evict", "'evict' is not an action");
	bad("", "is not an action");
	bad("pageout", "would act on all memory");
	bad("cold,size=2M..", "would act on all memory");
	bad("stat,colour=red", "'colour' is not a key");
	bad("stat,size", "is not KEY=VALUE");
	bad("stat,size=2M..1M", "smallest size is above the largest");
	bad("stat,size=lots", "'lots' is not a size");
	bad("stat,access=120%", "not a share of samples");
	bad("stat,access=5%..1%", "lowest share is above the highest");
	bad("stat,age=5", "needs a unit");
	bad("stat,age=1m..5s", "lowest age is above the highest");
	bad("stat,age=1s,age=2s", "age= is given twice");
	bad("stat,quota=0", "never act");
	bad("stat,quota=/s", "needs an amount");
	bad("stat,quota=1M/5", "the window '5' needs a unit");
	bad("stat,cpu=2s/s", "at most the window");
	bad("stat,free=40%/50%/5%", "HIGH >= MID >= LOW");
	bad("stat,free=40%", "is not HIGH/MID/LOW");
	bad("stat,psi=1%/5%", "RESUME at most MAX");
	bad("stat,psi-from=/", "without psi=");
	bad("stat,psi=5%,psi-from=/no/such/cgroup", "No such file");
}

static void list(void)
{
	struct scheme *v = NULL;
	char err[512];
	size_t n = 0;
	int i, refused = 0;

	for (i = 0; i <= SCHEME_MAX; i++)
		if (scheme_list_add(&v, &n, "stat,access=1%..", err,
				    sizeof(err)))
			refused++;
	ok(n == SCHEME_MAX && refused == 1 && strstr(err, "at most"),
	   "at most %d schemes", SCHEME_MAX);
	ok(scheme_list_add(&v, &n, "nope", err, sizeof(err)) == -1 &&
	   n == SCHEME_MAX, "a bad one is not added");
	scheme_list_free(v, n);
}

static void matching(void)
{
	struct scheme s;

	good("pageout,access=0%,age=5s..,size=8K..", &s);
	/* aggregation 100 ms: age 50 is 5 s */
	ok(scheme_match(&s, 8192, 0, 20, 50, 100000),
	   "8 KiB, never accessed, 5 s old matches");
	ok(!scheme_match(&s, 8192, 0, 20, 49, 100000), "4.9 s old does not");
	ok(!scheme_match(&s, 8192, 1, 20, 50, 100000),
	   "accessed in 1 of 20 samples does not");
	ok(!scheme_match(&s, 4096, 0, 20, 50, 100000), "4 KiB does not");
	ok(!scheme_match(&s, 8192, 0, 0, 50, 100000),
	   "a region no sample looked at does not");
	scheme_free(&s);

	good("collapse,access=50%..", &s);
	ok(scheme_match(&s, 2 << 20, 10, 20, 0, 100000),
	   "half of the samples matches 50%%..");
	ok(scheme_match(&s, 2 << 20, 25, 20, 0, 100000),
	   "more accesses than passes count as 100%%");
	ok(!scheme_match(&s, 2 << 20, 9, 20, 0, 100000), "45%% does not");
	scheme_free(&s);

	ok(scheme_share_bp(1, 3) == 3333 && scheme_share_bp(0, 0) == 0,
	   "shares in basis points");
}

static void priority(void)
{
	struct scheme cold, hot;

	good("pageout,access=..100%", &cold);
	good("collapse", &hot);
	ok(scheme_priority(&cold, 0, 1 * S) > scheme_priority(&cold, 100, 60 * S),
	   "pageout: colder goes first, however old the warmer one");
	ok(scheme_priority(&cold, 0, 60 * S) > scheme_priority(&cold, 0, 1 * S),
	   "pageout: of two as cold, the older goes first");
	ok(scheme_priority(&hot, 9000, 0) > scheme_priority(&hot, 100, 60 * S),
	   "collapse: hotter goes first");
	ok(scheme_priority(&hot, 5000, 60 * S) > scheme_priority(&hot, 5000, S),
	   "collapse: of two as hot, the older goes first");
	ok(scheme_priority(&cold, 0, UINT64_MAX) >
	   scheme_priority(&cold, 1, UINT64_MAX),
	   "an age too large to count does not spill into the share");
	scheme_free(&cold);
	scheme_free(&hot);
}

static void watermarks(void)
{
	struct scheme s;
	bool on = false;

	good("pageout,access=0%,free=50%/40%/5%", &s);
	on = scheme_free_active(&s, on, 6000);
	ok(!on, "60%% free: idle");
	on = scheme_free_active(&s, on, 4500);
	ok(!on, "45%% free, coming from above: still idle (above MID)");
	on = scheme_free_active(&s, on, 3900);
	ok(on, "39%% free: acting (below MID)");
	on = scheme_free_active(&s, on, 4500);
	ok(on, "45%% free while acting: still acting (below HIGH)");
	on = scheme_free_active(&s, on, 5100);
	ok(!on, "51%% free: idle again (above HIGH)");
	on = scheme_free_active(&s, true, 400);
	ok(!on, "4%% free: idle (below LOW, the kernel reclaims)");
	scheme_free(&s);

	good("pageout,access=0%,psi=10%/2%", &s);
	on = true;
	on = scheme_psi_active(&s, on, 500);
	ok(on, "5%% stalled: acting");
	on = scheme_psi_active(&s, on, 1100);
	ok(!on, "11%% stalled: paused");
	on = scheme_psi_active(&s, on, 500);
	ok(!on, "5%% while paused: still paused (above RESUME)");
	on = scheme_psi_active(&s, on, 100);
	ok(on, "1%%: acting again");
	scheme_free(&s);

	good("stat", &s);
	ok(scheme_free_active(&s, false, 0) && scheme_psi_active(&s, false, 10000),
	   "no watermarks: always acting");
	scheme_free(&s);
}

struct got {
	uint64_t start[8], end[8];
	size_t n, stop_after;
};

static bool collect(void *arg, uint64_t start, uint64_t end)
{
	struct got *g = arg;

	if (g->n < 8) {
		g->start[g->n] = start;
		g->end[g->n] = end;
	}
	return ++g->n != g->stop_after;
}

/* The pieces of [start, end) of pid outside set, as "a-b a-b" in hex. */
static const char *gaps(const struct acted_set *set, int32_t pid,
			uint64_t start, uint64_t end)
{
	static char buf[256];
	struct got g = { .stop_after = 0 };
	size_t k, len = 0;

	buf[0] = 0;
	acted_gaps(set, pid, start, end, collect, &g);
	for (k = 0; k < g.n && k < 8; k++)
		len += snprintf(buf + len, sizeof(buf) - len, "%s%" PRIx64 "-%" PRIx64,
				k ? " " : "", g.start[k], g.end[k]);
	return buf;
}

static void expect_gaps(const struct acted_set *set, int32_t pid,
			uint64_t start, uint64_t end, const char *want)
{
	const char *got = gaps(set, pid, start, end);

	if (!ok(!strcmp(got, want), "pid %d [%" PRIx64 ", %" PRIx64 "): '%s'",
		pid, start, end, want))
		diag("got '%s'", got);
}

static void acted(void)
{
	struct acted_set set = { 0 };
	struct got g = { .stop_after = 1 };

	expect_gaps(&set, 1, 0x1000, 0x5000, "1000-5000");
	/* Added out of order, overlapping, and for two pids. */
	acted_add(&set, 2, 0x1000, 0x9000, 0);
	acted_add(&set, 1, 0x2800, 0x4000, 1 * S);
	acted_add(&set, 1, 0x2000, 0x3000, 0);
	acted_sort(&set);
	expect_gaps(&set, 1, 0x1000, 0x5000, "1000-2000 4000-5000");
	expect_gaps(&set, 1, 0x2000, 0x4000, "");
	expect_gaps(&set, 1, 0x2400, 0x2c00, "");
	expect_gaps(&set, 1, 0x3800, 0x6000, "4000-6000");
	expect_gaps(&set, 2, 0x0, 0x10000, "0-1000 9000-10000");
	expect_gaps(&set, 3, 0x1000, 0x2000, "1000-2000");
	/* A region mostly new with a little acted on: only the new part
	 * goes, not the whole (the reclaim test saw 9 tries in 40 s). */
	expect_gaps(&set, 1, 0x1000, 0x100000, "1000-2000 4000-100000");
	ok(!acted_gaps(&set, 2, 0x0, 0x10000, collect, &g) && g.n == 1,
	   "a piece that says stop stops the walk");
	/* A long range starting well before the start is still found. */
	acted_add(&set, 4, 0x10000, 0x80000, 0);
	acted_sort(&set);
	expect_gaps(&set, 4, 0x70000, 0x90000, "80000-90000");
	/* Five seconds on, what was acted on at 0 may be tried again. */
	acted_prune(&set, 5 * S, 5 * S);
	ok(set.n == 1, "pruning keeps only the range acted on at 1 s (%zu)",
	   set.n);
	expect_gaps(&set, 1, 0x1000, 0x5000, "1000-2800 4000-5000");
	expect_gaps(&set, 4, 0x70000, 0x90000, "70000-90000");
	acted_free(&set);
	ok(!set.r && !set.n, "freed");
}

int main(void)
{
	parsing();
	list();
	matching();
	priority();
	watermarks();
	acted();
	return done();
}
