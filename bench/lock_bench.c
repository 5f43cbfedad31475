/* lock_bench.c: fb_spin_lock() throughput across processes, to choose FB_SPIN_LIMIT.
 *
 * usage: lock_bench [-t SECONDS] [-r REPS] [-w WORK] [-c HOLD] PROCS...
 *
 * For each PROCS: fork that many processes, which for SECONDS (default 0.2) take the
 * lock, run a short critical section (five updates, plus HOLD empty loop iterations,
 * default 0), release it and do WORK (default 0) empty loop iterations outside it, as
 * fast as they can. The result is wall time divided by all acquisitions, in ns: with
 * WORK and HOLD 0, the cost of one trip through the lock under full contention,
 * handover included. Each PROCS is run REPS times (default 5) and the median printed,
 * as one line of key=value pairs:
 *
 *   lock=asm spin_limit=1024 procs=8 work=0 hold=0 ns_per_acq=... min=... max=...
 *   fairness=...   (on one line)
 *
 * min and max are the best and worst of the reps; fairness is, in the median rep, the
 * fewest acquisitions any process made divided by the mean (1: all equal; 0: one
 * process was starved).
 *
 * The lock variant is fixed at compile time (bench/CMakeLists.txt builds
 * lock_bench_spin16 ... lock_bench_spin16384 and lock_bench_c11), so run each binary;
 * bench/run_lock_bench.sh runs them all and prints a table. With more processes than
 * CPUs a holder is sometimes preempted inside the critical section, and how soon the
 * waiters give their CPUs back (FB_SPIN_LIMIT) is what decides the throughput.
 *
 * This is the worst case for the lock, not forkband's case: forkband takes it once per
 * chunk of rows (milliseconds of work), so there it is almost never contended.
 */
#include "runtime/compat.h"

#include "runtime/error.h"
#include "runtime/pool.h"
#include "runtime/shared_mem.h"
#include "runtime/spinlock.h"

#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The guarded data: the pool's critical section folds three totals, adds to the
 * progress counter and moves the cursor, all on one line apart from the lock's. */
struct guarded {
	_Alignas(FB_CACHE_LINE) uint64_t cursor;
	uint64_t rows_done, a, b, c;
};

struct slot {
	_Alignas(FB_CACHE_LINE) uint64_t acquisitions;
};

struct shared {
	struct fb_spinlock lock;
	struct guarded g;
	_Alignas(FB_CACHE_LINE) uint32_t ready;
	uint32_t go;
	_Alignas(FB_CACHE_LINE) uint32_t stop;	/* read by all in every loop: a line of its own */
	struct slot slot[];
};

struct result {
	double ns;
	double fairness;
};

/* Out of line and cache-line aligned, so that the loop sits at the same place in every
 * variant's binary: inlined, its alignment changed with the lock code around it, and
 * a loop split across two cache lines ran half as fast. */
__attribute__((noinline, aligned(64))) static void busy_loop(unsigned long iterations)
{
	/* volatile: the loop must not be optimised away. */
	for (volatile unsigned long i = 0; i < iterations; i++)
		;
}

FB_NORETURN static void child(struct shared *sh, unsigned me, unsigned long work,
			      unsigned long hold)
{
	uint32_t owner = (uint32_t)getpid();
	uint64_t n = 0;

	__atomic_add_fetch(&sh->ready, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&sh->go, __ATOMIC_ACQUIRE))
		sched_yield();	/* more processes than CPUs: let the rest get forked */
	while (!__atomic_load_n(&sh->stop, __ATOMIC_RELAXED)) {
		fb_spin_lock(&sh->lock, owner);
		sh->g.cursor++;
		sh->g.rows_done += 2;
		sh->g.a += 3;
		sh->g.b += owner;
		sh->g.c ^= owner;
		busy_loop(hold);
		fb_spin_unlock(&sh->lock);
		n++;
		busy_loop(work);
	}
	sh->slot[me].acquisitions = n;
	_exit(0);
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* One timed round; returns 0 and fills *res, or -1 after reporting. */
static int one_round(struct shared *sh, unsigned procs, double secs, unsigned long work,
		     unsigned long hold, struct result *res)
{
	pid_t *pid = calloc(procs, sizeof(*pid));
	uint64_t t0, t1, total = 0, fewest = UINT64_MAX;
	unsigned forked = 0;
	int rc = 0;

	if (!pid)
		return fb_error("out of memory");
	memset(sh, 0, sizeof(*sh) + procs * sizeof(sh->slot[0]));
	fb_spin_init(&sh->lock);
	for (; forked < procs; forked++) {
		pid[forked] = fork();
		if (pid[forked] == 0)
			child(sh, forked, work, hold);
		if (pid[forked] < 0) {
			rc = fb_error_errno("cannot fork process %u", forked);
			break;
		}
	}
	while (rc == 0 && __atomic_load_n(&sh->ready, __ATOMIC_ACQUIRE) < procs)
		sched_yield();
	t0 = fb_now_ns();
	__atomic_store_n(&sh->go, 1, __ATOMIC_RELEASE);
	if (rc == 0)
		sleep_s(secs);
	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELAXED);
	t1 = fb_now_ns();
	for (unsigned i = 0; i < forked; i++) {
		int status;

		while (waitpid(pid[i], &status, 0) < 0) {
			if (errno != EINTR) {
				rc = fb_error_errno("cannot wait for process %u", i);
				break;
			}
		}
	}
	free(pid);
	if (rc < 0)
		return rc;
	for (unsigned i = 0; i < procs; i++) {
		total += sh->slot[i].acquisitions;
		if (sh->slot[i].acquisitions < fewest)
			fewest = sh->slot[i].acquisitions;
	}
	/* Each acquisition moved the cursor once; any other count is a broken lock. */
	if (sh->g.cursor != total)
		return fb_error("lock failed: %llu acquisitions counted, cursor moved %llu",
				(unsigned long long)total, (unsigned long long)sh->g.cursor);
	if (total == 0)
		return fb_error("no acquisitions in %.3f s", secs);
	/* The acquisitions made after t1, before each process saw the stop flag, are at
	 * most one per process: negligible against the hundreds of thousands counted. */
	res->ns = (double)(t1 - t0) / (double)total;
	res->fairness = (double)fewest * procs / (double)total;
	return 0;
}

