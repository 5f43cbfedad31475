/* barrier_bench.c: barrier round trips across processes: forkband's futex barrier
 * (runtime/barrier.h) against a process-shared pthread_barrier, at 2, 4, ... processes,
 * alternating the two, median of 5 runs each. Prints microseconds per round and the
 * ratio pthread / forkband (above 1: forkband is faster).
 *
 * usage: barrier_bench [MAX_PROCS [ROUNDS]]  (default: 4x the CPU count, 20000) */
#include "runtime/compat.h"

#include "runtime/barrier.h"
#include "runtime/pool.h"
#include "runtime/shared_mem.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

struct shared {
	struct fb_barrier fb;
	pthread_barrier_t pt;
};

/* Microseconds per round for n processes doing rounds waits on one kind of barrier. */
static double measure(struct shared *s, bool pthread, unsigned n, unsigned rounds)
{
	pthread_barrierattr_t attr;
	uint64_t t0;
	pid_t pid[256];

	fb_barrier_init(&s->fb, n);
	pthread_barrierattr_init(&attr);
	pthread_barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	pthread_barrier_init(&s->pt, &attr, n);
	t0 = fb_now_ns();
	for (unsigned p = 0; p < n; p++) {
		pid[p] = fork();
		if (pid[p] == 0) {
			struct fb_barrier_local me = { 0 };

			for (unsigned r = 0; r < rounds; r++) {
				if (pthread)
					pthread_barrier_wait(&s->pt);
				else
					fb_barrier_wait(&s->fb, &me);
			}
			_exit(0);
		}
	}
	for (unsigned p = 0; p < n; p++)
		waitpid(pid[p], NULL, 0);
	pthread_barrier_destroy(&s->pt);
	return (double)(fb_now_ns() - t0) / 1e3 / rounds;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	unsigned max = argc > 1 ? (unsigned)atoi(argv[1]) : 4 * fb_online_cpus();
	unsigned rounds = argc > 2 ? (unsigned)atoi(argv[2]) : 20000;
	struct shared *s = shared_malloc(sizeof(*s));

	if (!s || max < 2 || max > 256)
		return 2;
	printf("%u CPUs, %u rounds, median of 5 alternating runs\n", fb_online_cpus(), rounds);
	printf("%6s %14s %14s %8s\n", "procs", "forkband us", "pthread us", "pt/fb");
	for (unsigned n = 2; n <= max; n *= 2) {
		double f[5], p[5];

		for (int r = 0; r < 5; r++) {
			f[r] = measure(s, false, n, rounds);
			p[r] = measure(s, true, n, rounds);
		}
		qsort(f, 5, sizeof(double), cmp);
		qsort(p, 5, sizeof(double), cmp);
		printf("%6u %14.2f %14.2f %8.2f\n", n, f[2], p[2], p[2] / f[2]);
	}
	shared_free(s, sizeof(*s));
	return 0;
}
