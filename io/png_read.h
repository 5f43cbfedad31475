/* png_read.h: reading PNG files: the image, normalised to io/image.h's layouts, and the
 * text that forkband wrote into one. */
#ifndef FORKBAND_PNG_READ_H
#define FORKBAND_PNG_READ_H

#include "runtime/compat.h"

#include "image.h"

/* The most decoded image bytes the reader accepts by default: 2 GiB. */
#define FB_PNG_DEFAULT_MAX_BYTES ((uint64_t)1 << 31)

/* Limits against decompression bombs: a small file may claim a huge image. */
struct fb_png_limits {
	uint64_t max_bytes;	      /* decoded image bytes; 0: FB_PNG_DEFAULT_MAX_BYTES */
	uint32_t max_width, max_height; /* 0: libpng's default, 1000000 */
	bool header_only;	      /* read the header only: *out gets the size and layout
				       * the pixels would have, with data NULL */
};

/* True if path is a regular file that starts with the PNG signature (false if
 * unreadable, and for pipes and devices, which are not read at all). */
bool fb_is_png_file(const char *path);

/* Reads the PNG at path (a regular file, a pipe or a device: it is read once, in
 * order) into *out, normalised as io/image.h describes: palettes to RGB, or RGBA when
 * there is a tRNS chunk; gray of 1, 2 or 4 bits to 8 bits (scaled to 0..255); a tRNS
 * chunk on gray or RGB to an alpha channel of the image's depth; 16-bit samples in
 * host byte order; interlaced images deinterlaced; no gamma or colour conversion.
 * limits may be NULL for the defaults. The image is refused before its pixels are
 * allocated when it would need more than limits->max_bytes. Returns 0 with *out
 * filled (free it with fb_image_free()), or -1 with *out zeroed after reporting one
 * line: `in.png: not a PNG file`, `in.png: IDAT: CRC error`, `in.png: truncated file`,
 * `in.png: a 100000x100000 image needs 37.3 GiB decoded, above the limit of 2.0 GiB`,
 * or libpng's own words for whatever else is wrong with the file. */
int fb_png_read_image(const char *path, const struct fb_png_limits *limits,
		      struct fb_image *out);

/* Row by row, for streaming: opens the PNG at path and reads its header into *header
 * (data NULL; the layout as fb_png_read_image() normalises it), and whether it is
 * interlaced (Adam7: its rows cannot be read one by one; read it whole instead).
 * fb_png_rows_read() then decodes the next row into row (the header's row bytes); the
 * last read also checks the rest of the file. Each returns 0, or -1 after reporting as
 * fb_png_read_image() does (a reader that failed can only be closed). */
struct fb_png_rows;
int fb_png_rows_open(const char *path, struct fb_png_rows **out, struct fb_image *header,
		     bool *interlaced);
int fb_png_rows_read(struct fb_png_rows *r, void *row);
void fb_png_rows_close(struct fb_png_rows *r);

/* Frees what fb_png_read_image() filled in and zeroes *img; safe on a zeroed image. */
void fb_image_free(struct fb_image *img);

/* The text of the first tEXt/zTXt/iTXt chunk called key, read from the chunks before
 * the image data, as a malloc()ed string. Returns 0, or -1 after reporting (`x.png: no
 * forkband:config text chunk`, or libpng's complaint about a broken file). */
int fb_png_read_text(const char *path, const char *key, char **out);

#endif
