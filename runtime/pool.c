/* pool.c: fork the workers, hand out rows, wait, and name any worker that failed. */
#include "compat.h"

#include "pool.h"

#include "barrier.h"
#include "error.h"
#include "shared_mem.h"
#include "spinlock.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* What a worker publishes about itself. Only that worker writes its slot (the parent
 * reads it after reaping), and each slot has its own cache line. */
struct worker_slot {
	_Alignas(FB_CACHE_LINE) uint64_t rows;
	uint64_t chunks;
	uint64_t busy_ns;
	uint32_t y0, y1;	/* the chunk in hand; y1 == 0: none yet */
};

/* The control block of one pass, in shared memory. */
struct control {
	struct fb_spinlock lock;
	/* Written under the lock; the parent reads rows_done without it (atomically). */
	_Alignas(FB_CACHE_LINE) uint64_t cursor;
	uint64_t rows_done;
	uint32_t steps_done;	/* steps passes: written by the worker that ends a step */
	uint32_t stop;
	struct fb_barrier barrier;
	struct worker_slot slot[];
};

uint64_t fb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

unsigned fb_online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned)n : 1;
}

unsigned fb_usable_cpus(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		return (unsigned)CPU_COUNT(&set);
	return fb_online_cpus();
}

struct run {
	const struct fb_pass *pass;
	enum fb_schedule schedule;
	unsigned workers;
	uint32_t chunk;
	struct control *ctl;
	void *partial;
};

static bool claim_shared(struct run *r, uint32_t *y0, uint32_t *y1)
{
	return fb_schedule_next_shared(r->schedule, r->pass->rows, r->workers, r->chunk,
				       &r->ctl->cursor, y0, y1);
}

/* Pins the calling worker w to the (w mod n)-th CPU of the set the parent may use
 * (allowed), so that pinned runs follow taskset and cgroup limits. Best effort: a
 * failure leaves the worker unpinned, as the scheduler would have it anyway. */
static void pin_worker(unsigned w, const cpu_set_t *allowed)
{
	int n = CPU_COUNT(allowed), k = (int)(w % (unsigned)n);
	cpu_set_t one;

	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, allowed) || k-- > 0)
			continue;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		sched_setaffinity(0, sizeof(one), &one);
		return;
	}
}

/* The body of worker w; never returns. */
/* One step of the pass for worker w: every chunk the schedule gives it. */
static void work_step(struct run *r, unsigned w, uint32_t owner)
{
	const struct fb_pass *pass = r->pass;
	struct worker_slot *me = &r->ctl->slot[w];
	bool shared = fb_schedule_is_shared(r->schedule);
	uint64_t pos = 0;
	uint32_t y0, y1;
	bool have;

	if (shared) {
		fb_spin_lock(&r->ctl->lock, owner);
		have = claim_shared(r, &y0, &y1);
		fb_spin_unlock(&r->ctl->lock);
	} else {
		have = fb_schedule_next_private(r->schedule, pass->rows, r->workers, r->chunk,
						w, &pos, &y0, &y1);
	}
	while (have) {
		uint64_t t0;

		me->y0 = y0;
		me->y1 = y1;
		if (r->partial)
			memset(r->partial, 0, pass->partial_size);
		t0 = fb_now_ns();
		pass->compute(pass->ctx, y0, y1, r->partial);
		me->busy_ns += fb_now_ns() - t0;
		me->rows += y1 - y0;
		me->chunks++;

		/* One lock trip per chunk: fold, count progress, claim the next chunk. */
		fb_spin_lock(&r->ctl->lock, owner);
		if (pass->fold)
			pass->fold(pass->ctx, r->partial);
		__atomic_store_n(&r->ctl->rows_done, r->ctl->rows_done + (y1 - y0),
				 __ATOMIC_RELAXED);
		if (shared)
			have = claim_shared(r, &y0, &y1);
		fb_spin_unlock(&r->ctl->lock);
		if (!shared)
			have = fb_schedule_next_private(r->schedule, pass->rows, r->workers,
							r->chunk, w, &pos, &y0, &y1);
	}
}

/* The body of worker w; never returns. A stepped pass keeps the worker for every step:
 * after a step, all meet at the barrier; the last to arrive ends the step (step_end,
 * cursor reset, stop or not) while the others wait at a second barrier. */
