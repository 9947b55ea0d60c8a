// SPDX-License-Identifier: GPL-2.0
/*
 * Schemes: the text form, matching and priority (see scheme.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "scheme.h"
#include "units.h"

static const char *const action_names[SCHEME_NR_ACTIONS] = {
	[SCHEME_STAT] = "stat",
	[SCHEME_PAGEOUT] = "pageout",
	[SCHEME_COLD] = "cold",
	[SCHEME_COLLAPSE] = "collapse",
	[SCHEME_WILLNEED] = "willneed",
};

const char *scheme_action_name(enum scheme_action a)
{
	return (unsigned int)a < SCHEME_NR_ACTIONS ? action_names[a] : "?";
}

struct parse {
	const char *text;
	char *err;
	size_t errlen;
};

static int fail(struct parse *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct parse *p, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "--scheme '%s': %s", p->text, msg);
	return -1;
}

/* "4", "4%" or "0.5%" as basis points, 0 to 100%. */
static int parse_share(const char *v, uint32_t *bp)
{
	char *end;
	double pct;

	pct = strtod(v, &end);
	if (end == v || *v == '-' || *v == '+')
		return -1;
	if (*end == '%')
		end++;
	if (*end || !(pct >= 0) || pct > 100)
		return -1;
	*bp = (uint32_t)(pct * 100 + 0.5);
	return 0;
}

/*
 * MIN..MAX, MIN.., ..MAX or a single value V (V..V); one() parses a bound.
 * The bounds are given to one() as copies, so it sees a whole string.
 */
static int split_range(const char *v, char *lo, char *hi, size_t len,
		       bool *has_lo, bool *has_hi)
{
	const char *dots = strstr(v, "..");
	size_t n;

	if (!dots) {
		if (strlen(v) >= len)
			return -1;
		strcpy(lo, v);
		strcpy(hi, v);
		*has_lo = *has_hi = *v != '\0';
		return *v ? 0 : -1;
	}
	n = (size_t)(dots - v);
	if (n >= len || strlen(dots + 2) >= len)
		return -1;
	memcpy(lo, v, n);
	lo[n] = '\0';
	strcpy(hi, dots + 2);
	*has_lo = n > 0;
	*has_hi = *hi != '\0';
	return 0;
}

static int size_range(struct parse *p, const char *key, const char *v,
		      uint64_t *min, uint64_t *max)
{
	char lo[64], hi[64];
	bool has_lo, has_hi;
	const char *why;

	if (split_range(v, lo, hi, sizeof(lo), &has_lo, &has_hi))
		return fail(p, "%s=%s is not a range of sizes (MIN..MAX, "
			    "MIN.. or ..MAX, e.g. %s=2M..)", key, v, key);
	*min = 0;
	*max = UINT64_MAX;
	if (has_lo && parse_size(lo, min, &why))
		return fail(p, "%s: '%s' %s", key, lo, why);
	if (has_hi && parse_size(hi, max, &why))
		return fail(p, "%s: '%s' %s", key, hi, why);
	if (*min > *max)
		return fail(p, "%s=%s: the smallest size is above the largest",
			    key, v);
	return 0;
}

static int age_range(struct parse *p, const char *v, uint64_t *min,
		     uint64_t *max)
{
	char lo[64], hi[64];
	bool has_lo, has_hi;
	const char *why;

	if (split_range(v, lo, hi, sizeof(lo), &has_lo, &has_hi))
		return fail(p, "age=%s is not a range of durations (MIN..MAX, "
			    "MIN.. or ..MAX, e.g. age=30s..)", v);
	*min = 0;
	*max = UINT64_MAX;
	if (has_lo && parse_duration_ns(lo, min, &why))
		return fail(p, "age: '%s' %s", lo, why);
	if (has_hi && parse_duration_ns(hi, max, &why))
		return fail(p, "age: '%s' %s", hi, why);
	if (*min > *max)
		return fail(p, "age=%s: the lowest age is above the highest", v);
	return 0;
}

