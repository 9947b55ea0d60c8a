/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DAMONCTL_MAPS_H
#define DAMONCTL_MAPS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Targets' memory mappings, as /proc/PID/maps shows them: read by the
 * recorder and by top, parsed by the views that name what an address is.
 */

struct map_entry {
	uint64_t start, end;
	char perms[5];
	const char *path;	/* into the parsed text; "" if anonymous */
};

struct maps {
	size_t n;
	struct map_entry *e;	/* in address order, as the kernel lists them */
	char *text;		/* a private copy the paths point into */
};

/* The whole of /proc/PID/maps; *text is malloc'ed (NUL-terminated). */
int maps_read(int32_t pid, char **text, size_t *len);
/* Lines that do not parse are skipped: the text may come from a file. */
int maps_parse(const char *text, size_t len, struct maps *m);
void maps_free(struct maps *m);
/* The mapping that contains addr, or NULL. */
const struct map_entry *maps_find(const struct maps *m, uint64_t addr);
/*
 * What people call a mapping: "[heap]", "[stack]", the file's base name
 * ("libc.so.6"), or "[anon]".
 */
const char *map_label(const struct map_entry *e);

/*
 * The recorder's side: every target's maps are read once monitoring has
 * started, then once per regions update interval, and a record is written
 * whenever a target's text differs from the one last written for it.
 */
struct maps_watch {
	size_t n;
	int32_t *pids;
	char **text;
	size_t *len;
	uint64_t interval_ns, next_ns;
};

int maps_watch_init(struct maps_watch *w, const int32_t *pids, size_t n,
		    uint64_t interval_ns);
/* Checks if the interval has passed (or force); -1 if writing failed. */
int maps_watch_poll(struct maps_watch *w, int fd, uint64_t now_ns, int force);
/* The targets changed: texts of those that stay are kept; 0 or -1. */
int maps_watch_set(struct maps_watch *w, const int32_t *pids, size_t n,
		   uint64_t now_ns);
void maps_watch_free(struct maps_watch *w);

#endif
