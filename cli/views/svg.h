/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DAMONCTL_SVG_H
#define DAMONCTL_SVG_H

#include <stddef.h>
#include <stdio.h>

/*
 * Small helpers for the views' SVG pictures: plain SVG 1.1 that browsers
 * and image viewers show and that any XML parser reads (text is escaped).
 */

/* Opens FILE for writing and starts the document; NULL after saying why. */
FILE *svg_open(const char *path, unsigned width, unsigned height,
	       const char *title);
/* Ends the document and closes the file; 0 or EXIT_FAIL (printed). */
int svg_close(FILE *f, const char *path);

/* Text at (x, y); anchor is "start", "middle" or "end"; rotate in degrees. */
void svg_text(FILE *f, double x, double y, const char *anchor, double size,
	      double rotate, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));
/* The heat colour of x in 0..1, "#rrggbb". */
void svg_heat_color(double x, char out[8]);
/*
 * Up to max "nice" tick values (1, 2 or 5 times a power of ten) in
 * [lo, hi]; returns how many.
 */
size_t svg_ticks(double lo, double hi, size_t max, double *ticks);

#endif
