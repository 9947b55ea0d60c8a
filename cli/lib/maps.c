// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/PID/maps: reading it for the record file and parsing it back.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maps.h"
#include "record.h"

int maps_read(int32_t pid, char **text, size_t *len)
{
	char path[64], *buf = NULL;
	size_t cap = 0, used = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* procfs files have no size: read until EOF. */
	for (;;) {
		ssize_t n;

		if (used + 4096 + 1 > cap) {
			size_t ncap = cap ? cap * 2 : 16384;
			char *p = realloc(buf, ncap);

			if (!p)
				goto fail;
			buf = p;
			cap = ncap;
		}
		n = read(fd, buf + used, cap - used - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		used += (size_t)n;
	}
	close(fd);
	buf[used] = '\0';
	*text = buf;
	*len = used;
	return 0;
fail:
	close(fd);
	free(buf);
	return -1;
}

/* "start-end perms offset dev inode   path" */
static int parse_line(char *line, struct map_entry *e)
{
	char *p = line, *end;
	int field;

	memset(e, 0, sizeof(*e));
	e->start = strtoull(p, &end, 16);
	if (end == p || *end != '-')
		return -1;
	p = end + 1;
	e->end = strtoull(p, &end, 16);
	if (end == p || *end != ' ' || e->end <= e->start)
		return -1;
	p = end + 1;
	if (strlen(p) < 4)
		return -1;
	memcpy(e->perms, p, 4);
	/* Skip perms, offset, dev and inode; what is left is the path. */
	for (field = 0; field < 4; field++) {
		p += strcspn(p, " ");
		p += strspn(p, " ");
	}
	e->path = p;
	return 0;
}

int maps_parse(const char *text, size_t len, struct maps *m)
{
	size_t cap = 0, i;
	char *line;

	memset(m, 0, sizeof(*m));
	m->text = malloc(len + 1);
	if (!m->text)
		return -1;
	memcpy(m->text, text, len);
	m->text[len] = '\0';
	for (i = 0; i < len; i++)	/* a NUL in a file would end a line early */
		if (!m->text[i])
			m->text[i] = ' ';
	for (line = m->text; *line; ) {
		char *nl = strchr(line, '\n');
		struct map_entry e;

		if (nl)
			*nl = '\0';
		if (!parse_line(line, &e)) {
			if (m->n == cap) {
				size_t ncap = cap ? cap * 2 : 64;
				struct map_entry *p = realloc(m->e, ncap * sizeof(*p));

				if (!p) {
					maps_free(m);
					return -1;
				}
				m->e = p;
				cap = ncap;
			}
			m->e[m->n++] = e;
		}
		if (!nl)
			break;
		line = nl + 1;
	}
	return 0;
}

void maps_free(struct maps *m)
{
	free(m->e);
	free(m->text);
	memset(m, 0, sizeof(*m));
}

const struct map_entry *maps_find(const struct maps *m, uint64_t addr)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr < m->e[mid].start)
			hi = mid;
		else if (addr >= m->e[mid].end)
			lo = mid + 1;
		else
			return &m->e[mid];
	}
	return NULL;
}

const char *map_label(const struct map_entry *e)
{
	const char *slash;

	if (!e->path[0])
		return "[anon]";
	if (e->path[0] == '[')
		return e->path;
	slash = strrchr(e->path, '/');
	return slash && slash[1] ? slash + 1 : e->path;
}

/* ---- the recorder's watch ---- */

int maps_watch_init(struct maps_watch *w, const int32_t *pids, size_t n,
		    uint64_t interval_ns)
{
	memset(w, 0, sizeof(*w));
	w->pids = calloc(n ? n : 1, sizeof(*w->pids));
	w->text = calloc(n ? n : 1, sizeof(*w->text));
	w->len = calloc(n ? n : 1, sizeof(*w->len));
	if (!w->pids || !w->text || !w->len) {
		maps_watch_free(w);
		return -1;
	}
	memcpy(w->pids, pids, n * sizeof(*pids));
	w->n = n;
	w->interval_ns = interval_ns;
	return 0;
}

int maps_watch_poll(struct maps_watch *w, int fd, uint64_t now_ns, int force)
{
	size_t i;

	if (!force && now_ns < w->next_ns)
		return 0;
	w->next_ns = now_ns + w->interval_ns;
	for (i = 0; i < w->n; i++) {
		char *text;
		size_t len;

		/* An exited target has no maps (or an empty file): its last
		 * record stays the one that names its regions. */
		if (maps_read(w->pids[i], &text, &len))
			continue;
		if (!len) {
			free(text);
			continue;
		}
		if (w->text[i] && w->len[i] == len &&
		    !memcmp(w->text[i], text, len)) {
			free(text);
			continue;
		}
		if (rec_write_maps(fd, w->pids[i], now_ns, text, len)) {
			free(text);
			return -1;
		}
		free(w->text[i]);
		w->text[i] = text;
		w->len[i] = len;
	}
	return 0;
}

int maps_watch_set(struct maps_watch *w, const int32_t *pids, size_t n,
		   uint64_t now_ns)
{
	int32_t *np = calloc(n ? n : 1, sizeof(*np));
	char **nt = calloc(n ? n : 1, sizeof(*nt));
	size_t *nl = calloc(n ? n : 1, sizeof(*nl));
	size_t i, j;

	if (!np || !nt || !nl) {
		free(np);
		free(nt);
		free(nl);
		return -1;
	}
	for (i = 0; i < n; i++) {
		np[i] = pids[i];
		/* A target that stays keeps its last text: no new record
		 * unless its maps change. */
		for (j = 0; j < w->n; j++)
			if (w->pids[j] == pids[i] && w->text[j]) {
				nt[i] = w->text[j];
				nl[i] = w->len[j];
				w->text[j] = NULL;
				break;
			}
	}
	for (j = 0; j < w->n; j++)
		free(w->text[j]);
	free(w->text);
	free(w->len);
	free(w->pids);
	w->pids = np;
	w->text = nt;
	w->len = nl;
	w->n = n;
	/* The arrivals' maps at the next poll. */
	w->next_ns = now_ns;
	return 0;
}

void maps_watch_free(struct maps_watch *w)
{
	size_t i;

	for (i = 0; w->text && i < w->n; i++)
		free(w->text[i]);
	free(w->text);
	free(w->len);
	free(w->pids);
	memset(w, 0, sizeof(*w));
}
