/* png_write.h: PNG output with libpng, of any of io/image.h's layouts. */
#ifndef FORKBAND_PNG_WRITE_H
#define FORKBAND_PNG_WRITE_H

#include "runtime/compat.h"

#include "image.h"

/* A tEXt chunk. Keywords are 1-79 printable Latin-1 characters. */
struct fb_png_text {
	const char *key;
	const char *text;
};

/* A growable byte buffer: the encoded file. Free data with free(). */
struct fb_bytes {
	uint8_t *data;
	size_t len, cap;
};

/* Encodes img, in any of io/image.h's eight layouts (16-bit samples in host order), as
 * a non-interlaced PNG in memory of the matching colour type and depth (gray, gray+alpha,
 * RGB or RGBA, 8 or 16 bits), with the given text chunks before the image data. The
 * bytes depend only on the pixels, the layout and the texts. Returns 0 with *out
 * filled, or -1 after reporting (what names the file or purpose in the message). */
int fb_png_encode_image(const char *what, const struct fb_image *img,
			const struct fb_png_text *text, size_t n_text, struct fb_bytes *out);

/* Encodes as above and writes the result to path, whole or not at all. */
int fb_png_write_image(const char *path, const struct fb_image *img,
		       const struct fb_png_text *text, size_t n_text);

/* fb_png_encode_image() of width x height 8-bit RGB pixels (row-major, 3 bytes each). */
int fb_png_encode_rgb(const char *what, uint32_t width, uint32_t height, const uint8_t *rgb,
		      const struct fb_png_text *text, size_t n_text, struct fb_bytes *out);

/* fb_png_write_image() of width x height 8-bit RGB pixels. */
int fb_png_write_rgb(const char *path, uint32_t width, uint32_t height, const uint8_t *rgb,
		     const struct fb_png_text *text, size_t n_text);

#endif
