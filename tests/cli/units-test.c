// SPDX-License-Identifier: GPL-2.0
/* Parsing and formatting of sizes and durations (cli/lib/units.c). */
#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include "tap.h"
#include "units.h"

static void duration_ns(const char *text, uint64_t want)
{
	const char *why = "";
	uint64_t got = 0;
	int ret = parse_duration_ns(text, &got, &why);

	if (!ok(ret == 0 && got == want, "duration '%s' is %" PRIu64 " ns",
		text, want))
		diag("got %d, %" PRIu64 " (%s)", ret, got, ret ? why : "");
}

static void duration_us(const char *text, uint64_t want)
{
	const char *why = "";
	uint64_t got = 0;
	int ret = parse_duration_us(text, &got, &why);

	if (!ok(ret == 0 && got == want, "duration '%s' is %" PRIu64 " us",
		text, want))
		diag("got %d, %" PRIu64 " (%s)", ret, got, ret ? why : "");
}

/* Refused, and the sentence says why. */
static void bad_duration(const char *text, const char *why_part)
{
	const char *why = "";
	uint64_t got;
	int ret = parse_duration_us(text, &got, &why);

	if (!ok(ret == -1 && strstr(why, why_part), "duration '%s' is refused: %s",
		text, why_part))
		diag("got %d, why '%s'", ret, why);
}

static void size(const char *text, uint64_t want)
{
	const char *why = "";
	uint64_t got = 0;
	int ret = parse_size(text, &got, &why);

	if (!ok(ret == 0 && got == want, "size '%s' is %" PRIu64, text, want))
		diag("got %d, %" PRIu64 " (%s)", ret, got, ret ? why : "");
}

static void bad_size(const char *text, const char *why_part)
{
	const char *why = "";
	uint64_t got;
	int ret = parse_size(text, &got, &why);

	if (!ok(ret == -1 && strstr(why, why_part), "size '%s' is refused: %s",
		text, why_part))
		diag("got %d, why '%s'", ret, why);
}

static void count(const char *text, uint64_t max, int want_ret, uint64_t want)
{
	const char *why = "";
	uint64_t got = 0;
	int ret = parse_count(text, max, &got, &why);

	if (!ok(ret == want_ret && (ret || got == want), "count '%s' (max %" PRIu64
		") %s", text, max, want_ret ? "is refused" : "is read"))
		diag("got %d, %" PRIu64 " (%s)", ret, got, ret ? why : "");
}

static void fmt_size(uint64_t bytes, const char *want)
{
	char buf[UNITS_BUFSZ];

	format_size(buf, bytes);
	if (!ok(!strcmp(buf, want), "%" PRIu64 " bytes print as '%s'", bytes, want))
		diag("got '%s'", buf);
}

static void fmt_ns(uint64_t ns, const char *want)
{
	char buf[UNITS_BUFSZ];

	format_duration_ns(buf, ns);
	if (!ok(!strcmp(buf, want), "%" PRIu64 " ns prints as '%s'", ns, want))
		diag("got '%s'", buf);
}

/* What is printed reads back as the same value. */
static void round_trip(uint64_t ns)
{
	char buf[UNITS_BUFSZ];
	const char *why;
	uint64_t back = 0;

	format_duration_ns(buf, ns);
	ok(!parse_duration_ns(buf, &back, &why) && back == ns,
	   "'%s' reads back as %" PRIu64 " ns", buf, ns);
}

int main(void)
{
	char buf[UNITS_BUFSZ];

	duration_us("5ms", 5000);
	duration_us("1.5s", 1500000);
	duration_us("100us", 100);
	duration_us("100\xc2\xb5s", 100);
	duration_us("2m", 120000000);
	duration_us("1h", 3600000000ULL);
	duration_us("1 m 31.400 s", 91400000);
	duration_us("1m31s", 91000000);
	duration_us("5 ms", 5000);
	duration_us("0.25ms", 250);
	duration_us("1.000000000000000000000s", 1000000);
	duration_ns("1ns", 1);
	duration_ns("1.5us", 1500);
	duration_ns("18446744073709551615ns", UINT64_MAX);
	bad_duration("5", "needs a unit");
	bad_duration("5000", "needs a unit");
	bad_duration("5xs", "unknown unit");
	bad_duration("5 lightyears", "unknown unit");
	bad_duration("ms", "not a duration");
	bad_duration("", "empty");
	bad_duration("-5ms", "negative");
	bad_duration("1.5.3s", "not a number");
	bad_duration("1.s", "not a number");
	bad_duration("0.5us", "whole number of microseconds");
	bad_duration("18446744073709551616ns", "too large");
	bad_duration("999999999999999999999s", "too large");
	bad_duration("300000000000h", "too large");
	bad_duration("18446744073709551615ns 1ns", "too large");
	ok(parse_duration_ns("0.0000000001s", &(uint64_t){ 0 }, &(const char *){ 0 }),
	   "a tenth of a nanosecond is refused");

	size("4096", 4096);
	size("4K", 4096);
	size("1.5MiB", 1572864);
	size("64 M", 64ULL << 20);
	size("2G", 2ULL << 30);
	size("1TiB", 1ULL << 40);
	size("0", 0);
	bad_size("1.5", "precise");
	bad_size("12 apples", "unknown unit");
	bad_size("16E", "too large");
	bad_size("-1K", "negative");
	bad_size("K", "not a size");

	count("10", 100, 0, 10);
	count("100", 100, 0, 100);
	count("101", 100, -1, 0);
	count("4294967296", UINT32_MAX, -1, 0);
	count("18446744073709551616", UINT64_MAX, -1, 0);
	count("1e3", 10000, -1, 0);
	count("", 10, -1, 0);

	fmt_size(0, "0 B");
	fmt_size(1024, "1024 B");
	fmt_size(4096, "4.000 KiB");
	fmt_size(4140760, "3.949 MiB");
	fmt_size(3ULL << 30, "3.000 GiB");
	fmt_size(UINT64_MAX, "16.000 EiB");
	fmt_ns(0, "0 ns");
	fmt_ns(999, "999 ns");
	fmt_ns(50000, "50 us");
	fmt_ns(104599000, "104.599 ms");
	fmt_ns(5000000, "5 ms");
	fmt_ns(1500000000, "1.500 s");
	fmt_ns(60000000000ULL, "1 m");
	fmt_ns(91400000000ULL, "1 m 31.400 s");
	fmt_ns(91000000000ULL, "1 m 31 s");
	fmt_ns(60500000000ULL, "1 m 0.500 s");
	fmt_ns(3600000000000ULL, "1 h");
	fmt_ns(3661500000000ULL, "1 h 1 m 1.500 s");
	fmt_ns(3600005000000ULL, "1 h 5 ms");
	round_trip(91400000000ULL);
	round_trip(3661500000000ULL);
	round_trip(104599000);
	format_duration_us(buf, 50);
	ok(!strcmp(buf, "50 us"), "50 us prints as '50 us'");
	ok(!strcmp(format_percent(buf, 25), "25"), "25%% prints as 25");
	ok(!strcmp(format_percent(buf, 12.5), "12.5"), "12.5%% prints as 12.5");
	ok(!strcmp(format_percent(buf, 100.0 / 3), "33.33"), "1/3 prints as 33.33");
	ok(!strcmp(format_hz(buf, 200), "200"), "200 Hz prints as 200");
	ok(!strcmp(format_hz(buf, 6.6666), "6.667"), "6.6666 Hz prints as 6.667");
	ok(!strcmp(format_hz(buf, 0), "0"), "0 Hz prints as 0");
	return done();
}
