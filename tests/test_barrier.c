/* test_barrier.c: the process barrier holds every process until all have arrived, for
 * many rounds, at 2 to 4x the CPU count (oversubscribed: waiters must sleep, not spin
 * forever), within the time limit CTest sets. */
#include "runtime/compat.h"

#include "check.h"
#include "runtime/barrier.h"
#include "runtime/pool.h"
#include "runtime/shared_mem.h"

#include <sys/wait.h>
#include <unistd.h>

#define MAX_PROCS 64

struct shared {
	struct fb_barrier barrier;
	_Alignas(FB_CACHE_LINE) uint32_t round[MAX_PROCS];	/* each process's round */
	uint32_t errors;
	uint32_t last[4096];	/* how many processes were last to arrive, per round */
};

static void child(struct shared *s, unsigned me, unsigned n, unsigned rounds)
{
	struct fb_barrier_local local = { 0 };

	for (unsigned r = 1; r <= rounds; r++) {
		__atomic_store_n(&s->round[me], r, __ATOMIC_RELAXED);
		if (fb_barrier_wait(&s->barrier, &local))
			__atomic_add_fetch(&s->last[r % 4096], 1, __ATOMIC_RELAXED);
		/* Everyone has reached round r, and nobody can be past it: they all wait at
		 * the next barrier for this process. */
		for (unsigned p = 0; p < n; p++) {
			uint32_t q = __atomic_load_n(&s->round[p], __ATOMIC_RELAXED);

			if (q < r || q > r + 1)
				__atomic_add_fetch(&s->errors, 1, __ATOMIC_RELAXED);
		}
		fb_barrier_wait(&s->barrier, &local);
	}
}

static void run(unsigned n, unsigned rounds)
{
	struct shared *s = shared_malloc(sizeof(*s));
	pid_t pid[MAX_PROCS];
	uint64_t t0 = fb_now_ns();
	unsigned bad_last = 0;

	fb_barrier_init(&s->barrier, n);
	for (unsigned p = 0; p < n; p++) {
		pid[p] = fork();
		if (pid[p] == 0) {
			child(s, p, n, rounds);
			_exit(0);
		}
	}
	for (unsigned p = 0; p < n; p++) {
		int status = 0;

		waitpid(pid[p], &status, 0);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "process %u failed", p);
	}
	CHECK(s->errors == 0, "%u processes: %u times a process saw another out of step", n,
	      s->errors);
	for (unsigned r = 1; r <= rounds && r < 4096; r++)
		bad_last += s->last[r] != 1;
	CHECK(bad_last == 0, "%u processes: %u rounds without exactly one last arrival", n,
	      bad_last);
	printf("  %2u processes x %u rounds: %.1f us per round\n", n, rounds,
	       (double)(fb_now_ns() - t0) / 1e3 / (2.0 * rounds));
	shared_free(s, sizeof(*s));
}

int main(void)
{
	unsigned cpus = fb_online_cpus(), max = 4 * cpus > MAX_PROCS ? MAX_PROCS : 4 * cpus;

	run(1, 1000);
	for (unsigned n = 2; n <= max; n *= 2)
		run(n, 2000);
	if (max & (max - 1))
		run(max, 2000);
	return check_exit("test_barrier");
}
