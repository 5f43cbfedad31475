/* png_read.c: the header chunks of a PNG, with libpng errors turned into messages. */
#include "runtime/compat.h"

#include "png_read.h"

#include "png_error.h"

#include "runtime/error.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

bool fb_is_png_file(const char *path)
{
	unsigned char sig[8];
	struct stat st;
	FILE *f = stat(path, &st) == 0 && S_ISREG(st.st_mode) ? fopen(path, "rb") : NULL;
	bool is = f && fread(sig, 1, 8, f) == 8 && png_sig_cmp(sig, 0, 8) == 0;

	if (f)
		fclose(f);
	return is;
}

int fb_png_read_text(const char *path, const char *key, char **out)
{
	struct fb_png_error err = { "" };
	png_structp png;
	png_infop info = NULL;
	png_textp text;
	FILE *f;
	int n = 0, rc;
	bool found = false;

	*out = NULL;
	f = fopen(path, "rb");
	if (!f)
		return fb_error_errno("cannot open '%s'", path);
	png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &err, fb_png_on_error,
				     fb_png_on_warning);
	if (png)
		info = png_create_info_struct(png);
	if (!png || !info) {
		png_destroy_read_struct(&png, &info, NULL);
		fclose(f);
		return fb_error("out of memory reading '%s'", path);
	}
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_read_struct(&png, &info, NULL);
		fclose(f);
		free(*out);
		*out = NULL;
		return fb_error("%s: %s", path, err.msg);
	}
	png_init_io(png, f);
	png_read_info(png, info);
	png_get_text(png, info, &text, &n);
	for (int i = 0; i < n; i++) {
		if (strcmp(text[i].key, key) == 0) {
			found = true;
			*out = strdup(text[i].text ? text[i].text : "");
			break;
		}
	}
	if (!found)
		rc = fb_error("%s: no %s text chunk (was it written by forkband?)", path, key);
	else if (!*out)
		rc = fb_error("out of memory");
	else
		rc = 0;
	png_destroy_read_struct(&png, &info, NULL);
	fclose(f);
	return rc;
}
