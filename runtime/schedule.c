/* schedule.c: row assignment for the four schedules. */
#include "compat.h"

#include "schedule.h"

#include <string.h>

const char *const fb_schedule_names[FB_SCHED_COUNT + 1] = {
	[FB_SCHED_STATIC] = "static",
	[FB_SCHED_CYCLIC] = "cyclic",
	[FB_SCHED_DYNAMIC] = "dynamic",
	[FB_SCHED_GUIDED] = "guided",
	[FB_SCHED_COUNT] = NULL,
};

const char *fb_schedule_name(enum fb_schedule s)
{
	return (unsigned)s < FB_SCHED_COUNT ? fb_schedule_names[s] : "?";
}

int fb_schedule_parse(const char *name, enum fb_schedule *out)
{
	for (unsigned i = 0; i < FB_SCHED_COUNT; i++) {
		if (strcmp(name, fb_schedule_names[i]) == 0) {
			*out = (enum fb_schedule)i;
			return 0;
		}
	}
	return -1;
}

uint32_t fb_schedule_default_chunk(enum fb_schedule s, uint32_t rows, unsigned workers)
{
	uint64_t c;

	if (s == FB_SCHED_CYCLIC || workers == 0)
		return 1;
	c = (uint64_t)rows / (16u * (uint64_t)workers);
	return c ? (uint32_t)c : 1;
}

static uint32_t min_u64(uint64_t a, uint64_t b)
{
	return (uint32_t)(a < b ? a : b);
}

bool fb_schedule_next_private(enum fb_schedule s, uint32_t rows, unsigned workers,
			      uint32_t chunk, unsigned worker, uint64_t *pos, uint32_t *y0,
			      uint32_t *y1)
{
	if (s == FB_SCHED_STATIC) {
		/* 64-bit products: rows * workers can exceed 32 bits. */
		uint64_t start = (uint64_t)rows * worker / workers;
		uint64_t end = (uint64_t)rows * (worker + 1) / workers;
		uint64_t from = start + *pos;

		if (from >= end)
			return false;
		*y0 = (uint32_t)from;
		*y1 = min_u64(from + chunk, end);
		*pos += *y1 - *y0;
		return true;
	}
	if (s == FB_SCHED_CYCLIC) {
		/* *pos counts this worker's blocks: block b = worker + pos * workers. */
		uint64_t block = (uint64_t)worker + *pos * workers;
		uint64_t from = block * chunk;

		if (from >= rows)
			return false;
		*y0 = (uint32_t)from;
		*y1 = min_u64(from + chunk, rows);
		*pos += 1;
		return true;
	}
	return false;
}

bool fb_schedule_next_shared(enum fb_schedule s, uint32_t rows, unsigned workers,
			     uint32_t chunk, uint64_t *cursor, uint32_t *y0, uint32_t *y1)
{
	uint64_t take = chunk;

	if (*cursor >= rows)
		return false;
	if (s == FB_SCHED_GUIDED) {
		uint64_t share = (rows - *cursor) / (2u * (uint64_t)workers);

		if (share > take)
			take = share;
	}
	*y0 = (uint32_t)*cursor;
	*y1 = min_u64(*cursor + take, rows);
	*cursor = *y1;
	return true;
}
