/* lost_updates.c: the lecture's demo of an unlocked shared counter losing updates.
 *
 * usage: lost_updates [PROCS [INCREMENTS]]
 *        (defaults: the online CPU count but at least 2, and 10000000)
 *
 * PROCS fork()ed processes each add 1 to one counter in shared memory INCREMENTS times,
 * first with no lock, then with fb_spin_lock() around each increment, and the expected
 * and actual totals are printed. The unlocked increment is a load, an add and a store:
 * two processes that load the same value both store value + 1, and one update is lost.
 * A demo, not a test: how many are lost depends on the machine and the moment (almost
 * none with one CPU, where a process is rarely preempted between the load and the
 * store). The default count is large because an increment costs well under a
 * nanosecond here: with a million, the first process often finishes before the second
 * is running, and nothing is lost.
 * Exits 1 only if the locked count is wrong, which would be a lock bug.
 */
#include "runtime/compat.h"

#include "runtime/error.h"
#include "runtime/pool.h"
#include "runtime/shared_mem.h"
#include "runtime/spinlock.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

struct shared {
	struct fb_spinlock lock;
	/* volatile: one load and one store per increment, as the C reads. Otherwise the
	 * optimiser folds the loop into a single add of INCREMENTS, and nearly nothing
	 * could be lost. */
	_Alignas(FB_CACHE_LINE) volatile uint64_t counter;
	_Alignas(FB_CACHE_LINE) uint32_t ready;
	uint32_t go;
};

/* Waits until every process is forked, so that they increment at the same time
 * rather than one after the other as each fork() returns. */
static void start_together(struct shared *sh)
{
	__atomic_add_fetch(&sh->ready, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&sh->go, __ATOMIC_ACQUIRE))
		sched_yield();	/* more processes than CPUs: let the rest get forked */
}

FB_NORETURN static void child(struct shared *sh, uint64_t increments, bool locked)
{
	uint32_t me = (uint32_t)getpid();

	start_together(sh);
	if (locked) {
		for (uint64_t i = 0; i < increments; i++) {
			fb_spin_lock(&sh->lock, me);
			sh->counter = sh->counter + 1;
			fb_spin_unlock(&sh->lock);
		}
	} else {
		for (uint64_t i = 0; i < increments; i++)
			sh->counter = sh->counter + 1;
	}
	_exit(0);
}

/* Runs one round; returns 0 with the final count in *got, or -1 after reporting. */
static int run_round(struct shared *sh, unsigned procs, uint64_t increments, bool locked,
		     uint64_t *got, double *secs)
{
	pid_t *pid = calloc(procs, sizeof(*pid));
	unsigned forked = 0;
	uint64_t t0;
	int rc = 0;

	if (!pid)
		return fb_error("out of memory");
	fb_spin_init(&sh->lock);
	sh->counter = 0;
	sh->ready = 0;
	sh->go = 0;
	fflush(stdout);	/* or each child would inherit, and flush, the buffered text */
	for (; forked < procs; forked++) {
		pid[forked] = fork();
		if (pid[forked] == 0)
			child(sh, increments, locked);
		if (pid[forked] < 0) {
			rc = fb_error_errno("cannot fork process %u", forked);
			break;
		}
	}
	if (rc == 0) {
		while (__atomic_load_n(&sh->ready, __ATOMIC_ACQUIRE) < procs)
			sched_yield();
	}
	t0 = fb_now_ns();
	/* Set even after a failed fork, so that the children already started finish. */
	__atomic_store_n(&sh->go, 1, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < forked; i++) {
		int status;

		while (waitpid(pid[i], &status, 0) < 0) {
			if (errno != EINTR) {
				rc = fb_error_errno("cannot wait for process %u", i);
				break;
			}
		}
	}
	*secs = (double)(fb_now_ns() - t0) / 1e9;
	*got = sh->counter;
	free(pid);
	return rc;
}

static int parse_arg(const char *s, const char *what, unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || *out == 0)
		return fb_error("%s: expected a positive integer, got '%s'", what, s);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long long procs = fb_online_cpus() < 2 ? 2 : fb_online_cpus();
	unsigned long long increments = 10000000;
	struct shared *sh;
	uint64_t expected, got[2];
	double secs[2];

	fb_error_set_program("lost_updates");
	if (argc > 3 || (argc > 1 && parse_arg(argv[1], "PROCS", &procs) < 0) ||
	    (argc > 2 && parse_arg(argv[2], "INCREMENTS", &increments) < 0)) {
		fputs("usage: lost_updates [PROCS [INCREMENTS]]\n", stderr);
		return 2;
	}
	if (procs > FB_POOL_MAX_WORKERS || __builtin_mul_overflow(procs, increments, &expected)) {
		fb_error("%llu processes x %llu increments is too many", procs, increments);
		return 2;
	}
	sh = shared_malloc_or_error(sizeof(*sh));
	if (!sh)
		return 1;
	for (int locked = 0; locked < 2; locked++) {
		if (run_round(sh, (unsigned)procs, increments, locked, &got[locked],
			      &secs[locked]) < 0)
			return 1;
	}
	printf("%llu processes x %llu increments of one shared counter, %u CPUs\n", procs,
	       increments, fb_online_cpus());
	printf("without lock:    expected %llu, got %llu: %llu lost (%.1f%%), %.3f s\n",
	       (unsigned long long)expected, (unsigned long long)got[0],
	       (unsigned long long)(expected - got[0]),
	       100.0 * (double)(expected - got[0]) / (double)expected, secs[0]);
	printf("with spinlock:   expected %llu, got %llu: %llu lost, %.3f s\n",
	       (unsigned long long)expected, (unsigned long long)got[1],
	       (unsigned long long)(expected - got[1]), secs[1]);
	shared_free(sh, sizeof(*sh));
	return got[1] == expected ? 0 : 1;
}
