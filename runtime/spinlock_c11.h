/* spinlock_c11.h: the lock word's primitives in C11 atomics, for machines other than
 * x86-64 (and, with -DFORKBAND_LOCK=c11, on x86-64 too, so both variants are tested).
 * Include runtime/spinlock.h, not this file. */
#ifndef FORKBAND_SPINLOCK_H
#error "include runtime/spinlock.h, not spinlock_c11.h"
#endif
#ifndef FORKBAND_SPINLOCK_C11_H
#define FORKBAND_SPINLOCK_C11_H

#include <stdatomic.h>

#define FB_LOCK_VARIANT "C11 atomic_exchange"

/* Lock-free for 32-bit words on every machine Linux runs on, so it works across
 * processes in shared memory (no hidden mutex inside the atomic). */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "the lock needs lock-free 32-bit atomics");

typedef _Atomic uint32_t fb_lock_word;

static inline uint32_t fb_lock_exchange_acquire(fb_lock_word *w, uint32_t v)
{
	return atomic_exchange_explicit(w, v, memory_order_acquire);
}

static inline uint32_t fb_lock_load_relaxed(fb_lock_word *w)
{
	return atomic_load_explicit(w, memory_order_relaxed);
}

static inline void fb_lock_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" : : : "memory");
#endif
	atomic_signal_fence(memory_order_seq_cst);
}

static inline void fb_lock_store_release(fb_lock_word *w, uint32_t v)
{
	atomic_store_explicit(w, v, memory_order_release);
}

#endif