FB_NORETURN static void worker_main(struct run *r, unsigned w, uint32_t owner)
{
	const struct fb_pass *pass = r->pass;
	unsigned steps = pass->steps ? pass->steps : 1;
	struct fb_barrier_local local = { 0 };

	for (unsigned step = 0;; step++) {
		work_step(r, w, owner);
		if (steps == 1 && !pass->step_end)
			break;
		if (fb_barrier_wait(&r->ctl->barrier, &local)) {
			bool stop = (pass->step_end && pass->step_end(pass->ctx, step)) ||
				    step + 1 >= steps;

			r->ctl->cursor = 0;
			__atomic_store_n(&r->ctl->steps_done, step + 1, __ATOMIC_RELAXED);
			__atomic_store_n(&r->ctl->stop, stop, __ATOMIC_RELAXED);
		}
		fb_barrier_wait(&r->ctl->barrier, &local);
		if (__atomic_load_n(&r->ctl->stop, __ATOMIC_RELAXED))
			break;
	}
	_exit(0);
}

static void describe_rows(const struct worker_slot *s, char *buf, size_t len)
{
	if (s->y1 == 0)
		snprintf(buf, len, "before taking rows");
	else
		snprintf(buf, len, "rows %u-%u", s->y0, s->y1 - 1);
}

static void report_failure(const struct control *ctl, unsigned w, int status)
{
	char rows[64];

	describe_rows(&ctl->slot[w], rows, sizeof(rows));
	if (WIFSIGNALED(status)) {
		const char *abbrev = sigabbrev_np(WTERMSIG(status));

		if (abbrev)
			fb_error("worker %u (%s) killed by SIG%s", w, rows, abbrev);
		else
			fb_error("worker %u (%s) killed by signal %d", w, rows, WTERMSIG(status));
	} else {
		fb_error("worker %u (%s) exited with status %d", w, rows, WEXITSTATUS(status));
	}
}

/* Kills and reaps every worker still alive. */
static void stop_all(pid_t *pid, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (pid[i] > 0)
			kill(pid[i], SIGKILL);
	for (unsigned i = 0; i < n; i++) {
		if (pid[i] > 0) {
			while (waitpid(pid[i], NULL, 0) < 0 && errno == EINTR)
				;
			pid[i] = 0;
		}
	}
}

/* Reaps whatever has exited. Returns the number reaped, or -1 after reporting the
 * first failed worker. */
static int reap(const struct control *ctl, pid_t *pid, unsigned n)
{
	int reaped = 0;

	for (unsigned i = 0; i < n; i++) {
		int status;
		pid_t got;

		if (pid[i] <= 0)
			continue;
		got = waitpid(pid[i], &status, WNOHANG);
		if (got == 0)
			continue;
		if (got < 0) {
			if (errno == EINTR)
				continue;
			fb_error_errno("cannot wait for worker %u (pid %d)", i, (int)pid[i]);
			pid[i] = 0;
			return -1;
		}
		pid[i] = 0;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			report_failure(ctl, i, status);
			return -1;
		}
		reaped++;
	}
	return reaped;
}

static int validate(const struct fb_pool_options *opt, const struct fb_pass *pass)
{
	if (opt->workers < 1 || opt->workers > FB_POOL_MAX_WORKERS)
		return fb_error("worker count %u is out of range (1 to %d)", opt->workers,
				FB_POOL_MAX_WORKERS);
	if ((unsigned)opt->schedule >= FB_SCHED_COUNT)
		FB_BUG("bad schedule %d", (int)opt->schedule);
	if (!pass->compute)
		FB_BUG("pass '%s' has no compute callback", pass->name);
	return 0;
}

int fb_pool_run(const struct fb_pool_options *opt, const struct fb_pass *pass,
		struct fb_pass_stats *stats)
{
	struct run r = { .pass = pass, .schedule = opt->schedule, .workers = opt->workers };
	size_t ctl_size;
	pid_t *pid = NULL;	/* [w]: live workers' pids, 0 once reaped */
	pid_t *forked = NULL;	/* [w]: every worker's pid, for the stats */
	pid_t parent = getpid();
	sigset_t chld, old_mask;
	struct sigaction dfl = { 0 }, old_chld;
	cpu_set_t allowed;
	unsigned alive = 0;
	uint64_t start, last_progress = 0;
	int rc = -1;

	memset(stats, 0, sizeof(*stats));
	if (validate(opt, pass) < 0)
		return -1;
	r.chunk = opt->chunk ? opt->chunk
			     : fb_schedule_default_chunk(opt->schedule, pass->rows, opt->workers);

