/* barrier.c: the sense-reversing process barrier of barrier.h. */
#include "compat.h"

#include "barrier.h"

#include "pool.h"

#include <limits.h>
#include <sched.h>

#ifdef __linux__
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

/* Loads of the sense word before a waiter sleeps: about 25-50 us with `pause`, longer
 * than a barrier round trip between running processes, far shorter than a time slice. */
#define SPINS 2000

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

void fb_sleep_while(uint32_t *word, uint32_t value)
{
#ifdef __linux__
	/* Returns at once if *word no longer holds value; spurious wakes loop in the caller. */
	syscall(SYS_futex, word, FUTEX_WAIT, value, NULL, NULL, 0);
#else
	(void)word;
	(void)value;
	sched_yield();
#endif
}

void fb_wake_all(uint32_t *word)
{
#ifdef __linux__
	syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
#else
	(void)word;
#endif
}

void fb_barrier_init(struct fb_barrier *b, unsigned n)
{
	__atomic_store_n(&b->arrived, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&b->sleepers, 0, __ATOMIC_RELAXED);
	b->total = n;
	b->spins = n <= fb_usable_cpus() ? SPINS : 0;
	__atomic_store_n(&b->sense, 0, __ATOMIC_SEQ_CST);
}

bool fb_barrier_wait(struct fb_barrier *b, struct fb_barrier_local *me)
{
	uint32_t want = me->sense ^ 1;

	me->sense = want;
	/* acq_rel: this process's writes before the barrier are released to whoever ends
	 * the round, which releases them all with the sense store below. */
	if (__atomic_add_fetch(&b->arrived, 1, __ATOMIC_ACQ_REL) == b->total) {
		__atomic_store_n(&b->arrived, 0, __ATOMIC_RELAXED);
		/* seq_cst store then seq_cst load of sleepers, against the waiter's seq_cst
		 * increment then load of sense: one of the two always sees the other, so a
		 * waiter never sleeps through the last wake. */
		__atomic_store_n(&b->sense, want, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&b->sleepers, __ATOMIC_SEQ_CST))
			fb_wake_all(&b->sense);
		return true;
	}
	for (unsigned i = 0; i < b->spins; i++) {
		if (__atomic_load_n(&b->sense, __ATOMIC_ACQUIRE) == want)
			return false;
		cpu_relax();
	}
	__atomic_add_fetch(&b->sleepers, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&b->sense, __ATOMIC_SEQ_CST) != want)
		fb_sleep_while(&b->sense, want ^ 1);
	__atomic_sub_fetch(&b->sleepers, 1, __ATOMIC_SEQ_CST);
	return false;
}
