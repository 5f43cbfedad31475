/* png_encode.h: forkband's PNG encoder, cut into row groups that any process can encode.
 *
 * A PNG's pixels are one zlib stream of filtered rows. Here the rows are cut into
 * groups of a fixed size in bytes (FB_PNG_GROUP_BYTES of filtered rows, whole rows,
 * never a function of the worker count), and each group becomes a raw deflate stream of
 * its own: primed with the 32 KiB of filtered bytes before it as a dictionary (so its
 * matches reach back as they would in one stream), ended with Z_SYNC_FLUSH (a byte
 * boundary, no end-of-stream marker), the last with Z_FINISH. The groups laid end to
 * end after a zlib header, with the Adler-32 of the whole combined from the groups'
 * (adler32_combine), are one valid zlib stream. This is the method of pigz and mtpng.
 *
 * Each group's bytes depend only on the image, the settings and the group's index, so
 * the file is the same whichever process encodes which group, in any order: the same
 * bytes for one worker and for 64.
 *
 *   fb_png_groups_init()    plans the groups and maps their output in shared memory;
 *   fb_png_groups_encode()  encodes groups [g0, g1) (in a worker, or in this process);
 *   fb_png_groups_finish()  checks every group, and assembles the file: signature, IHDR
 *                           and text chunks by libpng, the stream as IDAT chunks, IEND;
 *   fb_png_groups_free()    unmaps.
 * io/ forks nothing: app/driver.c runs the encode as a pass of the worker pool.
 */
#ifndef FORKBAND_PNG_ENCODE_H
#define FORKBAND_PNG_ENCODE_H

#include "runtime/compat.h"

#include "image.h"
#include "png_write.h"

/* Filtered bytes per group (whole rows; one row when a row is longer). */
#define FB_PNG_GROUP_BYTES (256u * 1024)

/* Largest IDAT chunk written. */
#define FB_PNG_IDAT_BYTES (1u << 20)

/* One group's result, in shared memory. */
struct fb_png_group {
	uint64_t len;		/* bytes of deflate stream */
	uint32_t adler;		/* Adler-32 of the group's filtered bytes */
	int32_t status;		/* 0 not encoded, 1 done, < 0 a zlib error code */
};

struct fb_png_groups {
	const struct fb_image *img;
	struct fb_png_settings set;
	size_t row_bytes;	/* unfiltered bytes of a row */
	size_t bpp;		/* bytes per complete pixel (filters look this far left) */
	uint32_t group_rows, n;
	int strategy;		/* zlib's: Z_FILTERED for filtered rows, as libpng does */
	/* Shared: group g writes at most cap[g] bytes at zbuf + off[g]. */
	uint8_t *zbuf;
	size_t zbuf_size;
	struct fb_png_group *group;
	size_t group_size;
	size_t *off, *cap;	/* private: the parent's plan, copied into each worker */
};

/* Plans the encode of img (any io/image.h layout; 16-bit samples in host order) and
 * maps the groups' output. Returns 0, or -1 after reporting (what names the file). */
int fb_png_groups_init(struct fb_png_groups *e, const char *what, const struct fb_image *img,
		       const struct fb_png_settings *set);

/* Encodes groups [g0, g1): their results go to e->group[] and e->zbuf. Allocates a few
 * hundred KiB; a failure is recorded in the group's status, not reported here. */
void fb_png_groups_encode(struct fb_png_groups *e, uint32_t g0, uint32_t g1);

/* Once every group is encoded: the whole PNG into *out, with the given text chunks
 * before the image data. Returns 0, or -1 after reporting. */
int fb_png_groups_finish(const struct fb_png_groups *e, const char *what,
			 const struct fb_png_text *text, size_t n_text, struct fb_bytes *out);

void fb_png_groups_free(struct fb_png_groups *e);

#endif
