/* png_encode.h: forkband's PNG encoder, cut into row groups that any process can encode.
 *
 * A PNG's pixels are one zlib stream of filtered rows. Here the rows are cut into
 * groups of a fixed size in bytes (FB_PNG_GROUP_BYTES of filtered rows, whole rows,
 * never a function of the worker count), and each group becomes a raw deflate stream of
 * its own, ended on a byte boundary with no end-of-stream marker (the last group ends
 * the stream). With libdeflate (the default) the group is compressed alone, and its
 * final block is made non-final and followed by an empty stored block
 * (io/deflate_blocks.h finds that block); with zlib it is primed with the 32 KiB of
 * filtered bytes before it as a dictionary (so its matches reach back as they would in
 * one stream) and ended with Z_SYNC_FLUSH, the last with Z_FINISH. The groups laid end
 * to end after a zlib header, with the Adler-32 of the whole combined from the groups'
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
 *
 * Streaming (app/pipeline.c): the image's rows may live in a ring of `ring_rows` rows
 * (row y at y mod ring_rows) and the groups' output in a ring of `slots` slots (group g
 * in slot g mod slots), and the file is appended group by group as groups are encoded
 * (struct fb_png_stream), to a file or to memory. Group g reads rows
 * fb_png_group_first_row(g) to its last: its own and the 32 KiB of rows before them
 * (zlib's dictionary; libdeflate reads only the row above its first, but the ring is
 * sized for either).
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
	uint32_t ring_rows;	/* 0: img->data holds every row; else a ring of this many */
	uint32_t slots;		/* 0: a slot per group; else a ring of this many slots */
	uint32_t dict_rows;	/* rows of the 32 KiB before a group */
	/* Shared: group g writes at most slot_cap bytes at zbuf + its slot * slot_cap. */
	uint8_t *zbuf;
	size_t zbuf_size, slot_cap;
	struct fb_png_group *group;
	size_t group_size;
};

/* Plans the encode of img (any io/image.h layout; 16-bit samples in host order) and
 * maps the groups' output. Returns 0, or -1 after reporting (what names the file). */
int fb_png_groups_init(struct fb_png_groups *e, const char *what, const struct fb_image *img,
		       const struct fb_png_settings *set);

/* As fb_png_groups_init() for streaming: img->data is a ring of ring_rows rows (at
 * least fb_png_ring_min() rows more than the rows written while groups are encoded)
 * and the output a ring of `slots` slots (0 for either: whole). */
int fb_png_groups_init_ring(struct fb_png_groups *e, const char *what,
			    const struct fb_image *img, const struct fb_png_settings *set,
			    uint32_t ring_rows, uint32_t slots);

/* Rows per group and rows of the 32 KiB before a group, for rows of row_bytes. */
void fb_png_group_shape(size_t row_bytes, uint32_t *group_rows, uint32_t *dict_rows);

/* Bytes one output slot needs for groups of rows of row_bytes. */
size_t fb_png_slot_bytes(size_t row_bytes);

/* The first row group g reads (filtering its 32 KiB dictionary needs the row before). */
uint32_t fb_png_group_first_row(const struct fb_png_groups *e, uint32_t g);

/* One past the last row of group g. */
uint32_t fb_png_group_end_row(const struct fb_png_groups *e, uint32_t g);

/* Where group g's compressed bytes are (at most e->slot_cap of them): written by
 * fb_png_groups_encode(), or by a caller that brings a group encoded elsewhere (an MPI
 * rank's) and fills e->group[g] to match. */
uint8_t *fb_png_group_slot(const struct fb_png_groups *e, uint32_t g);

/* Encodes groups [g0, g1): their results go to e->group[] and e->zbuf. Allocates a few
 * hundred KiB; a failure is recorded in the group's status, not reported here. */
void fb_png_groups_encode(struct fb_png_groups *e, uint32_t g0, uint32_t g1);

/* Once every group is encoded: the whole PNG into *out, with the given text chunks
 * before the image data. Returns 0, or -1 after reporting. */
int fb_png_groups_finish(const struct fb_png_groups *e, const char *what,
			 const struct fb_png_text *text, size_t n_text, struct fb_bytes *out);

void fb_png_groups_free(struct fb_png_groups *e);

/* The file, appended as its groups are encoded: begin() writes the header, append()
 * the groups up to (not including) g1 in order, end() the stream's tail and IEND. Each
 * calls put(sink, bytes, n), which returns 0 or -1 after reporting. The bytes are those
 * of fb_png_groups_finish(). */
struct fb_png_stream {
	const struct fb_png_groups *e;
	const char *what;
	int (*put)(void *sink, const void *p, size_t n);
	void *sink;
	uint8_t *chunk;		/* the IDAT chunk being filled: length, type, data */
	size_t in_chunk;	/* data bytes in it */
	unsigned long adler;	/* of the filtered bytes of the groups appended */
	uint32_t next;		/* the next group to append */
	uint64_t written;	/* bytes put so far */
};

int fb_png_stream_begin(struct fb_png_stream *s, const struct fb_png_groups *e, const char *what,
			const struct fb_png_text *text, size_t n_text,
			int (*put)(void *sink, const void *p, size_t n), void *sink);
int fb_png_stream_append(struct fb_png_stream *s, uint32_t g1);
int fb_png_stream_end(struct fb_png_stream *s);
void fb_png_stream_free(struct fb_png_stream *s);

#endif
