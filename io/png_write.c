/* png_write.c: PNG output. libpng writes the chunks before the image data for
 * forkband's encoder (io/png_encode.c), and whole files as the reference encoder;
 * libpng errors become one-line messages. */
#include "runtime/compat.h"

#include "png_write.h"

#include "outfile.h"
#include "png_encode.h"
#include "png_error.h"
#include "runtime/error.h"

#include <inttypes.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libpng's error pointer: the error text first (struct fb_png_error), then where the
 * encoded bytes go. */
struct sink {
	struct fb_png_error err;
	struct fb_bytes *out;
};

static void on_write(png_structp png, png_bytep data, size_t len)
{
	struct sink *s = png_get_error_ptr(png);
	struct fb_bytes *b = s->out;

	if (len > b->cap - b->len) {
		size_t cap = b->cap ? b->cap : 1 << 16;
		uint8_t *bigger;

		while (len > cap - b->len) {
			if (cap > SIZE_MAX / 2)
				png_error(png, "image too large");
			cap *= 2;
		}
		bigger = realloc(b->data, cap);
		if (!bigger)
			png_error(png, "out of memory");
		b->data = bigger;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
}

static void on_flush(png_structp png)
{
	(void)png;
}

const char *const fb_png_filter_names[] = { "none", "sub", "up", "avg", "paeth", "adaptive",
					    NULL };

const char *const fb_png_deflate_names[] = { "libdeflate", "zlib", NULL };

int fb_png_max_level(enum fb_png_deflate deflate)
{
	return deflate == FB_PNG_DEFLATE_ZLIB ? 9 : 12;
}

static const struct fb_png_settings defaults = FB_PNG_DEFAULTS;

/* libpng's encode of img: only the chunks before the image data when header_only, else
 * the whole file at set's level and filter. */
static int libpng_encode(const char *what, const struct fb_image *img,
			 const struct fb_png_text *text, size_t n_text,
			 const struct fb_png_settings *set, bool header_only, struct fb_bytes *out)
{
	static const int color_type[] = { PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
					  PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA };
	static const int filter_mask[] = { PNG_FILTER_NONE, PNG_FILTER_SUB, PNG_FILTER_UP,
					   PNG_FILTER_AVG, PNG_FILTER_PAETH, PNG_ALL_FILTERS };
	struct sink s = { .out = out };
	png_structp png;
	png_infop info = NULL;
	png_textp chunks;
	size_t row, total;

	memset(out, 0, sizeof(*out));
	if (img->channels < 1 || img->channels > 4 || (img->depth != 8 && img->depth != 16))
		return fb_error("cannot encode %s: unsupported layout (%u channels of %u bits)",
				what, img->channels, img->depth);
	if (!img->width || !img->height || img->width > PNG_UINT_31_MAX ||
	    img->height > PNG_UINT_31_MAX)
		return fb_error("cannot encode %s: a PNG cannot be %" PRIu32 "x%" PRIu32
				" pixels", what, img->width, img->height);
	if (!fb_image_sizes(img->width, img->height, img->channels, img->depth, &row, &total))
		return fb_error("cannot encode %s: image too large", what);
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &s, fb_png_on_error,
				      fb_png_on_warning);
	if (png)
		info = png_create_info_struct(png);
	chunks = calloc(n_text ? n_text : 1, sizeof(*chunks));
	if (!png || !info || !chunks) {
		png_destroy_write_struct(&png, &info);
		free(chunks);
		return fb_error("out of memory encoding %s", what);
	}
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		free(chunks);
		free(out->data);
		memset(out, 0, sizeof(*out));
		return fb_error("cannot encode %s: %s", what, s.err.msg);
	}
	png_set_write_fn(png, &s, on_write, on_flush);
	/* Any size PNG allows, rather than libpng's default of 1000000 (a reader's guard). */
	png_set_user_limits(png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);
	png_set_IHDR(png, info, img->width, img->height, (int)img->depth,
		     color_type[img->channels - 1], PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	for (size_t i = 0; i < n_text; i++) {
		chunks[i].compression = PNG_TEXT_COMPRESSION_NONE;
		chunks[i].key = (png_charp)text[i].key;
		chunks[i].text = (png_charp)text[i].text;
	}
	png_set_text(png, info, chunks, (int)n_text);
	if (!header_only) {
		png_set_compression_level(png, set->level > 9 ? 9 : set->level);
		png_set_filter(png, PNG_FILTER_TYPE_BASE, filter_mask[set->filter]);
	}
	png_write_info(png, info);
	if (!header_only) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		if (img->depth == 16)
			png_set_swap(png);	/* PNG's samples are big-endian */
#endif
		for (uint32_t y = 0; y < img->height; y++)
			png_write_row(png, (png_const_bytep)img->data + (size_t)y * row);
		png_write_end(png, NULL);
	}
	png_destroy_write_struct(&png, &info);
	free(chunks);
	return 0;
}

int fb_png_encode_header(const char *what, const struct fb_image *img,
			 const struct fb_png_text *text, size_t n_text, struct fb_bytes *out)
{
	return libpng_encode(what, img, text, n_text, &defaults, true, out);
}

int fb_png_encode_libpng(const char *what, const struct fb_image *img,
			 const struct fb_png_text *text, size_t n_text,
			 const struct fb_png_settings *set, struct fb_bytes *out)
{
	return libpng_encode(what, img, text, n_text, set ? set : &defaults, false, out);
}

int fb_png_encode(const char *what, const struct fb_image *img, const struct fb_png_text *text,
		  size_t n_text, const struct fb_png_settings *set, struct fb_bytes *out)
{
	struct fb_png_groups e;
	int rc;

	memset(out, 0, sizeof(*out));
	if (fb_png_groups_init(&e, what, img, set ? set : &defaults) < 0)
		return -1;
	fb_png_groups_encode(&e, 0, e.n);
	rc = fb_png_groups_finish(&e, what, text, n_text, out);
	fb_png_groups_free(&e);
	return rc;
}

int fb_png_encode_image(const char *what, const struct fb_image *img,
			const struct fb_png_text *text, size_t n_text, struct fb_bytes *out)
{
	return fb_png_encode(what, img, text, n_text, NULL, out);
}

int fb_png_write_image(const char *path, const struct fb_image *img,
		       const struct fb_png_text *text, size_t n_text)
{
	struct fb_bytes png;
	char what[600];
	int rc;

	snprintf(what, sizeof(what), "'%s'", path);
	if (fb_png_encode_image(what, img, text, n_text, &png) < 0)
		return -1;
	rc = fb_write_bytes(path, png.data, png.len);
	free(png.data);
	return rc;
}

/* An RGB 8-bit image over the caller's pixels, which are only read. */
static struct fb_image rgb_image(uint32_t width, uint32_t height, const uint8_t *rgb)
{
	return (struct fb_image){ .width = width, .height = height, .channels = 3, .depth = 8,
				  .data = (void *)rgb };
}

int fb_png_encode_rgb(const char *what, uint32_t width, uint32_t height, const uint8_t *rgb,
		      const struct fb_png_text *text, size_t n_text, struct fb_bytes *out)
{
	struct fb_image img = rgb_image(width, height, rgb);

	return fb_png_encode_image(what, &img, text, n_text, out);
}

int fb_png_write_rgb(const char *path, uint32_t width, uint32_t height, const uint8_t *rgb,
		     const struct fb_png_text *text, size_t n_text)
{
	struct fb_image img = rgb_image(width, height, rgb);

	return fb_png_write_image(path, &img, text, n_text);
}
