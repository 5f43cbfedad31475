/* png_error.h: libpng's error and warning callbacks, shared by the reader and the
 * writer: an error's text is kept for a one-line message, then libpng unwinds to the
 * caller's setjmp. */
#ifndef FORKBAND_PNG_ERROR_H
#define FORKBAND_PNG_ERROR_H

#include "runtime/compat.h"

#include <png.h>

/* The error pointer given to libpng must point at this struct, or at a struct whose
 * first member it is. */
struct fb_png_error {
	char msg[256];
};

void fb_png_on_error(png_structp png, png_const_charp msg);

/* Warnings are dropped: what libpng warns about is recoverable, and forkband reports
 * only what stops it. */
void fb_png_on_warning(png_structp png, png_const_charp msg);

#endif
