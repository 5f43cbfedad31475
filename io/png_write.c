/* png_write.c: libpng writer; libpng errors become one-line messages. */
#include "runtime/compat.h"

#include "png_write.h"

#include "outfile.h"
#include "runtime/error.h"

#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

struct errctx {
	const char *path;
	char msg[256];
};

static void on_error(png_structp png, png_const_charp msg)
{
	struct errctx *e = png_get_error_ptr(png);

	snprintf(e->msg, sizeof(e->msg), "%s", msg);
	png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;	/* writing our own well-formed data: nothing a user can act on */
}

int fb_png_write_rgb(const char *path, uint32_t width, uint32_t height, const uint8_t *rgb,
		     const struct fb_png_text *text, size_t n_text)
{
	struct fb_outfile out;
	struct errctx err = { .path = path };
	png_structp png;
	png_infop info = NULL;
	png_textp chunks = NULL;

	if (fb_outfile_open(&out, path) < 0)
		return -1;
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &err, on_error, on_warning);
	if (png)
		info = png_create_info_struct(png);
	chunks = calloc(n_text ? n_text : 1, sizeof(*chunks));
	if (!png || !info || !chunks) {
		png_destroy_write_struct(&png, &info);
		free(chunks);
		fb_outfile_abort(&out);
		return fb_error("out of memory writing '%s'", path);
	}
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		free(chunks);
		fb_outfile_abort(&out);
		return fb_error("cannot write '%s': %s", path, err.msg);
	}
	png_init_io(png, out.f);
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
	return fb_outfile_commit(&out);
}
