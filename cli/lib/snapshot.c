// SPDX-License-Identifier: GPL-2.0
/*
 * Checking and walking snapshot records.  Everything read from a file is
 * untrusted: snap_parse() proves that every section the header announces
 * fits inside the record, so the walkers need no checks of their own.
 */
#include <stddef.h>
#include <string.h>

#include "snapshot.h"

void rec_frame_get(const void *rec, struct rec_frame *frame)
{
	memcpy(&frame->size, rec, 4);
	memcpy(&frame->type, (const char *)rec + 4, 2);
	memcpy(&frame->version, (const char *)rec + 6, 2);
}

int snap_parse(struct snap *s, const void *rec, size_t len, const char **why)
{
	const unsigned char *p = rec, *end = p + len;
	uint64_t need;
	uint32_t i;

	memset(s, 0, sizeof(*s));
	if (len < REC_FRAME_SIZE) {
		*why = "the record is too short for a snapshot";
		return -1;
	}
	memcpy(&s->hdr, p, len < sizeof(s->hdr) ? len : sizeof(s->hdr));
	if (s->hdr.size != len || s->hdr.type != DAMON_RECORD_SNAPSHOT) {
		*why = "the record is not a snapshot";
		return -1;
	}
	/* Modules before the TLB flush counts wrote a shorter header. */
	if (s->hdr.version < 1 ||
	    s->hdr.hdr_size < offsetof(struct damon_snapshot, tlb_flushes) ||
	    s->hdr.target_size < sizeof(struct damon_snapshot_target) ||
	    s->hdr.region_size < sizeof(struct damon_snapshot_region)) {
		*why = "the snapshot's layout sizes are too small";
		return -1;
	}
	if (s->hdr.hdr_size > len) {
		*why = "the snapshot header is longer than the record";
		return -1;
	}
	p += s->hdr.hdr_size;
	s->first_target = p;
	for (i = 0; i < s->hdr.nr_targets; i++) {
		struct damon_snapshot_target t;

		if ((size_t)(end - p) < s->hdr.target_size) {
			*why = "a target section runs past the end of the snapshot";
			return -1;
		}
		memcpy(&t, p, sizeof(t));
		p += s->hdr.target_size;
		need = (uint64_t)t.nr_regions * s->hdr.region_size;
		if ((uint64_t)(end - p) < need) {
			*why = "a target's regions run past the end of the snapshot";
			return -1;
		}
		p += need;
	}
	return 0;
}

void snap_next_target(const struct snap *s, const unsigned char **cursor,
		      struct snap_target *t)
{
	memcpy(&t->t, *cursor, sizeof(t->t));
	t->regions = *cursor + s->hdr.target_size;
	t->region_size = s->hdr.region_size;
	*cursor = t->regions + (size_t)t->t.nr_regions * t->region_size;
}

void snap_region(const struct snap_target *t, uint32_t i,
		 struct damon_snapshot_region *r)
{
	memcpy(r, t->regions + (size_t)i * t->region_size, sizeof(*r));
}
