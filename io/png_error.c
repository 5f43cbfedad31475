/* png_error.c: the libpng callbacks of png_error.h. */
#include "runtime/compat.h"

#include "png_error.h"

#include <stdio.h>

void fb_png_on_error(png_structp png, png_const_charp msg)
{
	struct fb_png_error *e = png_get_error_ptr(png);

	snprintf(e->msg, sizeof(e->msg), "%s", msg);
	png_longjmp(png, 1);
}

void fb_png_on_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}
