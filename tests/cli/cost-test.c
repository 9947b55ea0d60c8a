// SPDX-License-Identifier: GPL-2.0
/* The monitoring cost line (cli/lib/cost.c): what it says of the flags. */
#include <string.h>

#include "cost.h"
#include "tap.h"

const char *progname = "cost-test";

/* A cost of @n snapshots, @used with the upper bits, @mglru left to it. */
static void cost_case(unsigned int n, unsigned int used, unsigned int mglru,
		      const char *want, const char *what)
{
	struct damon_snapshot s;
	struct mon_cost c;
	char line[1024];
	unsigned int i;

	memset(&c, 0, sizeof(c));
	for (i = 0; i < n; i++) {
		memset(&s, 0, sizeof(s));
		s.sample_us = 5000;
		s.aggr_us = 100000;
		if (i < used)
			s.flags |= DAMON_SNAPSHOT_UPPER_BITS;
		else if (i < used + mglru)
			s.flags |= DAMON_SNAPSHOT_UPPER_MGLRU;
		cost_add(&c, &s);
	}
	format_cost(line, sizeof(line), &c);
	if (!ok(*want ? strstr(line, want) != NULL :
		strstr(line, "upper-level") == NULL, "%s", what))
		diag("got: %s", line);
}

int main(void)
{
	cost_case(4, 0, 0, "", "no flags (older modules): nothing said");
	cost_case(0, 0, 0, "", "no snapshots: nothing said");
	cost_case(4, 4, 0, "; upper-level Accessed bits used",
		  "every snapshot used the upper bits");
	cost_case(4, 3, 0, "upper-level Accessed bits used in 3 of 4 snapshots",
		  "some snapshots used them: how many");
	cost_case(4, 1, 2, "upper-level Accessed bits left to MGLRU in 2 of 4 snapshots",
		  "MGLRU kept them: said first");
	return done();
}
