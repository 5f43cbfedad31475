/* png_read.h: reading back what forkband wrote into a PNG. */
#ifndef FORKBAND_PNG_READ_H
#define FORKBAND_PNG_READ_H

#include "runtime/compat.h"

/* True if path is a regular file that starts with the PNG signature (false if
 * unreadable, and for pipes and devices, which are not read at all). */
bool fb_is_png_file(const char *path);

/* The text of the first tEXt/zTXt/iTXt chunk called key, read from the chunks before
 * the image data, as a malloc()ed string. Returns 0, or -1 after reporting (`x.png: no
 * forkband:config text chunk`, or libpng's complaint about a broken file). */
int fb_png_read_text(const char *path, const char *key, char **out);

#endif
