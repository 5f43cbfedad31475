/* test_spinlock.c: the race validator: increments made inside the lock by many
 * processes must all add up.
 *
 * N processes each do M increments of shared counters inside the critical section,
 * with plain (non-atomic) loads and stores, so any overlap of two critical sections
 * loses an update. N runs from 2 to 4x the CPU count: oversubscribed runs check that
 * a waiter whose holder is preempted still gets through (the yield after a bounded
 * spin), within the time limit CTest sets. Built twice: with the x86-64 asm lock and
 * with -DFB_LOCK_C11.
 */
#include "runtime/compat.h"

#include "check.h"
#include "runtime/pool.h"
#include "runtime/shared_mem.h"
#include "runtime/spinlock.h"

#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct shared {
	struct fb_spinlock lock;
	/* volatile: the compiler must really load and store inside the section, as a
	 * racy program would; the lock alone must make it safe. */
	_Alignas(FB_CACHE_LINE) volatile uint64_t a;
	volatile uint64_t b;
	volatile uint32_t inside;	/* processes in the section: must stay 0 or 1 */
	volatile uint32_t overlap;	/* times someone found another process inside */
};

static void hammer(struct shared *s, unsigned iters)
{
	uint32_t me = (uint32_t)getpid();

	for (unsigned i = 0; i < iters; i++) {
		fb_spin_lock(&s->lock, me);
		if (s->inside != 0)
			s->overlap++;
		s->inside = 1;
		if (fb_spin_holder(&s->lock) != me)
			s->overlap++;
		s->a = s->a + 1;
		s->b = s->b + 2;
		s->inside = 0;
		fb_spin_unlock(&s->lock);
	}
}

static void run(unsigned procs, unsigned iters)
{
	struct shared *s = shared_malloc(sizeof(*s));
	pid_t pid[64];
	uint64_t t0 = fb_now_ns();

	CHECK(s != NULL, "shared_malloc");
	if (!s)
		return;
	fb_spin_init(&s->lock);
	for (unsigned p = 0; p < procs; p++) {
		pid[p] = fork();
		if (pid[p] == 0) {
			hammer(s, iters);
			_exit(0);
		}
		CHECK(pid[p] > 0, "fork");
	}
	for (unsigned p = 0; p < procs; p++) {
		int status = 0;

		if (pid[p] > 0) {
			waitpid(pid[p], &status, 0);
			CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %u", p);
		}
	}
	CHECK(s->a == (uint64_t)procs * iters, "%u procs: a = %llu, expected %llu", procs,
	      (unsigned long long)s->a, (unsigned long long)procs * iters);
	CHECK(s->b == 2 * (uint64_t)procs * iters, "%u procs: b = %llu", procs,
	      (unsigned long long)s->b);
	CHECK(s->overlap == 0, "%u procs: %u overlapping critical sections", procs, s->overlap);
	CHECK(fb_spin_holder(&s->lock) == 0, "lock left held");
	printf("  %2u processes x %u: %.1f ns per lock\n", procs, iters,
	       (double)(fb_now_ns() - t0) / ((double)procs * iters));
	shared_free(s, sizeof(*s));
}

int main(void)
{
	unsigned cpus = fb_online_cpus();
	unsigned max = 4 * cpus > 64 ? 64 : 4 * cpus;

	CHECK(sizeof(struct fb_spinlock) == FB_CACHE_LINE, "lock is %zu bytes",
	      sizeof(struct fb_spinlock));
	CHECK(_Alignof(struct fb_spinlock) == FB_CACHE_LINE, "lock alignment");
	printf("lock variant: %s, %u cpus\n", FB_LOCK_VARIANT, cpus);
	for (unsigned n = 2; n <= max; n = n < 4 ? n + 1 : n * 2)
		run(n, 2000000 / n);
	if (max > 4 && (max & (max - 1)))
		run(max, 2000000 / max);
	return check_exit("test_spinlock");
}
