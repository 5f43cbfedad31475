/* strips.h: the strip planner: how many rows a streamed job makes at a time, from its
 * memory budget.
 *
 * A streamed job (app/pipeline.h) holds, at any moment, the rows of two strips (the one
 * being computed and the one whose PNG groups are being compressed) plus the rows a
 * group reaches back to: its own rows and the 32 KiB before them. Those live in a ring
 * of rows. Beside it: the raw grid's rows of one strip (they are appended to the .npy
 * after the strip), the compressed groups of one strip, the kernel's fixed buffers, and
 * each worker's encoder scratch. The planner takes the tallest strip whose whole
 * footprint fits the budget; a budget below the footprint of a one-row strip is refused
 * with that minimum named. The test hook FORKBAND_TEST_STRIP_ROWS=N fixes the height
 * (checked by app/main.c).
 */
#ifndef FORKBAND_STRIPS_H
#define FORKBAND_STRIPS_H

#include "runtime/compat.h"

#include "io/config.h"

/* The default budget: this much, or half the memory available if that is less. */
#define FB_DEFAULT_MEMORY ((uint64_t)1 << 30)

/* Bytes of private memory a worker adds for the PNG encode besides its rows (zlib's
 * deflate state at memLevel 8 and the adaptive filter's trial rows are counted from the
 * row size). */
#define FB_STRIP_ZLIB_BYTES ((size_t)300 * 1024)

struct fb_strip_plan {
	uint32_t height;	/* rows per strip (the last may have fewer) */
	uint32_t strips;
	struct fb_strip_shape shape;	/* the kernel's rings */
	uint32_t slots;		/* compressed groups held at once */
	uint64_t budget;	/* the budget planned for */
	size_t footprint;	/* bytes the plan needs */
	size_t minimum;		/* bytes a one-row strip needs */
};

/* True when the job runs as a pipeline of strips: its kernel can, and the test hook
 * FORKBAND_TEST_WHOLE_IMAGE is not set (it runs every job on the whole image, the
 * reference the strips are tested against). */
bool fb_job_streams(const struct fb_job *job);

/* Plans a streamed job for `workers` workers under its budget: run.memory, else
 * FB_DEFAULT_MEMORY or half the memory available, whichever is less, but never less
 * than the smallest strip needs. Keeps the raw grid's rows when raw (to write a .npy
 * or hash them). Returns 0, or -1 after reporting `LABEL: the smallest strip (one row,
 * ...) needs 2.1 MiB of memory, more than the budget of 1.0 MiB: run.memory or --memory
 * must be at least 2104K`. */
int fb_strip_plan(const struct fb_job *job, unsigned workers, bool raw,
		  struct fb_strip_plan *plan);

#endif
