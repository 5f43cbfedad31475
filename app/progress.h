/* progress.h: the live progress bar on stderr, and the one-line summary after it.
 *
 * The bar is drawn only when stderr is a terminal and not silenced: percent, rows done,
 * rate, elapsed time and ETA, redrawn at most 10 times a second on one line, erased
 * before the summary. Without a terminal only the summary is printed; -q prints
 * neither.
 */
#ifndef FORKBAND_PROGRESS_H
#define FORKBAND_PROGRESS_H

#include "runtime/compat.h"

#include "runtime/pool.h"

struct fb_progress {
	bool bar;		/* draw the bar */
	bool quiet;		/* no bar, no summary */
	const char *job;	/* shown before the bar: the job's label */
	uint64_t pass_start_ns;
	uint64_t last_draw_ns;
	bool drawn;		/* something is on the line that needs erasing */
};

/* Decides from isatty(stderr) and quiet. */
void fb_progress_init(struct fb_progress *p, bool quiet);

/* Stderr reaches a terminal through a relay (mpirun forwards a rank's stderr through a
 * pipe): draw the bar as if it were one. */
void fb_progress_assume_terminal(void);

/* The pool's progress callback (struct fb_pass.progress); pctx is a fb_progress. */
void fb_progress_update(void *pctx, const struct fb_pass *pass, uint64_t done);

/* Marks the start of a pass (for its rate and ETA). */
void fb_progress_pass_start(struct fb_progress *p);

/* Erases the bar, if drawn. */
void fb_progress_clear(struct fb_progress *p);

/* A pass's notice (a worker died and was dealt with): `forkband: recovered: MSG` on
 * stderr, over the progress bar, which the next update redraws. Printed even when
 * quiet: it is news about the machine, not progress. */
void fb_progress_notice(void *pctx, const char *msg);

#endif