	if (!fb_size_mul(sizeof(struct worker_slot), opt->workers, &ctl_size) ||
	    !fb_size_add(ctl_size, sizeof(struct control), &ctl_size))
		return fb_error("control block for %u workers is too large", opt->workers);
	CPU_ZERO(&allowed);
	if (opt->pin && (sched_getaffinity(0, sizeof(allowed), &allowed) < 0 ||
			 CPU_COUNT(&allowed) == 0))
		return fb_error_errno("cannot read the CPUs this process may run on");
	r.ctl = shared_malloc_or_error(ctl_size);
	if (!r.ctl)
		return -1;
	fb_spin_init(&r.ctl->lock);
	fb_barrier_init(&r.ctl->barrier, opt->workers);

	pid = calloc(opt->workers, sizeof(*pid));
	forked = calloc(opt->workers, sizeof(*forked));
	if (pass->partial_size)
		r.partial = malloc(pass->partial_size);
	if (!pid || !forked || (pass->partial_size && !r.partial)) {
		fb_error("out of memory");
		goto out;
	}

	/* SIGCHLD stays pending while blocked, so sigtimedwait() below wakes the moment a
	 * worker exits instead of polling. Children restore the old mask. An inherited
	 * SIG_IGN would have the kernel reap the workers and lose their exit status, so
	 * the default disposition is set for the pass and restored after. */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old_mask);
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(SIGCHLD, &dfl, &old_chld);

	/* Buffered output would otherwise be inherited and could be flushed twice. */
	fflush(stdout);
	fflush(stderr);
	start = fb_now_ns();
	for (unsigned w = 0; w < opt->workers; w++) {
		pid_t p = fork();

		if (p == 0) {
			sigprocmask(SIG_SETMASK, &old_mask, NULL);
			/* Die with the parent; if it is already gone, do not start. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(1);
			if (opt->pin)
				pin_worker(w, &allowed);
			worker_main(&r, w, (uint32_t)getpid());
		}
		if (p < 0) {
			fb_error_errno("cannot fork worker %u", w);
			stop_all(pid, opt->workers);
			goto restore;
		}
		pid[w] = forked[w] = p;
		alive++;
	}

	while (alive > 0) {
		struct timespec timeout = { 0, 100 * 1000 * 1000 };
		int n = reap(r.ctl, pid, opt->workers);
		uint64_t now;

		if (n < 0) {
			stop_all(pid, opt->workers);
			goto restore;
		}
		alive -= (unsigned)n;
		if (alive == 0)
			break;
		now = fb_now_ns();
		if (pass->progress && now - last_progress >= 100 * 1000 * 1000) {
			pass->progress(pass->pctx, pass,
				       __atomic_load_n(&r.ctl->rows_done, __ATOMIC_RELAXED) /
					       (pass->steps ? pass->steps : 1));
			last_progress = now;
		}
		if (sigtimedwait(&chld, NULL, &timeout) < 0 && errno != EAGAIN &&
		    errno != EINTR) {
			fb_error_errno("cannot wait for workers");
			stop_all(pid, opt->workers);
			goto restore;
		}
	}
	if (r.ctl->rows_done != (uint64_t)pass->rows * (r.ctl->steps_done ? r.ctl->steps_done : 1)) {
		/* Only possible through a schedule bug: fail loudly rather than emit an
		 * image with holes. */
		FB_BUG("pass '%s' computed %llu rows, not %u per step", pass->name,
		       (unsigned long long)r.ctl->rows_done, pass->rows);
	}

	stats->wall_s = (double)(fb_now_ns() - start) / 1e9;
	stats->chunk = r.chunk;
	stats->workers = opt->workers;
	stats->worker = calloc(opt->workers, sizeof(*stats->worker));
	if (!stats->worker) {
		fb_error("out of memory");
		goto restore;
	}
	for (unsigned w = 0; w < opt->workers; w++) {
		const struct worker_slot *s = &r.ctl->slot[w];

		stats->worker[w] = (struct fb_worker_stats){
			.pid = forked[w], .rows = s->rows, .chunks = s->chunks, .busy_ns = s->busy_ns,
		};
	}
	if (pass->progress)
		pass->progress(pass->pctx, pass, pass->rows);
	rc = 0;
restore:
	/* Drop a SIGCHLD left pending by the last exits before unblocking, so a caller's
	 * handler does not see a stale one. */
	{
		struct timespec zero = { 0, 0 };

		while (sigtimedwait(&chld, NULL, &zero) > 0)
			;
	}
	sigaction(SIGCHLD, &old_chld, NULL);
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
out:
	free(r.partial);
	free(pid);
	free(forked);
	shared_free(r.ctl, ctl_size);
	return rc;
}

void fb_pass_stats_free(struct fb_pass_stats *stats)
{
	free(stats->worker);
	stats->worker = NULL;
}
