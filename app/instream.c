/* instream.c: the read stage (instream.h says what it holds and why). */
#include "runtime/compat.h"

#include "instream.h"

#include "io/png_read.h"
#include "runtime/error.h"
#include "runtime/pool.h"
#include "runtime/shared_mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int open_reader(struct fb_instream *in, bool *interlaced)
{
	struct fb_image hdr;

	if (fb_png_rows_open(in->path, &in->rd, &hdr, interlaced) < 0)
		return -1;
	if (in->hdr.width && (hdr.width != in->hdr.width || hdr.height != in->hdr.height ||
			      hdr.channels != in->hdr.channels || hdr.depth != in->hdr.depth))
		return fb_error("%s: the file changed while it was read", in->path);
	in->hdr = hdr;
	fb_image_sizes(hdr.width, 1, hdr.channels, hdr.depth, &in->row, NULL);
	return 0;
}

/* Wrap: the last rows, from a decode of the whole file, and the first ones on the way. */
static int read_ends(struct fb_instream *in)
{
	uint8_t *row = malloc(in->row);
	uint32_t h = in->hdr.height;
	bool interlaced;
	int rc = 0;

	if (!row)
		return fb_error("out of memory");
	for (uint32_t y = 0; y < h && rc == 0; y++) {
		uint8_t *to = y >= h - in->halo ? in->tail + (size_t)(y - (h - in->halo)) * in->row
						: row;

		rc = fb_png_rows_read(in->rd, to);
		if (rc == 0 && y < in->halo)
			memcpy(in->head + (size_t)y * in->row, to, in->row);
	}
	free(row);
	fb_png_rows_close(in->rd);
	in->rd = NULL;
	return rc < 0 ? -1 : open_reader(in, &interlaced);
}

int fb_instream_open(struct fb_instream *in, const char *path, const struct fb_image *expect,
		     uint32_t window, uint32_t halo, bool wrap, uint64_t room)
{
	uint64_t t0 = fb_now_ns();
	bool interlaced;
	size_t total = 0;
	int rc = -1;

	memset(in, 0, sizeof(*in));
	in->path = path;
	/* The kernel was sized from the header the config read: a file replaced since
	 * (a batch runs for minutes) is refused, not read past its rows. */
	in->hdr = *expect;
	in->hdr.data = NULL;
	if (open_reader(in, &interlaced) < 0)
		goto out;
	if (interlaced) {
		char need[32], have[32];

		fb_image_sizes(in->hdr.width, in->hdr.height, in->hdr.channels, in->hdr.depth,
			       NULL, &total);
		fb_png_rows_close(in->rd);
		in->rd = NULL;
		if (total > room) {
			fb_format_size(need, sizeof(need), (double)total);
			fb_format_size(have, sizeof(have), (double)room);
			fb_error("%s: an interlaced (Adam7) PNG cannot be read row by row, and "
				 "decoded whole it needs %s, more than the %s the memory budget "
				 "leaves (raise --memory, or save it without interlacing)",
				 path, need, have);
			goto out;
		}
		{
			struct fb_image img;
			struct fb_png_limits lim = { .max_bytes = total ? total : 1 };

			if (fb_png_read_image(path, &lim, &img) < 0)
				goto out;
			in->whole = img.data;
		}
		rc = 0;
		goto out;
	}
	if (window > in->hdr.height)
		window = in->hdr.height;
	if (wrap && halo > in->hdr.height)
		halo = in->hdr.height;
	in->window = window;
	in->halo = wrap ? halo : 0;
	in->ring_size = (size_t)window * in->row;
	in->ring = shared_malloc_or_error(in->ring_size ? in->ring_size : 1);
	if (in->halo) {
		in->head = malloc((size_t)in->halo * in->row);
		in->tail = malloc((size_t)in->halo * in->row);
	}
	if (!in->ring || (in->halo && (!in->head || !in->tail))) {
		fb_error("out of memory for %u rows of '%s'", window + 2 * in->halo, path);
		goto out;
	}
	rc = in->halo ? read_ends(in) : 0;
out:
	in->seconds += (double)(fb_now_ns() - t0) / 1e9;
	return rc;
}

const void *fb_instream_row(struct fb_instream *in, uint32_t y)
{
	uint32_t h = in->hdr.height;
	uint64_t t0;
	int rc = 0;

	if (in->whole)
		return in->whole + (size_t)y * in->row;
	if (in->halo && y < in->halo && y + in->window < in->next)
		return in->head + (size_t)y * in->row;
	if (in->halo && y >= h - in->halo && y >= in->next)
		return in->tail + (size_t)(y - (h - in->halo)) * in->row;
	if (in->failed) {
		fb_error("%s", in->err);
		return NULL;
	}
	t0 = fb_now_ns();
	while (in->next <= y && rc == 0)
		rc = fb_png_rows_read(in->rd, in->ring + (size_t)(in->next++ % in->window) * in->row);
	in->seconds += (double)(fb_now_ns() - t0) / 1e9;
	if (rc < 0)
		return NULL;
	if (y + in->window < in->next)
		FB_BUG("row %u of '%s' asked for after row %u", y, in->path, in->next - 1);
	return in->ring + (size_t)(y % in->window) * in->row;
}

bool fb_instream_ahead(struct fb_instream *in, uint32_t upto, unsigned rows)
{
	uint64_t t0 = fb_now_ns();
	struct fb_error_capture cap;

	if (in->whole || in->failed || !in->rd)
		return false;
	if (upto > in->hdr.height)
		upto = in->hdr.height;
	fb_error_capture_begin(&cap);
	for (; rows > 0 && in->next < upto; rows--) {
		if (fb_png_rows_read(in->rd, in->ring + (size_t)(in->next % in->window) * in->row) < 0) {
			in->failed = true;
			snprintf(in->err, sizeof(in->err), "%s", cap.msg);
			break;
		}
		in->next++;
	}
	fb_error_capture_end(&cap);
	in->seconds += (double)(fb_now_ns() - t0) / 1e9;
	return !in->failed && in->next < upto;
}

void fb_instream_close(struct fb_instream *in)
{
	fb_png_rows_close(in->rd);
	shared_free(in->ring, in->ring_size ? in->ring_size : 1);
	free(in->head);
	free(in->tail);
	free(in->whole);
	memset(in, 0, sizeof(*in));
}
