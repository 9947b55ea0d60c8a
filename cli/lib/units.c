// SPDX-License-Identifier: GPL-2.0
/*
 * Parsing and printing sizes and durations.  Parsing is exact integer
 * arithmetic: "1.5s" must become 1500000000 ns and not 1499999999 because
 * of a binary fraction, and values that do not fit are refused rather than
 * wrapped.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "units.h"

#define NS_PER_US	1000ULL
#define NS_PER_MS	1000000ULL
#define NS_PER_S	1000000000ULL
#define NS_PER_MIN	(60 * NS_PER_S)
#define NS_PER_HOUR	(60 * NS_PER_MIN)
#define NS_PER_DAY	(24 * NS_PER_HOUR)

struct unit {
	const char *name;
	uint64_t scale;
};

static const struct unit time_units[] = {
	{ "ns", 1 }, { "us", NS_PER_US }, { "\xc2\xb5s", NS_PER_US },
	{ "ms", NS_PER_MS }, { "s", NS_PER_S }, { "m", NS_PER_MIN },
	{ "min", NS_PER_MIN }, { "h", NS_PER_HOUR }, { "d", NS_PER_DAY },
	{ NULL, 0 },
};

/* Binary multiples whatever the spelling, as damo reads them. */
static const struct unit size_units[] = {
	{ "B", 1 },
	{ "K", 1ULL << 10 }, { "KB", 1ULL << 10 }, { "KiB", 1ULL << 10 },
	{ "M", 1ULL << 20 }, { "MB", 1ULL << 20 }, { "MiB", 1ULL << 20 },
	{ "G", 1ULL << 30 }, { "GB", 1ULL << 30 }, { "GiB", 1ULL << 30 },
	{ "T", 1ULL << 40 }, { "TB", 1ULL << 40 }, { "TiB", 1ULL << 40 },
	{ "P", 1ULL << 50 }, { "PB", 1ULL << 50 }, { "PiB", 1ULL << 50 },
	{ "E", 1ULL << 60 }, { "EB", 1ULL << 60 }, { "EiB", 1ULL << 60 },
	{ NULL, 0 },
};

__extension__ typedef unsigned __int128 u128;

/*
 * A number "123" or "1.25" times a unit, exactly.  The fraction is kept as
 * digits over a power of ten so that the product can be checked for being
 * whole.
 */
static int scale_number(const char **p, uint64_t scale, uint64_t *out,
			const char **why)
{
	const char *s = *p;
	u128 whole = 0, frac = 0, denom = 1, v;

	if (!isdigit((unsigned char)*s)) {
		*why = "is not a number";
		return -1;
	}
	for (; isdigit((unsigned char)*s); s++) {
		whole = whole * 10 + (uint64_t)(*s - '0');
		if (whole > UINT64_MAX) {
			*why = "is too large";
			return -1;
		}
	}
	if (*s == '.') {
		s++;
		if (!isdigit((unsigned char)*s)) {
			*why = "is not a number";
			return -1;
		}
		for (; isdigit((unsigned char)*s); s++) {
			/* Past 19 digits only zeros can keep it exact. */
			if (denom > UINT64_MAX / 10) {
				if (*s != '0') {
					*why = "is more precise than the unit allows";
					return -1;
				}
				continue;
			}
			frac = frac * 10 + (uint64_t)(*s - '0');
			denom *= 10;
		}
	}
	v = whole * scale;
	if (v > UINT64_MAX || (frac * scale) % denom) {
		*why = (v > UINT64_MAX) ? "is too large" :
			"is more precise than the unit allows";
		return -1;
	}
	v += frac * scale / denom;
	if (v > UINT64_MAX) {
		*why = "is too large";
		return -1;
	}
	*out = (uint64_t)v;
	*p = s;
	return 0;
}

static const struct unit *match_unit(const struct unit *units,
				     const char **p)
{
	const char *s = *p;
	size_t n = 0;

	while (s[n] && !isspace((unsigned char)s[n]) &&
	       !isdigit((unsigned char)s[n]) && s[n] != '.')
		n++;
	for (; units->name; units++)
		if (strlen(units->name) == n && !strncmp(units->name, s, n)) {
			*p = s + n;
			return units;
		}
	return NULL;
}

static const char *skip_spaces(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return s;
}

static int check_sign(const char *s, const char **why)
{
	s = skip_spaces(s);
	if (!*s) {
		*why = "is empty";
		return -1;
	}
	if (*s == '-') {
		*why = "cannot be negative";
		return -1;
	}
	return 0;
}

/*
 * Terms add up, so what format_duration_ns prints ("1 m 31.400 s") reads
 * back as the same value.
 */
int parse_duration_ns(const char *text, uint64_t *ns, const char **why)
{
	const char *s = text, *num, *num_end;
	uint64_t total = 0;

	if (check_sign(s, why))
		return -1;
	s = skip_spaces(s);
	while (*s) {
		const struct unit *u;
		uint64_t term;

		num = s;
		while (isdigit((unsigned char)*s) || *s == '.')
			s++;
		if (s == num) {
			*why = "is not a duration (e.g. 5ms, 1.5s, 2m)";
			return -1;
		}
		num_end = s;
		s = skip_spaces(s);
		if (!*s) {
			*why = "needs a unit (ns, us, ms, s, m, h or d), e.g. 5ms";
			return -1;
		}
		u = match_unit(time_units, &s);
		if (!u) {
			*why = "has an unknown unit (use ns, us, ms, s, m, h or d)";
			return -1;
		}
		if (scale_number(&num, u->scale, &term, why))
			return -1;
		if (num != num_end) {
			*why = "is not a number";
			return -1;
		}
		if (__builtin_add_overflow(total, term, &total)) {
			*why = "is too large";
			return -1;
		}
		s = skip_spaces(s);
	}
	*ns = total;
	return 0;
}

