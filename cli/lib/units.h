/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DAMONCTL_UNITS_H
#define DAMONCTL_UNITS_H

#include <stdint.h>

/*
 * Text for and from people, in the units damo users know: sizes in binary
 * units with three decimals ("3.949 MiB"), times as "104.599 ms" or
 * "1 m 31.400 s".  Parsers return 0, or -1 with *why set to the end of a
 * sentence that starts with the value ("'5' needs a unit, ...").
 */

#define UNITS_BUFSZ 48

int parse_duration_ns(const char *text, uint64_t *ns, const char **why);
/* As parse_duration_ns, for the device's microsecond fields. */
int parse_duration_us(const char *text, uint64_t *us, const char **why);
int parse_size(const char *text, uint64_t *bytes, const char **why);
/* A plain decimal integer from 0 to max. */
int parse_count(const char *text, uint64_t max, uint64_t *value,
		const char **why);

const char *format_size(char buf[UNITS_BUFSZ], uint64_t bytes);
const char *format_duration_ns(char buf[UNITS_BUFSZ], uint64_t ns);
const char *format_duration_us(char buf[UNITS_BUFSZ], uint64_t us);
/* Percentages with at most two decimals, trailing zeros dropped: "12.5". */
const char *format_percent(char buf[UNITS_BUFSZ], double percent);
/* Hz as damo shows it: three decimals below 10 Hz, whole numbers above. */
const char *format_hz(char buf[UNITS_BUFSZ], double hz);

#endif
