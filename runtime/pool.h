/* pool.h: run one pass over the rows of a job on N fork()ed workers.
 *
 * The lecture's fork-compute-wait, made robust:
 * - The parent maps a control block (lock, shared cursor, progress counter, one slot
 *   per worker) with shared_malloc(), forks `workers` children and waits for them.
 * - Each worker takes rows by the schedule. For every chunk [y0, y1) it calls
 *   pass->compute() with a zeroed private `partial` buffer, then takes the spinlock once
 *   and, inside, calls pass->fold() to add the partial into the caller's shared totals,
 *   adds the rows to the progress counter, marks the chunk done and takes its next one
 *   into its slot. Then it _exit(0)s. The callbacks must only write shared memory the
 *   caller mapped before the pass, plus the partial, and compute() must be a function
 *   of the rows and of what earlier passes left (so a chunk can be computed twice).
 * - The parent sleeps in sigtimedwait() for SIGCHLD, and wakes at least every 100 ms to
 *   call pass->progress() with the rows done so far. It reaps only its own workers.
 * - A worker that exits non-zero or dies by a signal costs a redo of its chunk, not the
 *   run: a replacement is forked into its slot and starts with the chunk it held. A
 *   worker that died holding the lock may have folded half a chunk, so the parent
 *   stops the others, restores pass->state from the copy taken when the pass started
 *   and reruns the pass, at most once. A stepped pass restarts the step instead of
 *   replacing one worker (its barrier counts the workers). What happened is listed in
 *   the stats' events. The pass fails (stopping every worker, reaping all, reporting
 *   through fb_error()) when the same rows kill their worker FB_POOL_STRIKES times,
 *   after FB_POOL_MAX_DEATHS deaths, at the deadline, or on a second dead lock holder.
 *   Workers also die if the parent does (PR_SET_PDEATHSIG), so none is left orphaned.
 *
 * This is the seam for other backends: the driver only asks "compute these rows with
 * these callbacks", never calls fork() itself.
 *
 * For the pass, SIGCHLD is blocked and its disposition set to the default (an inherited
 * SIG_IGN would have the kernel reap the workers and lose their status); both are
 * restored afterwards, and a SIGCHLD left pending by the workers is consumed. Workers
 * ignore SIGINT and SIGHUP (the parent handles those: fb_pool_kill_active()).
 */
#ifndef FORKBAND_POOL_H
#define FORKBAND_POOL_H

#include "compat.h"

#include <signal.h>

#include "schedule.h"

#include <sys/types.h>

/* Largest worker count accepted; far above any core count, small enough that the
 * control block and per-worker bookkeeping stay a few hundred KiB. */
#define FB_POOL_MAX_WORKERS 4096

/* Deaths in the same rows that fail the pass: a crash that is not chance. */
#define FB_POOL_STRIKES 3

/* Deaths in one pass after which it fails whatever their rows. */
#define FB_POOL_MAX_DEATHS 100

/* Shared memory a pass writes besides its rows: fold()'s totals, step_end()'s state. */
struct fb_region {
	void *p;
	size_t size;
	/* All zero when the pass starts: restored by clearing it, never copied (for big
	 * state such as a histogram). Not for stepped passes, whose state is copied after
	 * every step. */
	bool zero;
};

#define FB_PASS_STATE_MAX 2

/* Memory that compute() writes a row of for each row it computes: row y at
 * p + y * row_bytes. */
struct fb_rowbuf {
	void *p;
	size_t row_bytes;
};

#define FB_PASS_ROWS_MAX 4

