/* png_write.h: 8-bit RGB PNG output with libpng. */
#ifndef FORKBAND_PNG_WRITE_H
#define FORKBAND_PNG_WRITE_H

#include "runtime/compat.h"

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

/* Encodes width x height RGB pixels (row-major, 3 bytes each) as a PNG in memory, with
 * the given text chunks before the image data. The bytes depend only on the pixels
 * and the texts. Returns 0 with *out filled, or -1 after reporting (what names the
 * file or purpose in the message). */
int fb_png_encode_rgb(const char *what, uint32_t width, uint32_t height, const uint8_t *rgb,
		      const struct fb_png_text *text, size_t n_text, struct fb_bytes *out);

/* Encodes as above and writes the result to path. */
int fb_png_write_rgb(const char *path, uint32_t width, uint32_t height, const uint8_t *rgb,
		     const struct fb_png_text *text, size_t n_text);

#endif
