/* schedule.h: how the rows of a pass are handed to workers.
 *
 *   static   the lecture's split: worker w owns one contiguous band,
 *            rows [w*H/N, (w+1)*H/N); it works through the band `chunk` rows at a time
 *            (the chunk only sets how often it reports progress and folds totals).
 *   cyclic   block-cyclic: block b of `chunk` rows goes to worker b mod N. With chunk 1
 *            (its default) that is the row-cyclic split, row r to worker r mod N.
 *   dynamic  the default: each worker takes the next `chunk` rows from a shared cursor
 *            under the spinlock whenever it finishes a chunk, so fast workers take more.
 *   guided   like dynamic, but each claim takes remaining / (2N) rows, never fewer than
 *            `chunk`: big chunks early (fewer lock trips), small ones at the end
 *            (balance).
 *
 * Every schedule hands each row [0, rows) to exactly one worker exactly once, for any
 * rows >= 0, workers >= 1 and chunk >= 1 (tests/test_schedule.c).
 */
#ifndef FORKBAND_SCHEDULE_H
#define FORKBAND_SCHEDULE_H

#include "compat.h"

enum fb_schedule {
	FB_SCHED_STATIC,
	FB_SCHED_CYCLIC,
	FB_SCHED_DYNAMIC,
	FB_SCHED_GUIDED,
};

#define FB_SCHED_COUNT 4

/* The names, indexed by enum fb_schedule, NULL-terminated. */
extern const char *const fb_schedule_names[];

/* The schedule's name ("dynamic"), or "?" for a value out of range. */
const char *fb_schedule_name(enum fb_schedule s);

/* Parses a name; returns 0, or -1 (without reporting) if it is not a schedule. */
int fb_schedule_parse(const char *name, enum fb_schedule *out);

/* The chunk used when none is given: 1 for cyclic; otherwise rows / (16 * workers),
 * at least 1, so that every worker gets at least 16 chunks and the slowest worker ends
 * at most about 1/16 of its share behind the others. */
uint32_t fb_schedule_default_chunk(enum fb_schedule s, uint32_t rows, unsigned workers);

/* The next rows [y0, y1) for worker `worker` under a schedule without shared state
 * (static, cyclic). *pos is the worker's private position, 0 before the first call.
 * Returns false when the worker has no rows left. */
bool fb_schedule_next_private(enum fb_schedule s, uint32_t rows, unsigned workers,
			      uint32_t chunk, unsigned worker, uint64_t *pos, uint32_t *y0,
			      uint32_t *y1);

/* The next rows [y0, y1) from the shared cursor (dynamic, guided); the caller holds
 * the lock that guards *cursor. Returns false when all rows are taken. */
bool fb_schedule_next_shared(enum fb_schedule s, uint32_t rows, unsigned workers,
			     uint32_t chunk, uint64_t *cursor, uint32_t *y0, uint32_t *y1);

/* True for the schedules that claim rows from the shared cursor. */
static inline bool fb_schedule_is_shared(enum fb_schedule s)
{
	return s == FB_SCHED_DYNAMIC || s == FB_SCHED_GUIDED;
}

#endif