struct fb_pass {
	const char *name;	/* "compute", "blur-h": shown by progress displays */
	const char *phase;	/* the phase its time counts toward in reports
				 * ("compute", "colour"); NULL: name */
	uint32_t rows;		/* rows [0, rows) are computed */
	/* Rows are handed out in whole blocks of `align` rows counted from row 0 (the last
	 * block ends at `rows`), whatever the schedule; a chunk is rounded up to whole
	 * blocks. For a compute() whose results depend on how rows are grouped into calls
	 * (matmul's BLAS engine makes one dgemm call a block). 0 or 1: any rows. */
	uint32_t align;
	const char *unit;	/* what a row of this pass is, in messages and progress
				 * displays ("groups" for the PNG encode); NULL: "rows" */
	void *ctx;		/* passed to compute() and fold() */
	size_t partial_size;	/* bytes of per-chunk partial totals (0: none) */
	/* Computes rows [y0, y1) into shared memory; accumulates into partial. */
	void (*compute)(void *ctx, uint32_t y0, uint32_t y1, void *partial);
	/* Adds one chunk's partial into the shared totals; runs under the lock, so it
	 * must be short. May be NULL. */
	void (*fold)(void *ctx, const void *partial);
	/* Called in the parent while it waits, at most every 100 ms, and once more with
	 * done == rows when the pass has succeeded. May be NULL. */
	void (*progress)(void *pctx, const struct fb_pass *pass, uint64_t done);
	/* Called in the parent the moment a worker's death has been dealt with, with the
	 * line that the stats' events will hold. May be NULL. */
	void (*notice)(void *pctx, const char *msg);
	void *pctx;
	/* Steps (a stencil): the workers compute every row `steps` times (0 or 1: once),
	 * staying alive between steps and meeting at a process barrier after each. There
	 * one worker calls step_end(ctx, step), after every chunk of the step is folded and
	 * before any worker starts the next; it returns true to end the pass early. Progress
	 * is reported in rows of one step: all the steps' rows divided by steps. */
	unsigned steps;
	bool (*step_end)(void *ctx, unsigned step);
	/* For progress displays only: a stepped pass whose step_end() ends it once a value
	 * falls below a target (a residual under a tolerance) points here at that value,
	 * as the last step left it in shared memory (the parent reads it while the workers
	 * run), so that a display can show it against the target instead of an ETA to a
	 * step count the pass may never reach. NULL: the pass runs all its steps. */
	const double *converge;
	double converge_target;
	/* Tasks: work that is not rows (a strip pipeline's PNG groups), handed out one at a
	 * time through a cursor of their own before any row (unless tasks_after), whatever
	 * the schedule: task i
	 * is task(ctx, i). They fold nothing; they count in the progress after the rows
	 * (done runs to rows + tasks), and a task whose worker died is redone like a chunk.
	 * Not for stepped passes. */
	uint32_t tasks;
	void (*task)(void *ctx, uint32_t i);
	const char *task_unit;	/* what a task is, in messages ("group"); NULL: "task" */
	/* The tasks read the pass's rows: they are handed out once every row is done
	 * (a worker with no rows left waits for the others' last chunks), not before. */
	bool tasks_after;
	/* For messages only: the number of row 0 and of task 0 in the job (a strip's rows
	 * are counted from the image's top, its groups from the first). */
	uint32_t row_origin, task_origin;
	/* Work of the parent's own while the workers run (the read stage decoding the next
	 * strip's input): called in the parent, in slices of a few milliseconds, between
	 * its looks at the workers, until it returns false. Its errors are its own to keep
	 * for later: the pass does not fail for them. May be NULL. */
	bool (*parent_work)(void *pctx);
	/* parent_work is a message loop (an MPI rank serving the others): called again
	 * every half millisecond even after it returned false, until the pass ends. */
	bool parent_poll;
	/* Where compute() writes each row (for the whole-image kernels): a backend that
	 * computes rows in other processes (MPI ranks) brings them here after the pass, and
	 * for a stepped pass exchanges the `halo` rows above and below each process's rows
	 * after every step (the rows a row's next step reads). The pool itself needs
	 * neither. */
	struct fb_rowbuf out_rows[FB_PASS_ROWS_MAX];
	uint32_t halo;
	/* For the caller: after this pass the image is ready to be saved as a frame. */
	bool frame;
	/* Every byte fold() and step_end() write, in up to FB_PASS_STATE_MAX regions of
	 * shared memory (required when either is set): the pool copies them when the pass
	 * starts and after each step, and restores the copy to rerun after a worker died
	 * holding the lock. */
	struct fb_region state[FB_PASS_STATE_MAX];
};

struct fb_pool_options {
	unsigned workers;		/* 1 .. FB_POOL_MAX_WORKERS */
	enum fb_schedule schedule;
	uint32_t chunk;			/* rows per chunk; 0: fb_schedule_default_chunk() */
	bool pin;			/* pin worker i to the i-th CPU this process may use,
					 * modulo their number (sched_setaffinity) */
	uint64_t deadline_ns;		/* fb_now_ns() at which the pass is stopped and
					 * fails; 0: none */
	double timeout_s;		/* the --timeout it came from, for the message */
};

/* Counts of the work done in a slot, by all the workers that filled it: rows redone
 * after a death count again. */
struct fb_worker_stats {
	pid_t pid;
	uint64_t rows;
	uint64_t chunks;
	uint64_t busy_ns;	/* time spent inside pass->compute() */
};

struct fb_pass_stats {
	double wall_s;		/* first fork to last reap */
	uint32_t chunk;		/* the chunk actually used */
	unsigned workers;
	struct fb_worker_stats *worker;	/* [workers], malloc()ed; fb_pass_stats_free() */
	/* Workers that died and what was done about it, one line each: `worker 3 (pid
	 * 1234) killed by SIGKILL in rows 640-647; rows redone`. */
	char **events;
	unsigned n_events;
};

/* Runs the pass. Returns 0, or -1 after reporting a worker failure, a fork failure or
 * a mapping failure. On success *stats is filled (and must be freed); on failure it
 * holds nothing to free. */
int fb_pool_run(const struct fb_pool_options *opt, const struct fb_pass *pass,
		struct fb_pass_stats *stats);

void fb_pass_stats_free(struct fb_pass_stats *stats);

/* For a SIGINT/SIGTERM/SIGHUP/SIGALRM handler: SIGKILLs and reaps the workers of the
 * pass under way, if any. Async-signal-safe. The pool blocks those four signals while
 * it changes its list of workers. */
void fb_pool_kill_active(void);

/* The signals whose handler ends a run (and calls fb_pool_kill_active()): SIGINT,
 * SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE and SIGALRM. The pool blocks them
 * while it changes its table of workers; io/outfile.h holds them while outputs are
 * renamed. */
void fb_terminating_signals(sigset_t *set);

/* Number of online CPUs (at least 1). */
unsigned fb_online_cpus(void);

/* Number of CPUs this process may run on (taskset, cgroup cpusets), at least 1: the
 * default worker count, since workers beyond it would only take turns. */
unsigned fb_usable_cpus(void);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t fb_now_ns(void);

#endif
