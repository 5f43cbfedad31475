/* barrier.h: a barrier for worker processes that share memory.
 *
 * Sense-reversing: the barrier holds an arrival count and a global sense word; each
 * process keeps its own sense, flipped at every wait. The last process to arrive
 * resets the count and publishes its new sense; the others wait for the global word
 * to equal theirs. Waiting spins briefly when every process has a CPU of its own (a
 * round that is about to end then costs no system call) and then sleeps on a futex on
 * the sense word; with more processes than CPUs it sleeps at once, since a spinning
 * waiter would only keep the last arrival from running. The futex is shared, not
 * FUTEX_PRIVATE_FLAG, because the waiters are separate processes mapping the same
 * page. Sleeping is what keeps the barrier from collapsing when workers outnumber
 * cores: a waiter gives its CPU to the worker that still has to arrive.
 *
 * The barrier lives in shared memory mapped before fork(); it can be reused for any
 * number of rounds. Linux only (futex); elsewhere waiters spin with sched_yield().
 */
#ifndef FORKBAND_BARRIER_H
#define FORKBAND_BARRIER_H

#include "compat.h"

struct fb_barrier {
	_Alignas(FB_CACHE_LINE) uint32_t arrived;	/* arrivals this round */
	uint32_t total;					/* processes taking part */
	uint32_t spins;					/* loads before sleeping */
	_Alignas(FB_CACHE_LINE) uint32_t sense;		/* flips every round; futex word */
	uint32_t sleepers;				/* waiters inside futex_wait */
};

/* Each process's own side of the barrier: private memory, starts zeroed. */
struct fb_barrier_local {
	uint32_t sense;
};

/* Prepares b for n processes (n >= 1). Call before forking: it compares n with the
 * CPUs this process may use to choose whether waiters spin. */
void fb_barrier_init(struct fb_barrier *b, unsigned n);

/* Returns once all n processes have called it for this round. Returns true in exactly
 * one process per round (the last to arrive), for work that one process should do
 * between rounds. */
bool fb_barrier_wait(struct fb_barrier *b, struct fb_barrier_local *me);

/* The futex under the barrier, for other waits between processes on a word in shared
 * memory: sleeps while *word holds value (returns at once if it does not; may return
 * early: callers loop), and wakes every sleeper on word. Elsewhere than Linux: a
 * sched_yield() and nothing. */
void fb_sleep_while(uint32_t *word, uint32_t value);
void fb_wake_all(uint32_t *word);

#endif
