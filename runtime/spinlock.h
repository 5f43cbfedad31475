/* spinlock.h: the lock that guards forkband's shared counters across processes.
 *
 * The lecture's lock, with its flaws fixed. The lock is one 32-bit word in shared
 * memory, 0 when free and 1 when held, taken with the lecture's `xchg`. Next to it, the
 * holder writes its owner id (the pool passes the worker's pid) inside the critical
 * section, so that a reader can tell who holds it. (The id cannot live in the word
 * itself: a waiter's failed `xchg` writes the word too.) The lock is taken once per
 * chunk of rows, never per pixel, and held for a few instructions.
 *
 * Algorithm (test-and-test-and-set, as in Concurrency Kit's fas lock):
 *   1. one atomic exchange of 1 into the word; if it returned 0 we own it;
 *   2. otherwise spin on plain loads, with `pause`, until the word reads 0, then go
 *      back to 1. Spinning on loads keeps the cache line shared among the waiters
 *      instead of bouncing it with a locked write per iteration;
 *   3. after FB_SPIN_LIMIT loads, sched_yield(): a holder that was preempted (more
 *      workers than cores) gets a CPU to finish and release the lock, so the lock can
 *      never livelock however many processes wait.
 * Unlock is a compiler barrier plus a plain store of 0.
 *
 * Why those barriers are enough:
 * - x86-64 (spinlock_x86_64.h): `xchg` with a memory operand is implicitly locked and
 *   a full barrier in hardware; its "memory" clobber stops the compiler moving loads
 *   or stores of the critical section above it (acquire). x86 never reorders a store
 *   with earlier loads or stores, so a plain store to the word is a release in
 *   hardware; the compiler barrier before it stops the compiler sinking critical
 *   section stores below it. The spin loop's load is volatile and its `pause` asm
 *   clobbers memory, so the compiler re-reads the word every time.
 * - Other machines (spinlock_c11.h): atomic_exchange with memory_order_acquire,
 *   relaxed loads while spinning, atomic_store with memory_order_release. These are
 *   the C11 orderings a lock needs and the compiler emits the fences the CPU needs.
 *
 * The variant is chosen at build time: the x86-64 asm by default there, the C11 one
 * elsewhere or when FB_LOCK_C11 is defined (CMake: -DFORKBAND_LOCK=c11). Both build
 * and pass the same race validator (tests/test_spinlock.c).
 *
 * The lock lives in shared memory mapped before fork(); struct fb_spinlock is padded to
 * a cache line so that no other shared data shares (and falsely contends) its line.
 */
#ifndef FORKBAND_SPINLOCK_H
#define FORKBAND_SPINLOCK_H

#include "compat.h"

#include <sched.h>

#if defined(FB_LOCK_C11) || !defined(__x86_64__)
#include "spinlock_c11.h"
#else
#include "spinlock_x86_64.h"
#endif

/* Loads of a held lock word before a waiter yields its CPU. `pause` measured 25 ns on
 * the development machine, so 1024 loads is about 25 us: far longer than forkband's
 * critical sections (under a microsecond), so a waiter whose holder is running does not
 * give its CPU to another program, while one whose holder was preempted yields within a
 * small part of a time slice. bench/run_lock_bench.sh (docs/performance.md): 16384
 * starves processes when they outnumber cores (2-4x slower); 16 to 1024 lie within 1.6x
 * of each other in that synthetic worst case, and forkband's own runs cannot tell any
 * of them apart. */
#ifndef FB_SPIN_LIMIT
#define FB_SPIN_LIMIT 1024
#endif

struct fb_spinlock {
	_Alignas(FB_CACHE_LINE) fb_lock_word word;
	uint32_t owner;		/* the holder's id while held, else 0; relaxed atomics, since
				 * fb_spin_holder() reads it without the lock */
	char pad_[FB_CACHE_LINE - sizeof(fb_lock_word) - sizeof(uint32_t)];
};

/* Sets the lock free. Call before any process may use it. */
static inline void fb_spin_init(struct fb_spinlock *l)
{
	__atomic_store_n(&l->owner, 0, __ATOMIC_RELAXED);
	fb_lock_store_release(&l->word, 0);
}

/* Takes the lock and records owner (nonzero; the pool passes the caller's pid). */
static inline void fb_spin_lock(struct fb_spinlock *l, uint32_t owner)
{
	unsigned spins = 0;

	while (fb_lock_exchange_acquire(&l->word, 1) != 0) {
		do {
			if (++spins < FB_SPIN_LIMIT) {
				fb_lock_pause();
			} else {
				sched_yield();
				spins = 0;
			}
		} while (fb_lock_load_relaxed(&l->word) != 0);
	}
	__atomic_store_n(&l->owner, owner, __ATOMIC_RELAXED);
}

/* Releases a lock taken with fb_spin_lock(). */
static inline void fb_spin_unlock(struct fb_spinlock *l)
{
	__atomic_store_n(&l->owner, 0, __ATOMIC_RELAXED);
	fb_lock_store_release(&l->word, 0);
}

/* True while some process holds the lock (a snapshot). */
static inline bool fb_spin_is_held(struct fb_spinlock *l)
{
	return fb_lock_load_relaxed(&l->word) != 0;
}

/* The holder's owner id, 0 when free, and also while held in two short windows: between
 * taking the word and recording the id, and between the two stores of unlocking. A
 * snapshot, for diagnostics and recovery (runtime/pool.c reads both windows as "held
 * by someone unknown"). */
static inline uint32_t fb_spin_holder(const struct fb_spinlock *l)
{
	return __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
}

#endif
