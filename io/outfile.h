/* outfile.h: write a file whole or not at all.
 *
 * Output goes to a hidden temporary file in the destination's folder (so the final
 * rename(2) is atomic: same file system), is flushed and fsync()ed, and only then
 * renamed over the destination. On any failure, or if the caller aborts, the temporary
 * file is removed and an existing file at the destination is left as it was.
 */
#ifndef FORKBAND_OUTFILE_H
#define FORKBAND_OUTFILE_H

#include "runtime/compat.h"

#include <stdio.h>

struct fb_outfile {
	FILE *f;		/* write here */
	char *path;		/* the destination */
	char *tmp;		/* the temporary file */
};

/* Creates the temporary file. Returns 0, or -1 after reporting. */
int fb_outfile_open(struct fb_outfile *o, const char *path);

/* Flushes, syncs and renames into place. Returns 0, or -1 after reporting (the
 * temporary file is then removed). Either way o is released. */
int fb_outfile_commit(struct fb_outfile *o);

/* Removes the temporary file and releases o. Safe on a zeroed or released o. */
void fb_outfile_abort(struct fb_outfile *o);

#endif
