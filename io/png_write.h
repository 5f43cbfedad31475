/* png_write.h: PNG output of any of io/image.h's layouts: forkband's own encoder (the
 * row groups of io/png_encode.h, here in one process) and libpng's, the reference that
 * tests and benchmarks compare it with. */
#ifndef FORKBAND_PNG_WRITE_H
#define FORKBAND_PNG_WRITE_H

#include "runtime/compat.h"

#include "image.h"

/* A tEXt chunk. Keywords are 1-79 printable Latin-1 characters. */
struct fb_png_text {
	const char *key;
	const char *text;
};

/* PNG row filters (the filter type byte is the index, up to paeth) and the adaptive
 * choice of one per row: the filter whose output has the least sum of absolute values
 * (bytes read as signed), libpng's heuristic, the first of equal sums. */
enum fb_png_filter {
	FB_PNG_FILTER_NONE,
	FB_PNG_FILTER_SUB,
	FB_PNG_FILTER_UP,
	FB_PNG_FILTER_AVG,
	FB_PNG_FILTER_PAETH,
	FB_PNG_FILTER_ADAPTIVE,
};

/* "none", "sub", "up", "avg", "paeth", "adaptive"; NULL-terminated. */
extern const char *const fb_png_filter_names[];

/* Which deflate compresses the rows: libdeflate (whole buffers, faster at the same
 * ratio; levels 0-12) or zlib (levels 0-9, each group primed with the 32 KiB before it). */
enum fb_png_deflate {
	FB_PNG_DEFLATE_LIBDEFLATE,
	FB_PNG_DEFLATE_ZLIB,
};

/* "libdeflate", "zlib"; NULL-terminated. */
extern const char *const fb_png_deflate_names[];

/* The highest level of each deflate. */
int fb_png_max_level(enum fb_png_deflate deflate);

/* How the pixels are compressed: the deflate, its level and the row filter. The
 * defaults were chosen by measurement (docs/performance.md, "Deflate"). */
struct fb_png_settings {
	int level;
	enum fb_png_filter filter;
	enum fb_png_deflate deflate;
};

#define FB_PNG_DEFAULT_LEVEL 7
#define FB_PNG_DEFAULT_FILTER FB_PNG_FILTER_ADAPTIVE
#define FB_PNG_DEFAULT_DEFLATE FB_PNG_DEFLATE_LIBDEFLATE
#define FB_PNG_DEFAULTS { FB_PNG_DEFAULT_LEVEL, FB_PNG_DEFAULT_FILTER, FB_PNG_DEFAULT_DEFLATE }

/* A growable byte buffer: the encoded file. Free data with free(). */
struct fb_bytes {
	uint8_t *data;
	size_t len, cap;
};

/* Encodes img, in any of io/image.h's eight layouts (16-bit samples in host order), as
 * a non-interlaced PNG in memory of the matching colour type and depth (gray, gray+alpha,
 * RGB or RGBA, 8 or 16 bits), with the given text chunks before the image data, by
 * forkband's encoder in this process with the given settings (NULL: the defaults). The
 * bytes depend only on the pixels, the layout, the settings and the texts: they are
 * those of the same image encoded by any number of workers. Returns 0 with *out filled,
 * or -1 after reporting (what names the file or purpose in the message). */
int fb_png_encode(const char *what, const struct fb_image *img, const struct fb_png_text *text,
		  size_t n_text, const struct fb_png_settings *set, struct fb_bytes *out);

/* fb_png_encode() with the default settings. */
int fb_png_encode_image(const char *what, const struct fb_image *img,
			const struct fb_png_text *text, size_t n_text, struct fb_bytes *out);

/* The same PNG encoded serially by libpng (png_write_row) with zlib, at the same level
 * (9 for the levels above) and filter: the reference for tests and benchmarks. Its pixels decode the same; its bytes differ
 * (one deflate stream, 8 KiB IDAT chunks). */
int fb_png_encode_libpng(const char *what, const struct fb_image *img,
			 const struct fb_png_text *text, size_t n_text,
			 const struct fb_png_settings *set, struct fb_bytes *out);

/* The signature, IHDR and text chunks of img's PNG, by libpng: what comes before the
 * image data. Checks the layout and size as fb_png_encode() does. */
int fb_png_encode_header(const char *what, const struct fb_image *img,
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
