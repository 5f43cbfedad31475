/* fault.h: fault injection for the recovery tests, inert unless FORKBAND_FAULT is set.
 *
 * FORKBAND_FAULT=KIND:KEY=VALUE,KEY=VALUE makes workers fail on purpose, so that the
 * tests can prove every recovery path (docs/reliability.md lists the switches):
 *
 *   crash      the worker kills itself with a signal (sig=SEGV by default; KILL, ABRT,
 *              BUS, TERM, ...) as it starts the chunk
 *   hang       it sleeps forever instead (--timeout ends it)
 *   exit       it exits with status code=C (default 3)
 *   kill-in-lock  it SIGKILLs itself inside the pool's spinlock, after folding the
 *              chunk's totals: the dead-holder case
 *   signal     not a worker: the parent sends itself sig (TERM by default) at the
 *              point at=after-mkstemp (a temporary output file was just created) or
 *              at=after-rename (an output was just renamed into place), to test the
 *              windows there deterministically
 *
 * Aimed with chunk=N (the pass's N-th chunk, 0-based, in the order chunks are started;
 * remembered by its first row, so a redo of the same rows fails again while the count
 * lasts) or worker=W (worker W's chunks, from its first). More keys: times=K fires the
 * fault K times in the whole run (default 1; 0: every time, which makes a chunk crash
 * deterministically), pass=NAME only in passes of that name (default: any), every=K
 * only in steps K, 2K, 3K, ... (counted from 1) of a stepped pass, once in each (so
 * that the same rows die in many different steps). Each key at most once.
 *
 * The counts live in shared memory mapped by fb_fault_init(), before any worker is
 * forked, so they hold across workers, replacements and reruns.
 */
#ifndef FORKBAND_FAULT_H
#define FORKBAND_FAULT_H

#include "compat.h"

/* Reads FORKBAND_FAULT. Returns 0 (also when it is unset or empty), or -1 after
 * reporting `FORKBAND_FAULT: expected ..., got '...'`. Call once, in the parent, before
 * the first pass. */
int fb_fault_init(void);

/* True when a fault is armed. */
bool fb_fault_armed(void);

/* In the parent, before a pass's workers start: restarts the chunk count. */
void fb_fault_pass_start(const char *pass);

/* In a worker about to compute rows [y0, ...) of the named pass in step `step` (0 for a
 * pass without steps), as worker w: may not return (crash, hang, exit). */
void fb_fault_before_chunk(const char *pass, uint32_t step, unsigned w, uint32_t y0);

/* In a worker inside the spinlock after folding a chunk: may not return. */
void fb_fault_in_lock(const char *pass, unsigned w, uint32_t y0);

/* In the parent at a named point ("after-mkstemp", "after-rename"): sends the signal of
 * an armed signal fault aimed there. */
void fb_fault_point(const char *at);

#endif
