// SPDX-License-Identifier: GPL-2.0
/*
 * SVG output shared by the views.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "damonctl.h"
#include "svg.h"

static void put_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		default:
			/* XML 1.0 allows no control characters but these. */
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
				fputc(' ', f);
			else
				fputc(c, f);
		}
	}
}

FILE *svg_open(const char *path, unsigned width, unsigned height,
	       const char *title)
{
	FILE *f = fopen(path, "we");

	if (!f) {
		errmsg("cannot write %s: %s", path, strerror(errno));
		return NULL;
	}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
		"width=\"%u\" height=\"%u\" viewBox=\"0 0 %u %u\" "
		"font-family=\"sans-serif\">\n<title>", width, height, width,
		height);
	put_escaped(f, title);
	fprintf(f, "</title>\n<rect width=\"%u\" height=\"%u\" fill=\"white\"/>\n",
		width, height);
	return f;
}

int svg_close(FILE *f, const char *path)
{
	fputs("</svg>\n", f);
	if (ferror(f) | fclose(f)) {
		errmsg("writing %s failed", path);
		return EXIT_FAIL;
	}
	return 0;
}

void svg_text(FILE *f, double x, double y, const char *anchor, double size,
	      double rotate, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" "
		"font-size=\"%.1f\"", x, y, anchor, size);
	if (rotate)
		fprintf(f, " transform=\"rotate(%.1f %.1f %.1f)\"", rotate, x, y);
	fputc('>', f);
	put_escaped(f, s);
	fputs("</text>\n", f);
	free(s);
}

void svg_heat_color(double x, char out[8])
{
	/* Dark for cold, bright for hot (close to matplotlib's inferno),
	 * so that the picture also reads in grey. */
	static const unsigned char stops[][3] = {
		{ 0x00, 0x00, 0x04 }, { 0x42, 0x0a, 0x68 }, { 0x93, 0x26, 0x67 },
		{ 0xdd, 0x51, 0x3a }, { 0xfc, 0xa5, 0x0a }, { 0xfc, 0xff, 0xa4 },
	};
	const size_t n = sizeof(stops) / sizeof(stops[0]);
	double pos;
	size_t i;
	int k;

	if (!(x > 0))
		x = 0;
	if (x > 1)
		x = 1;
	pos = x * (double)(n - 1);
	i = (size_t)pos;
	if (i >= n - 1)
		i = n - 2;
	pos -= (double)i;
	out[0] = '#';
	for (k = 0; k < 3; k++) {
		double v = stops[i][k] + (stops[i + 1][k] - stops[i][k]) * pos;

		snprintf(out + 1 + 2 * k, 3, "%02x", (unsigned)lround(v));
	}
}

size_t svg_ticks(double lo, double hi, size_t max, double *ticks)
{
	double span = hi - lo, step, mag, t;
	size_t n = 0;

	if (!(span > 0) || max < 2) {
		ticks[0] = lo;
		return 1;
	}
	step = span / (double)(max - 1);
	mag = pow(10, floor(log10(step)));
	if (step <= mag)
		step = mag;
	else if (step <= 2 * mag)
		step = 2 * mag;
	else if (step <= 5 * mag)
		step = 5 * mag;
	else
		step = 10 * mag;
	for (t = ceil(lo / step) * step; t <= hi + step * 1e-9 && n < max;
	     t += step)
		ticks[n++] = fabs(t) < step * 1e-9 ? 0 : t;
	return n;
}
