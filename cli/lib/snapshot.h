/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DAMONCTL_SNAPSHOT_H
#define DAMONCTL_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "damondev.h"

/*
 * Records as read() returns them and as the record file stores them: each
 * starts with a u32 size, u16 type and u16 version (the first fields of
 * struct damon_snapshot), so a reader can skip a type it does not know.
 */
struct rec_frame {
	uint32_t size;
	uint16_t type;
	uint16_t version;
};

#define REC_FRAME_SIZE	8

void rec_frame_get(const void *rec, struct rec_frame *frame);

/*
 * One snapshot, checked once by snap_parse() and then walked with the
 * sizes the record declares, so fields a newer module appends are skipped.
 * Fields are copied out because a record can sit at any offset of a read
 * buffer.
 */
struct snap {
	struct damon_snapshot hdr;	/* zero-extended if hdr_size is smaller */
	const unsigned char *first_target;
};

struct snap_target {
	struct damon_snapshot_target t;
	const unsigned char *regions;
	uint16_t region_size;
};

int snap_parse(struct snap *s, const void *rec, size_t len, const char **why);
/* Target sections in order: *cursor starts at s->first_target. */
void snap_next_target(const struct snap *s, const unsigned char **cursor,
		      struct snap_target *t);
void snap_region(const struct snap_target *t, uint32_t i,
		 struct damon_snapshot_region *r);

#endif