static int access_range(struct parse *p, const char *v, uint32_t *min,
			uint32_t *max)
{
	char lo[64], hi[64];
	bool has_lo, has_hi;

	if (split_range(v, lo, hi, sizeof(lo), &has_lo, &has_hi))
		return fail(p, "access=%s is not a range of shares (MIN..MAX, "
			    "MIN.. or ..MAX, e.g. access=0%% or access=..5%%)",
			    v);
	*min = 0;
	*max = SCHEME_BP_MAX;
	if (has_lo && parse_share(lo, min))
		return fail(p, "access: '%s' is not a share of samples from "
			    "0%% to 100%%", lo);
	if (has_hi && parse_share(hi, max))
		return fail(p, "access: '%s' is not a share of samples from "
			    "0%% to 100%%", hi);
	if (*min > *max)
		return fail(p, "access=%s: the lowest share is above the "
			    "highest", v);
	return 0;
}

/* AMOUNT[/DURATION], the window 1 s when it is left out. */
static int split_per(struct parse *p, const char *key, const char *v,
		     char *amount, size_t len, uint64_t *window_ns)
{
	const char *slash = strchr(v, '/');
	const char *why;
	size_t n = slash ? (size_t)(slash - v) : strlen(v);

	if (n >= len || !n)
		return fail(p, "%s=%s needs an amount, e.g. %s", key, v,
			    strcmp(key, "cpu") ? "quota=64M/s" : "cpu=10ms/s");
	memcpy(amount, v, n);
	amount[n] = '\0';
	*window_ns = 1000000000ULL;
	if (!slash)
		return 0;
	/* "/s" reads better than "/1s". */
	if (!strcmp(slash + 1, "s"))
		return 0;
	if (parse_duration_ns(slash + 1, window_ns, &why))
		return fail(p, "%s: the window '%s' %s", key, slash + 1, why);
	if (*window_ns < 1000000ULL)
		return fail(p, "%s: the window '%s' is shorter than 1 ms", key,
			    slash + 1);
	return 0;
}

/* Up to n shares separated by '/'; returns how many were given. */
static int shares(const char *v, uint32_t *bp, int n)
{
	char buf[64], *tok, *save = NULL;
	int i = 0;

	if (strlen(v) >= sizeof(buf))
		return -1;
	strcpy(buf, v);
	for (tok = strtok_r(buf, "/", &save); tok;
	     tok = strtok_r(NULL, "/", &save)) {
		if (i == n || parse_share(tok, &bp[i]))
			return -1;
		i++;
	}
	return i;
}

