/* outfile.h: write a file whole or not at all.
 *
 * Output goes to a hidden temporary file in the destination's folder (so the final
 * rename(2) is atomic: same file system), is flushed and fsync()ed, and only then
 * renamed over the destination. Where the file system allows (O_TMPFILE, and /proc to
 * link it), the file has no name at all until it is finished, so that a process
 * killed while writing (SIGKILL included) leaves nothing behind. On any failure, or if the caller aborts, the temporary
 * file is removed and an existing file at the destination is left as it was.
 *
 * Not every output is a file that can be replaced: "-" means standard output, and an
 * existing path that is not a regular file (/dev/stdout, /dev/null, a FIFO) is opened
 * and written directly. Such an output is "direct": no temporary file, no rename, no
 * fsync; what was written before a failure or an interrupt has reached the reader and
 * cannot be taken back (docs/decisions.md).
 */
#ifndef FORKBAND_OUTFILE_H
#define FORKBAND_OUTFILE_H

#include "runtime/compat.h"

#include <stdio.h>

struct fb_outfile {
	FILE *f;		/* write here */
	char *path;		/* the destination */
	char *tmp;		/* the temporary file (while unnamed: the name it will get) */
	bool unnamed;		/* an O_TMPFILE not yet linked to tmp */
	bool direct;		/* written in place: standard output, a device, a FIFO */
};

/* Whether an output at path is written directly (see above): "-", or an existing path
 * (through links) that is neither a regular file nor a folder. */
bool fb_output_is_direct(const char *path);

/* Where an output at path really goes: path itself, or, when path is a symbolic link,
 * the file it names, so that the temporary file and the rename land beside the real
 * file and the link survives. malloc()ed; NULL after reporting (a link to nothing). */
char *fb_output_target(const char *path);

/* Removes the temporary files of the outputs being written (up to 8 at once), and says
 * whether there was one. Async-signal-safe: for a handler of SIGINT and the like,
 * before it ends the process. */
bool fb_outfile_remove_active(void);

/* Creates the temporary file, with the mode (and, where this process may, the owner)
 * of the file it will replace, else 0666 less the umask. The terminating signals are
 * blocked while it is created and recorded for fb_outfile_remove_active(). Returns 0,
 * or -1 after reporting. */
int fb_outfile_open(struct fb_outfile *o, const char *path);

/* Flushes, syncs and closes the temporary file, which stays in place (and recorded)
 * until fb_outfile_rename() or fb_outfile_abort(): so that a job's outputs can all be
 * written before any is renamed. 0, or -1 after reporting (o is then released). */
int fb_outfile_finish(struct fb_outfile *o);

/* Finishes if need be, then renames into place and syncs the folder. Before the rename
 * it blocks the terminating signals (SIGINT, SIGTERM, SIGHUP, SIGALRM) as
 * fb_outfile_hold() does, and leaves them blocked: whoever ends the output step
 * decides when an interrupt may land again (fb_outfile_release()), so that an
 * interrupt can never report a run as stopped once its outputs are in place. Returns
 * 0, or -1 after reporting (the temporary file is then removed). Either way o is
 * released. */
int fb_outfile_rename(struct fb_outfile *o);

/* fb_outfile_rename(), then the terminating signals are let in again unless they were
 * held before: a file written on its own leaves nothing blocked, one written inside a
 * job's output step (a report) keeps the step's hold. */
int fb_outfile_commit(struct fb_outfile *o);

/* Blocks the terminating signals until fb_outfile_release(); a second hold is a no-op. */
void fb_outfile_hold(void);

/* Lets the terminating signals in again (one that arrived meanwhile lands now). */
void fb_outfile_release(void);

/* Removes the temporary file and releases o. Safe on a zeroed or released o. */
void fb_outfile_abort(struct fb_outfile *o);

/* Writes len bytes to a new temporary file for path, finished but not renamed: for
 * fb_outfile_rename() or fb_outfile_abort(). 0, or -1 after reporting. */
int fb_outfile_prepare_bytes(struct fb_outfile *o, const char *path, const void *data,
			     size_t len);

/* Writes len bytes to path, whole or not at all, through fb_outfile_commit(). 0, or -1
 * after reporting. */
int fb_write_bytes(const char *path, const void *data, size_t len);

/* Writes text and a final newline to path, as fb_write_bytes() does. */
int fb_write_text(const char *path, const char *text);

#endif