/* Nanoseconds per call of f(n), timed over n calls, for the header line. */
static double ns_each(void (*f)(unsigned long), unsigned long n)
{
	uint64_t t0 = fb_now_ns();

	f(n);
	return (double)(fb_now_ns() - t0) / (double)n;
}

static void pauses(unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		fb_lock_pause();
}

static int by_ns(const void *a, const void *b)
{
	double x = ((const struct result *)a)->ns, y = ((const struct result *)b)->ns;

	return (x > y) - (x < y);
}

static int parse_num(const char *s, const char *what, double min, double max, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	if (errno || end == s || *end || !(*out >= min && *out <= max))
		return fb_error("%s: expected a number from %g to %g, got '%s'", what, min, max, s);
	return 0;
}

int main(int argc, char **argv)
{
	static const char usage[] =
		"usage: lock_bench [-t SECONDS] [-r REPS] [-w WORK] [-c HOLD] PROCS...\n";
	double secs = 0.2, reps_d = 5, work_d = 0, hold_d = 0, procs_d;
	const char *variant = strstr(FB_LOCK_VARIANT, "C11") ? "c11" : "asm";
	double pause_ns, iter_ns;
	unsigned reps;
	int c;

	fb_error_set_program("lock_bench");
	while ((c = getopt(argc, argv, "t:r:w:c:h")) != -1) {
		int rc = 0;

		switch (c) {
		case 't':
			rc = parse_num(optarg, "-t", 0.001, 60, &secs);
			break;
		case 'r':
			rc = parse_num(optarg, "-r", 1, 1000, &reps_d);
			break;
		case 'w':
			rc = parse_num(optarg, "-w", 0, 1e9, &work_d);
			break;
		case 'c':
			rc = parse_num(optarg, "-c", 0, 1e9, &hold_d);
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			rc = -1;
			break;
		}
		if (rc < 0) {
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind == argc) {
		fputs(usage, stderr);
		return 2;
	}
	reps = (unsigned)reps_d;
	for (int a = optind; a < argc; a++)	/* all of them before any run */
		if (parse_num(argv[a], "PROCS", 1, FB_POOL_MAX_WORKERS, &procs_d) < 0)
			return 2;
	/* What the knobs cost here: FB_SPIN_LIMIT counts pauses, WORK and HOLD count loop
	 * iterations. */
	pause_ns = ns_each(pauses, 1000000);
	iter_ns = ns_each(busy_loop, 10000000);
	printf("# %s, FB_SPIN_LIMIT %u: pause %.1f ns, so %.1f us of spinning before a yield; "
	       "WORK %.2f us, HOLD %.2f us; %u CPUs\n",
	       FB_LOCK_VARIANT, (unsigned)FB_SPIN_LIMIT, pause_ns, pause_ns * FB_SPIN_LIMIT / 1000,
	       work_d * iter_ns / 1000, hold_d * iter_ns / 1000, fb_online_cpus());
	fflush(stdout);
	for (int a = optind; a < argc; a++) {
		struct result *res;
		struct shared *sh;
		size_t size;
		unsigned procs;

		parse_num(argv[a], "PROCS", 1, FB_POOL_MAX_WORKERS, &procs_d);	/* checked */
		procs = (unsigned)procs_d;
		size = sizeof(*sh) + procs * sizeof(sh->slot[0]);
		sh = shared_malloc_or_error(size);
		if (!sh)
			return 1;
		res = calloc(reps, sizeof(*res));
		if (!res) {
			fb_error("out of memory");
			return 1;
		}
		for (unsigned r = 0; r < reps; r++)
			if (one_round(sh, procs, secs, (unsigned long)work_d, (unsigned long)hold_d,
				      &res[r]) < 0)
				return 1;
		qsort(res, reps, sizeof(*res), by_ns);
		printf("lock=%s spin_limit=%u procs=%u work=%lu hold=%lu ns_per_acq=%.1f min=%.1f "
		       "max=%.1f fairness=%.2f\n",
		       variant, (unsigned)FB_SPIN_LIMIT, procs, (unsigned long)work_d,
		       (unsigned long)hold_d, res[reps / 2].ns, res[0].ns, res[reps - 1].ns,
		       res[reps / 2].fairness);
		fflush(stdout);
		free(res);
		shared_free(sh, size);
	}
	return 0;
}
