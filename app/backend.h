/* backend.h: what runs a pass. The driver and the strip pipeline talk to a backend,
 * never to fork() or to another machine directly.
 *
 * The local backend is runtime/pool.c: it forks workers on this machine and folds their
 * partials under the spinlock. Another backend (MPI ranks, each with its local pool)
 * implements the same call: compute rows [0, pass->rows) and the pass's tasks with the
 * pass's callbacks, fold the partials in an order that cannot change the totals, and
 * leave the rows in the memory the pass names.
 */
#ifndef FORKBAND_BACKEND_H
#define FORKBAND_BACKEND_H

#include "runtime/compat.h"

#include "runtime/pool.h"

struct fb_backend {
	const char *name;
	/* As fb_pool_run(): 0 with *stats filled, or -1 after reporting. */
	int (*run)(const struct fb_backend *be, const struct fb_pool_options *opt,
		   const struct fb_pass *pass, struct fb_pass_stats *stats);
	void *ctx;
};

/* Forked workers on this machine (runtime/pool.h). */
extern const struct fb_backend fb_backend_local;

#endif
