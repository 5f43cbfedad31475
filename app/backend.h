/* backend.h: what runs a job's passes. The driver and the strip pipeline talk to a
 * backend, never to fork() or to another machine directly.
 *
 * The local backend is runtime/pool.c: it forks workers on this machine and folds their
 * partials under the spinlock. The MPI backend (app/backend_mpi.c, linked into
 * forkband-mpi only) runs the same program on every rank: each rank forks its own local
 * pool, rank 0 shares the rows out and writes the outputs. Its hooks are the few places
 * where a run on several processes differs from a run on one:
 *
 *   stream()    runs a streamed job whole (rows shared out across ranks, the outputs
 *               written by rank 0); NULL: app/pipeline.c over run();
 *   leader      whether this process speaks: progress, summaries, reports and
 *               messages come from one process only;
 *   agree()     a collective step: every process passes the same sequence of them; it
 *               returns the worst status of all, and the leader reports the first
 *               failing process's message where its own run did not fail;
 *   refuse()    0, or -1 after reporting that the backend cannot run this job;
 *   where()     the ranks and their hosts, for a scaling study's records.
 */
#ifndef FORKBAND_BACKEND_H
#define FORKBAND_BACKEND_H

#include "runtime/compat.h"

#include "runtime/pool.h"

struct fb_job;
struct fb_drive_options;
struct fb_strip_plan;
struct fb_progress;
struct fb_job_result;

struct fb_backend {
	const char *name;
	/* As fb_pool_run(): 0 with *stats filled, or -1 after reporting. */
	int (*run)(const struct fb_backend *be, const struct fb_pool_options *opt,
		   const struct fb_pass *pass, struct fb_pass_stats *stats);
	/* As fb_pipeline_run() (pipeline.h), same returns; NULL: that function. */
	int (*stream)(const struct fb_backend *be, const struct fb_job *job,
		      const struct fb_drive_options *dopt, const struct fb_pool_options *popt,
		      const struct fb_strip_plan *plan, struct fb_progress *prog,
		      struct fb_job_result *res, void **state);
	/* NULL: one process, which speaks and needs no agreement. */
	bool (*leader)(const struct fb_backend *be);
	int (*agree)(const struct fb_backend *be, int status);
	int (*refuse)(const struct fb_backend *be, const struct fb_job *job);
	/* The processes a job runs on: their number, and their hosts into hosts (one per
	 * rank, comma-separated). NULL: one process. */
	unsigned (*where)(const struct fb_backend *be, char *hosts, size_t len);
	void *ctx;
};

/* Forked workers on this machine (runtime/pool.h). */
extern const struct fb_backend fb_backend_local;

/* The backend's answers, with one process's where it has no hook. */
static inline bool fb_backend_leader(const struct fb_backend *be)
{
	return !be->leader || be->leader(be);
}

static inline int fb_backend_agree(const struct fb_backend *be, int status)
{
	return be->agree ? be->agree(be, status) : status;
}

#endif