static int take_key(struct parse *p, struct scheme *s, const char *key,
		    const char *v, unsigned int *seen)
{
	static const char *const keys[] = {
		"size", "access", "age", "quota", "cpu", "free", "psi",
		"psi-from", NULL
	};
	char amount[64];
	const char *why;
	uint32_t bp[3];
	unsigned int i;
	int n;

	for (i = 0; keys[i] && strcmp(keys[i], key); i++)
		;
	if (!keys[i])
		return fail(p, "'%s' is not a key (use size, access, age, "
			    "quota, cpu, free, psi or psi-from)", key);
	if (*seen & (1U << i))
		return fail(p, "%s= is given twice", key);
	*seen |= 1U << i;
	switch (i) {
	case 0:
		return size_range(p, key, v, &s->size_min, &s->size_max);
	case 1:
		return access_range(p, v, &s->access_min_bp, &s->access_max_bp);
	case 2:
		return age_range(p, v, &s->age_min_ns, &s->age_max_ns);
	case 3:
		if (split_per(p, key, v, amount, sizeof(amount),
			      &s->quota_bytes_window_ns))
			return -1;
		if (parse_size(amount, &s->quota_bytes, &why))
			return fail(p, "quota: '%s' %s", amount, why);
		if (!s->quota_bytes)
			return fail(p, "quota: a quota of 0 bytes would never "
				    "act; leave the scheme out or use stat");
		return 0;
	case 4:
		if (split_per(p, key, v, amount, sizeof(amount),
			      &s->quota_cpu_window_ns))
			return -1;
		if (parse_duration_ns(amount, &s->quota_cpu_ns, &why))
			return fail(p, "cpu: '%s' %s", amount, why);
		if (!s->quota_cpu_ns ||
		    s->quota_cpu_ns > s->quota_cpu_window_ns)
			return fail(p, "cpu=%s: the time must be more than 0 "
				    "and at most the window", v);
		return 0;
	case 5:
		if (shares(v, bp, 3) != 3)
			return fail(p, "free=%s is not HIGH/MID/LOW, three "
				    "shares of memory (e.g. free=50%%/40%%/"
				    "5%%)", v);
		if (bp[0] < bp[1] || bp[1] < bp[2])
			return fail(p, "free=%s: the marks must go down: "
				    "HIGH >= MID >= LOW", v);
		s->free_wmarks = true;
		s->free_high_bp = bp[0];
		s->free_mid_bp = bp[1];
		s->free_low_bp = bp[2];
		return 0;
	case 6:
		n = shares(v, bp, 2);
		if (n < 1)
			return fail(p, "psi=%s is not MAX[/RESUME], shares of "
				    "time stalled (e.g. psi=10%% or "
				    "psi=10%%/2%%)", v);
		if (n == 1)
			bp[1] = bp[0] / 2;
		if (bp[1] > bp[0] || !bp[0])
			return fail(p, "psi=%s: MAX must be above 0 and RESUME "
				    "at most MAX", v);
		s->psi_wmarks = true;
		s->psi_max_bp = bp[0];
		s->psi_resume_bp = bp[1];
		return 0;
	case 7: {
		struct stat st;
		size_t len = strlen(v);

		if (!len)
			return fail(p, "psi-from= needs a cgroup directory or "
				    "a pressure file");
		if (stat(v, &st))
			return fail(p, "psi-from=%s: %s", v, strerror(errno));
		s->psi_path = malloc(len + sizeof("/memory.pressure"));
		if (!s->psi_path)
			return fail(p, "out of memory");
		strcpy(s->psi_path, v);
		if (S_ISDIR(st.st_mode))
			strcat(s->psi_path, "/memory.pressure");
		return 0;
	}
	}
	return 0;
}

int scheme_parse(const char *text, struct scheme *s, char *err, size_t errlen)
{
	struct parse p = { .text = text, .err = err, .errlen = errlen };
	unsigned int seen = 0;
	char *copy, *tok, *save = NULL;
	int i, ret = 0;

	memset(s, 0, sizeof(*s));
	s->size_max = UINT64_MAX;
	s->access_max_bp = SCHEME_BP_MAX;
	s->age_max_ns = UINT64_MAX;
	copy = strdup(text);
	s->text = strdup(text);
	if (!copy || !s->text) {
		free(copy);
		scheme_free(s);
		return fail(&p, "out of memory");
	}
	tok = strtok_r(copy, ",", &save);
	for (i = 0; tok && i < SCHEME_NR_ACTIONS; i++)
		if (!strcmp(tok, action_names[i]))
			break;
	if (!tok || i == SCHEME_NR_ACTIONS) {
		ret = fail(&p, "'%s' is not an action (use pageout, cold, "
			   "collapse, willneed or stat)", tok ? tok : "");
		goto out;
	}
	s->action = (enum scheme_action)i;
	while (!ret && (tok = strtok_r(NULL, ",", &save))) {
		char *eq = strchr(tok, '=');

		if (!eq) {
			ret = fail(&p, "'%s' is not KEY=VALUE", tok);
			break;
		}
		*eq = '\0';
		ret = take_key(&p, s, tok, eq + 1, &seen);
	}
	if (ret)
		goto out;
	if (s->psi_path && !s->psi_wmarks) {
		ret = fail(&p, "psi-from= without psi= has nothing to watch; "
			   "add e.g. psi=10%%");
		goto out;
	}
	/* seen: bit 1 is access=, bit 2 age=.  A reclaiming scheme with
	 * neither would reclaim everything, the hot memory too. */
	if ((s->action == SCHEME_PAGEOUT || s->action == SCHEME_COLD) &&
	    !(seen & 6U))
		ret = fail(&p, "%s without access= or age= would act on all "
			   "memory, the hot part too; say which, e.g. "
			   "%s,access=0%%,age=30s..", action_names[s->action],
			   action_names[s->action]);
out:
	free(copy);
	if (ret)
		scheme_free(s);
	return ret;
}

