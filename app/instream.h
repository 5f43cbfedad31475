/* instream.h: the read stage of a streamed job: the input PNG decoded row by row, in
 * the parent, between the strips' passes, holding only the rows the strips read.
 *
 * Rows are asked for in the order the strips need them: each strip's window (its rows
 * and the halo its filters reach) lies at or after the previous one's, so a ring of
 * `window` rows is enough, plus a strip's rows to decode the next strip's while the
 * workers compute this one (fb_instream_ahead(), from the pool's parent_work). Where the kernel wraps, a strip at one end reads rows of
 * the other: the first and last `halo` rows are then kept aside, the last ones from a
 * first decode of the whole file (the one price of wrapping). An interlaced (Adam7)
 * PNG has no row order to stream in: it is decoded whole, if that fits what the budget
 * leaves, else refused.
 */
#ifndef FORKBAND_INSTREAM_H
#define FORKBAND_INSTREAM_H

#include "runtime/compat.h"

#include "io/image.h"

struct fb_png_rows;

struct fb_instream {
	const char *path;
	struct fb_png_rows *rd;
	struct fb_image hdr;	/* the layout of a row */
	size_t row;		/* bytes of a row */
	uint8_t *ring;		/* rows [next - window, next), row y at y mod window */
	uint32_t window, next;
	uint8_t *head, *tail;	/* wrap: the first and the last `halo` rows */
	uint32_t halo;
	uint8_t *whole;		/* interlaced: every row */
	size_t ring_size;	/* bytes of the ring (shared memory: no copy-on-write while
				 * workers that inherited it run) */
	double seconds;		/* time spent decoding */
	bool failed;		/* a decode ahead failed: its message is in err */
	char err[512];
};

/* Opens path, whose header must still be *expect's (the file may have changed since the
 * config was read), for rows in windows of `window` rows, keeping `halo` rows of each
 * end when wrap; an interlaced file is decoded whole if it needs at most `room` bytes.
 * 0, or -1 after reporting. */
int fb_instream_open(struct fb_instream *in, const char *path, const struct fb_image *expect,
		     uint32_t window, uint32_t halo, bool wrap, uint64_t room);

/* Row y (0 <= y < height), decoding up to it; NULL after reporting a broken file. */
const void *fb_instream_row(struct fb_instream *in, uint32_t y);

/* Decodes up to `rows` more rows, none at or past row `upto`: the next strip's, while
 * the workers compute this one (a row still in use is never overwritten as long as
 * upto is at most the current window's start plus the ring). Returns whether rows
 * before upto remain. A failure is kept for fb_instream_row() to report. */
bool fb_instream_ahead(struct fb_instream *in, uint32_t upto, unsigned rows);

void fb_instream_close(struct fb_instream *in);

#endif
