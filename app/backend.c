/* backend.c: the local backend, the worker pool of runtime/pool.c. */
#include "runtime/compat.h"

#include "backend.h"

static int run_local(const struct fb_backend *be, const struct fb_pool_options *opt,
		     const struct fb_pass *pass, struct fb_pass_stats *stats)
{
	(void)be;
	return fb_pool_run(opt, pass, stats);
}

const struct fb_backend fb_backend_local = { .name = "local", .run = run_local };