void scheme_free(struct scheme *s)
{
	free(s->psi_path);
	free(s->text);
	s->psi_path = NULL;
	s->text = NULL;
}

int scheme_list_add(struct scheme **v, size_t *n, const char *text, char *err,
		    size_t errlen)
{
	struct scheme *grown;

	if (*n == SCHEME_MAX) {
		snprintf(err, errlen, "--scheme '%s': at most %d schemes; "
			 "each one is a pass over every snapshot", text,
			 SCHEME_MAX);
		return -1;
	}
	grown = realloc(*v, (*n + 1) * sizeof(**v));
	if (!grown) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	*v = grown;
	if (scheme_parse(text, &grown[*n], err, errlen))
		return -1;
	(*n)++;
	return 0;
}

void scheme_list_free(struct scheme *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		scheme_free(&v[i]);
	free(v);
}

uint32_t scheme_share_bp(uint32_t nr_accesses, uint32_t nr_passes)
{
	if (!nr_passes)
		return 0;
	if (nr_accesses >= nr_passes)
		return SCHEME_BP_MAX;
	return (uint32_t)((uint64_t)nr_accesses * SCHEME_BP_MAX / nr_passes);
}

bool scheme_match(const struct scheme *s, uint64_t bytes, uint32_t nr_accesses,
		  uint32_t nr_passes, uint32_t age, uint64_t aggr_us)
{
	uint32_t share;
	uint64_t age_ns;

	if (!nr_passes)
		return false;
	share = scheme_share_bp(nr_accesses, nr_passes);
	if (__builtin_mul_overflow((uint64_t)age, aggr_us * 1000ULL, &age_ns))
		age_ns = UINT64_MAX;
	return bytes >= s->size_min && bytes <= s->size_max &&
	       share >= s->access_min_bp && share <= s->access_max_bp &&
	       age_ns >= s->age_min_ns && age_ns <= s->age_max_ns;
}

uint64_t scheme_priority(const struct scheme *s, uint32_t share_bp,
			 uint64_t age_ns)
{
	/* The share decides and the age (ms, 40 bits: 34 years) breaks
	 * ties. */
	uint64_t age_ms = age_ns / 1000000ULL;
	uint64_t first;

	if (age_ms > (1ULL << 40) - 1)
		age_ms = (1ULL << 40) - 1;
	if (share_bp > SCHEME_BP_MAX)
		share_bp = SCHEME_BP_MAX;
	switch (s->action) {
	case SCHEME_PAGEOUT:
	case SCHEME_COLD:
		first = SCHEME_BP_MAX - share_bp;
		break;
	case SCHEME_COLLAPSE:
	case SCHEME_WILLNEED:
		first = share_bp;
		break;
	default:
		return 0;
	}
	return first << 40 | age_ms;
}

bool scheme_free_active(const struct scheme *s, bool was_active,
			uint32_t free_bp)
{
	if (!s->free_wmarks)
		return true;
	/* Below LOW the kernel's own reclaim is at work: stay out of it. */
	if (free_bp < s->free_low_bp || free_bp > s->free_high_bp)
		return false;
	return was_active || free_bp < s->free_mid_bp;
}

bool scheme_psi_active(const struct scheme *s, bool was_active,
		       uint32_t stalled_bp)
{
	if (!s->psi_wmarks)
		return true;
	if (stalled_bp > s->psi_max_bp)
		return false;
	return was_active || stalled_bp < s->psi_resume_bp;
}