int parse_duration_us(const char *text, uint64_t *us, const char **why)
{
	uint64_t ns;

	if (parse_duration_ns(text, &ns, why))
		return -1;
	if (ns % NS_PER_US) {
		*why = "is not a whole number of microseconds";
		return -1;
	}
	*us = ns / NS_PER_US;
	return 0;
}

int parse_size(const char *text, uint64_t *bytes, const char **why)
{
	const char *s = text, *num, *num_end;
	const struct unit *u = &size_units[0];

	if (check_sign(s, why))
		return -1;
	num = s = skip_spaces(s);
	while (isdigit((unsigned char)*s) || *s == '.')
		s++;
	if (s == num) {
		*why = "is not a size (e.g. 4096, 64K, 1.5MiB)";
		return -1;
	}
	num_end = s;
	s = skip_spaces(s);
	if (*s) {
		u = match_unit(size_units, &s);
		if (!u || *skip_spaces(s)) {
			*why = "has an unknown unit (use B, K, M, G, T, P or E, or KiB, MiB, ...)";
			return -1;
		}
	}
	if (scale_number(&num, u->scale, bytes, why))
		return -1;
	if (num != num_end) {
		*why = "is not a number";
		return -1;
	}
	return 0;
}

int parse_count(const char *text, uint64_t max, uint64_t *value,
		const char **why)
{
	const char *s = text;
	uint64_t v = 0;

	if (check_sign(s, why))
		return -1;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s)) {
			*why = "is not a whole number";
			return -1;
		}
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10) {
			*why = "is too large";
			return -1;
		}
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v > max) {
		*why = "is too large";
		return -1;
	}
	*value = v;
	return 0;
}

/* Strictly above the unit, as damo does: 1024 bytes stay "1024 B". */
const char *format_size(char buf[UNITS_BUFSZ], uint64_t bytes)
{
	static const char *const names[] = {
		"KiB", "MiB", "GiB", "TiB", "PiB", "EiB",
	};
	int i;

	for (i = 5; i >= 0; i--) {
		uint64_t unit = 1ULL << (10 * (i + 1));

		if (bytes > unit) {
			snprintf(buf, UNITS_BUFSZ, "%.3f %s",
				 (double)bytes / (double)unit, names[i]);
			return buf;
		}
	}
	snprintf(buf, UNITS_BUFSZ, "%" PRIu64 " B", bytes);
	return buf;
}

/* Whole values print without decimals ("5 ms"), others with three. */
static int format_in(char *buf, size_t len, uint64_t ns, uint64_t unit,
		     const char *name)
{
	if (ns % unit == 0)
		return snprintf(buf, len, "%" PRIu64 " %s", ns / unit, name);
	return snprintf(buf, len, "%.3f %s", (double)ns / (double)unit, name);
}

static void format_ns(char *buf, size_t len, uint64_t ns)
{
	if (ns >= NS_PER_MIN) {
		uint64_t unit = ns >= NS_PER_HOUR ? NS_PER_HOUR : NS_PER_MIN;
		int n;

		n = snprintf(buf, len, "%" PRIu64 " %s", ns / unit,
			     unit == NS_PER_HOUR ? "h" : "m");
		ns %= unit;
		if (!ns || n < 0 || (size_t)n + 1 >= len)
			return;
		buf[n++] = ' ';
		if (unit == NS_PER_HOUR)
			format_ns(buf + n, len - n, ns);
		else	/* after minutes damo counts seconds: "1 m 0.500 s" */
			format_in(buf + n, len - n, ns, NS_PER_S, "s");
		return;
	}
	if (ns >= NS_PER_S)
		format_in(buf, len, ns, NS_PER_S, "s");
	else if (ns >= NS_PER_MS)
		format_in(buf, len, ns, NS_PER_MS, "ms");
	else if (ns >= NS_PER_US)
		format_in(buf, len, ns, NS_PER_US, "us");
	else
		snprintf(buf, len, "%" PRIu64 " ns", ns);
}

const char *format_duration_ns(char buf[UNITS_BUFSZ], uint64_t ns)
{
	format_ns(buf, UNITS_BUFSZ, ns);
	return buf;
}

const char *format_duration_us(char buf[UNITS_BUFSZ], uint64_t us)
{
	if (us > UINT64_MAX / NS_PER_US) {
		snprintf(buf, UNITS_BUFSZ, "%" PRIu64 " us", us);
		return buf;
	}
	return format_duration_ns(buf, us * NS_PER_US);
}

const char *format_percent(char buf[UNITS_BUFSZ], double percent)
{
	char *end;

	snprintf(buf, UNITS_BUFSZ, "%.2f", percent);
	end = buf + strlen(buf);
	while (end[-1] == '0')
		*--end = '\0';
	if (end[-1] == '.')
		end[-1] = '\0';
	return buf;
}

const char *format_hz(char buf[UNITS_BUFSZ], double hz)
{
	if (hz < 10 && hz != 0)
		snprintf(buf, UNITS_BUFSZ, "%.3f", hz);
	else
		snprintf(buf, UNITS_BUFSZ, "%.0f", hz);
	return buf;
}
