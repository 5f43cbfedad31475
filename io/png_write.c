/* png_write.c: libpng encoder into memory; libpng errors become one-line messages. */
#include "runtime/compat.h"

#include "png_write.h"

#include "outfile.h"
#include "png_error.h"
#include "runtime/error.h"

#include <png.h>
#include <setjmp.h>
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

int fb_png_encode_rgb(const char *what, uint32_t width, uint32_t height, const uint8_t *rgb,
		      const struct fb_png_text *text, size_t n_text, struct fb_bytes *out)
{
	struct sink s = { .out = out };
	png_structp png;
	png_infop info = NULL;
	png_textp chunks;

	memset(out, 0, sizeof(*out));
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
	png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	for (size_t i = 0; i < n_text; i++) {
		chunks[i].compression = PNG_TEXT_COMPRESSION_NONE;
		chunks[i].key = (png_charp)text[i].key;
		chunks[i].text = (png_charp)text[i].text;
	}
	png_set_text(png, info, chunks, (int)n_text);
	png_write_info(png, info);
	for (uint32_t y = 0; y < height; y++)
		png_write_row(png, rgb + (size_t)y * width * 3);
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	free(chunks);
	return 0;
}

int fb_png_write_rgb(const char *path, uint32_t width, uint32_t height, const uint8_t *rgb,
		     const struct fb_png_text *text, size_t n_text)
{
	struct fb_bytes png;
	char what[600];
	int rc;

	snprintf(what, sizeof(what), "'%s'", path);
	if (fb_png_encode_rgb(what, width, height, rgb, text, n_text, &png) < 0)
		return -1;
	rc = fb_write_bytes(path, png.data, png.len);
	free(png.data);
	return rc;
}
