/* spinlock_x86_64.h: the lock word's primitives in x86-64 inline asm.
 * Include runtime/spinlock.h, not this file; the reasoning for each barrier is there. */
#ifndef FORKBAND_SPINLOCK_H
#error "include runtime/spinlock.h, not spinlock_x86_64.h"
#endif
#ifndef FORKBAND_SPINLOCK_X86_64_H
#define FORKBAND_SPINLOCK_X86_64_H

#define FB_LOCK_VARIANT "x86-64 xchg asm"

typedef volatile uint32_t fb_lock_word;

/* xchg with a memory operand asserts LOCK by itself: atomic, and a full fence. */
static inline uint32_t fb_lock_exchange_acquire(fb_lock_word *w, uint32_t v)
{
	__asm__ __volatile__("xchgl %0, %1" : "+r"(v), "+m"(*w) : : "memory");
	return v;
}

static inline uint32_t fb_lock_load_relaxed(fb_lock_word *w)
{
	uint32_t v;

	__asm__ __volatile__("movl %1, %0" : "=r"(v) : "m"(*w) : "memory");
	return v;
}

/* A spin-wait hint: saves power and avoids the memory-order mis-speculation penalty
 * when the awaited store arrives. */
static inline void fb_lock_pause(void)
{
	__asm__ __volatile__("pause" : : : "memory");
}

/* Compiler barrier, then a plain store: x86 keeps it after the earlier accesses. */
static inline void fb_lock_store_release(fb_lock_word *w, uint32_t v)
{
	__asm__ __volatile__("movl %1, %0" : "=m"(*w) : "r"(v) : "memory");
}

#endif
