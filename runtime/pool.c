/* pool.c: fork the workers, hand out rows, wait, and recover from workers that die.
 *
 * Recovery rests on two rules:
 * - A worker changes shared state only inside the spinlock: it folds a chunk's totals,
 *   counts its rows, marks it done and takes the next chunk into its hand in one
 *   critical section. So a worker that died outside the lock left exactly one chunk
 *   unfinished (the one in its hand, whose totals it never folded), and a replacement
 *   that starts from its slot redoes that chunk and goes on where it stopped.
 * - A worker that died inside the lock may have folded half a chunk: the totals cannot
 *   be trusted. The pool kills the others and reruns the pass (a stepped pass: the step)
 *   from a checkpoint of the totals, at most once.
 */
#include "compat.h"

#include "pool.h"

#include "barrier.h"
#include "error.h"
#include "fault.h"
#include "shared_mem.h"
#include "spinlock.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { SLOT_NEW, SLOT_WORKING, SLOT_FINISHED };

/* One per worker index, kept across the processes that fill it (a replacement takes
 * over its predecessor's slot). Written under the lock, except that a step's end
 * resets the slots while every worker waits at the barrier; the parent reads a slot
 * after reaping the process that wrote it. Each slot has its own cache line. */
struct worker_slot {
	_Alignas(FB_CACHE_LINE) uint64_t rows;
	uint64_t chunks;
	uint64_t busy_ns;
	uint64_t pos;		/* static, cyclic: the schedule's position after the hand */
	uint32_t y0, y1;	/* the chunk in hand, while state is SLOT_WORKING */
	uint32_t state;
};

/* Stepped passes: committed holds the steps ended and checkpointed, with this bit set
 * once the last step has been ended (by count or by step_end()). */
#define STEPS_STOP 0x80000000u

/* The control block of one pass, in shared memory. */
struct control {
	struct fb_spinlock lock;
	/* Written under the lock; the parent reads rows_done without it (atomically). */
	_Alignas(FB_CACHE_LINE) uint64_t cursor;
	uint64_t task_cursor;	/* the next task (struct fb_pass.tasks) */
	uint64_t rows_done;
	uint32_t committed;
	uint32_t ender;		/* 1 + the slot of the worker between step_end() and the
				 * commit; 0: none */
	uint32_t ending;	/* the step it is ending */
	struct fb_barrier barrier;
	struct worker_slot slot[];
};

uint64_t fb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

unsigned fb_online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned)n : 1;
}

unsigned fb_usable_cpus(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		return (unsigned)CPU_COUNT(&set);
	return fb_online_cpus();
}

/* The live workers of the pass under way, for fb_pool_kill_active() in a signal
 * handler. Entries change only while the terminating signals are blocked
 * (block_term()), so the handler never sees a worker missing or one already reaped
 * (whose pid could be reused). */
static pid_t *volatile active_pid;
static volatile unsigned active_n;

void fb_pool_kill_active(void)
{
	pid_t *pid = active_pid;
	unsigned n = active_n;

	if (!pid)
		return;
	for (unsigned i = 0; i < n; i++)
		if (pid[i] > 0)
			kill(pid[i], SIGKILL);
	for (unsigned i = 0; i < n; i++)
		if (pid[i] > 0)
			while (waitpid(pid[i], NULL, 0) < 0 && errno == EINTR)
				;
}

struct run {
	const struct fb_pass *pass;
	const struct fb_pool_options *opt;
	enum fb_schedule schedule;
	unsigned workers;
	uint32_t chunk;
	bool stepped;
	struct control *ctl;
	size_t ctl_size;
	uint8_t *ckpt;		/* shared: two copies of the pass's state regions */
	size_t state_size;	/* bytes of one copy */
	void *partial;
	pid_t parent;
	cpu_set_t allowed;
	sigset_t old_mask;	/* the mask the workers start with */

	/* Parent only. */
	pid_t *pid;		/* [w]: live worker's pid, 0 once reaped */
	pid_t *last_pid;	/* [w]: the latest pid in slot w, for the stats */
	unsigned alive;
	unsigned deaths;
	bool reran;		/* the one rerun after a dead lock holder is spent */
	/* Deaths per chunk: the rows from y0 in step `step` (0 for a pass without steps).
	 * A stepped pass redoes the same rows every step: a death in step 1717 and one in
	 * step 3529 are chance, not the rows' fault. */
	struct strike { uint32_t step, y0; unsigned n; } strikes[FB_POOL_MAX_DEATHS + 1];
	unsigned n_strikes;
	char **events;
	unsigned n_events;
};

/* Copies the pass's state regions into (save) or out of checkpoint k (0 or 1). */
static void checkpoint(struct run *r, unsigned k, bool save)
{
	uint8_t *c = r->ckpt + (size_t)k * r->state_size;

	for (int i = 0; i < FB_PASS_STATE_MAX; i++) {
		const struct fb_region *g = &r->pass->state[i];

		if (!g->p || (g->zero && save))
			continue;
		if (g->zero) {
			memset(g->p, 0, g->size);
			continue;
		}
		if (save)
			memcpy(c, g->p, g->size);
		else
			memcpy(g->p, c, g->size);
		c += g->size;
	}
}

/* Takes slot w's next chunk into its hand, or marks the slot finished. Under the lock:
 * a worker that dies here dies holding it. */
static void claim(struct run *r, unsigned w)
{
	struct worker_slot *me = &r->ctl->slot[w];
	uint32_t y0, y1;
	bool have;

	if (r->ctl->task_cursor < r->pass->tasks &&
	    (!r->pass->tasks_after || r->ctl->rows_done >= r->pass->rows)) {
		/* A task: "rows" [rows + i, rows + i + 1) of the hand. */
		me->y0 = r->pass->rows + (uint32_t)r->ctl->task_cursor++;
		me->y1 = me->y0 + 1;
		me->state = SLOT_WORKING;
		return;
	}
	/* The schedule deals in blocks of `align` rows (in rows when align <= 1). */
	uint32_t align = r->pass->align > 1 ? r->pass->align : 1;
	uint32_t units = (uint32_t)(((uint64_t)r->pass->rows + align - 1) / align);
	uint32_t chunk = (uint32_t)(((uint64_t)r->chunk + align - 1) / align);

	if (fb_schedule_is_shared(r->schedule)) {
		have = fb_schedule_next_shared(r->schedule, units, r->workers, chunk,
					       &r->ctl->cursor, &y0, &y1);
	} else {
		uint64_t pos = me->pos;

		have = fb_schedule_next_private(r->schedule, units, r->workers, chunk, w, &pos,
						&y0, &y1);
		me->pos = pos;
	}
	if (have) {
		uint64_t end = (uint64_t)y1 * align;

		me->y0 = y0 * align;
		me->y1 = end < r->pass->rows ? (uint32_t)end : r->pass->rows;
	}
	/* Tasks after the rows, and rows still being computed by others: the worker
	 * waits (work_step()) and claims again. */
	me->state = have ? SLOT_WORKING
		    : r->pass->tasks_after && r->ctl->task_cursor < r->pass->tasks ? SLOT_NEW
										     : SLOT_FINISHED;
}

/* Pins the calling worker w to the (w mod n)-th CPU of the set the parent may use
 * (allowed), so that pinned runs follow taskset and cgroup limits. Best effort: a
 * failure leaves the worker unpinned, as the scheduler would have it anyway. */
static void pin_worker(unsigned w, const cpu_set_t *allowed)
{
	int n = CPU_COUNT(allowed), k = (int)(w % (unsigned)n);
	cpu_set_t one;

	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, allowed) || k-- > 0)
			continue;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		sched_setaffinity(0, sizeof(one), &one);
		return;
	}
}

/* One step of the pass for worker w: the chunk in its slot's hand (a predecessor's,
 * for a replacement), then every chunk the schedule gives it. */
static void work_step(struct run *r, unsigned w, uint32_t owner)
{
	const struct fb_pass *pass = r->pass;
	struct worker_slot *me = &r->ctl->slot[w];

again:
	if (me->state == SLOT_NEW) {
		fb_spin_lock(&r->ctl->lock, owner);
		claim(r, w);
		fb_spin_unlock(&r->ctl->lock);
	}
	while (me->state == SLOT_WORKING) {
		uint32_t y0 = me->y0, y1 = me->y1;
		uint64_t t0, busy;

		fb_fault_before_chunk(pass->name, r->stepped ? __atomic_load_n(&r->ctl->committed,
				      __ATOMIC_ACQUIRE) & ~STEPS_STOP : 0, w, y0);
		if (r->partial)
			memset(r->partial, 0, pass->partial_size);
		t0 = fb_now_ns();
		if (y0 >= pass->rows)
			pass->task(pass->ctx, y0 - pass->rows);
		else
			pass->compute(pass->ctx, y0, y1, r->partial);
		busy = fb_now_ns() - t0;

		/* One lock trip per chunk: fold, count, mark done, take the next. */
		fb_spin_lock(&r->ctl->lock, owner);
		if (pass->fold && y0 < pass->rows)
			pass->fold(pass->ctx, r->partial);
		fb_fault_in_lock(pass->name, w, y0);
		__atomic_store_n(&r->ctl->rows_done, r->ctl->rows_done + (y1 - y0),
				 __ATOMIC_RELAXED);
		me->rows += y1 - y0;
		me->chunks++;
		me->busy_ns += busy;
		claim(r, w);
		fb_spin_unlock(&r->ctl->lock);
	}
	if (me->state == SLOT_NEW) {
		/* Tasks that read the rows: wait until the last chunk is in. */
		struct timespec nap = { 0, 20 * 1000 };

		while (__atomic_load_n(&r->ctl->rows_done, __ATOMIC_ACQUIRE) < pass->rows)
			nanosleep(&nap, NULL);
		goto again;
	}
}

/* In the last worker to reach the end of step `step`, while the others wait: ends the
 * step, readies the slots for the next, checkpoints the state and commits. Until the
 * commit the parent treats a death here as a death inside the step. */
static void end_step(struct run *r, unsigned w, unsigned step, unsigned steps)
{
	const struct fb_pass *pass = r->pass;
	bool stop;

	r->ctl->ending = step;
	__atomic_store_n(&r->ctl->ender, w + 1, __ATOMIC_RELAXED);
	stop = (pass->step_end && pass->step_end(pass->ctx, step)) || step + 1 >= steps;
	r->ctl->cursor = 0;
	for (unsigned i = 0; i < r->workers; i++) {
		r->ctl->slot[i].state = SLOT_NEW;
		r->ctl->slot[i].pos = 0;
	}
	checkpoint(r, (step + 1) & 1, true);
	__atomic_store_n(&r->ctl->committed, (step + 1) | (stop ? STEPS_STOP : 0),
			 __ATOMIC_RELEASE);
	__atomic_store_n(&r->ctl->ender, 0, __ATOMIC_RELAXED);
}

/* The body of worker w, starting at step `first`; never returns. A stepped pass keeps
 * the worker for every step: after a step all meet at the barrier; the last to arrive
 * ends the step while the others wait at a second barrier. */
FB_NORETURN static void worker_main(struct run *r, unsigned w, unsigned first)
{
	const struct fb_pass *pass = r->pass;
	unsigned steps = pass->steps ? pass->steps : 1;
	uint32_t owner = (uint32_t)getpid();
	struct fb_barrier_local local = { 0 };

	for (unsigned step = first;; step++) {
		work_step(r, w, owner);
		if (!r->stepped)
			break;
		if (fb_barrier_wait(&r->ctl->barrier, &local))
			end_step(r, w, step, steps);
		fb_barrier_wait(&r->ctl->barrier, &local);
		if (__atomic_load_n(&r->ctl->committed, __ATOMIC_ACQUIRE) & STEPS_STOP)
			break;
	}
	_exit(0);
}

void fb_terminating_signals(sigset_t *set)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE,
				    SIGALRM };

	sigemptyset(set);
	for (size_t i = 0; i < FB_ARRAY_LEN(sigs); i++)
		sigaddset(set, sigs[i]);
}

/* Blocks the signals whose handler calls fb_pool_kill_active(); *old gets the mask
 * to restore. */
static void block_term(sigset_t *old)
{
	sigset_t term;

	fb_terminating_signals(&term);
	sigprocmask(SIG_BLOCK, &term, old);
}

/* In a worker: the parent's handler of sig gives way to the default action, but a
 * signal the parent was started with ignored (nohup, a shell's background job) stays
 * ignored, as it would in any child: the parent's handlers only ever replace a
 * disposition that was not SIG_IGN. */
static void default_unless_ignored(int sig)
{
	struct sigaction old;

	if (sigaction(sig, NULL, &old) == 0 && old.sa_handler != SIG_IGN)
		signal(sig, SIG_DFL);
}

/* Forks the worker for slot w, starting at step `first`. */
static int launch(struct run *r, unsigned w, unsigned first)
{
	sigset_t mask;
	pid_t p;

	block_term(&mask);
	p = fork();
	if (p == 0) {
		/* The parent decides what an interrupt does; a SIGTERM sent to this worker
		 * alone kills it, like any other signal. */
		signal(SIGINT, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		signal(SIGQUIT, SIG_IGN);
		default_unless_ignored(SIGTERM);
		default_unless_ignored(SIGUSR1);
		default_unless_ignored(SIGUSR2);
		default_unless_ignored(SIGPIPE);
		default_unless_ignored(SIGALRM);
		active_pid = NULL;
		sigprocmask(SIG_SETMASK, &r->old_mask, NULL);
		/* Die with the parent; if it is already gone, do not start. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != r->parent)
			_exit(1);
		if (r->opt->pin)
			pin_worker(w, &r->allowed);
		worker_main(r, w, first);
	}
	if (p > 0) {
		r->pid[w] = r->last_pid[w] = p;
		r->alive++;
	}
	sigprocmask(SIG_SETMASK, &mask, NULL);
	if (p < 0)
		return fb_error_errno("cannot fork worker %u", w);
	return 0;
}

/* Kills and reaps every worker still alive. */
static void stop_all(struct run *r)
{
	sigset_t mask;

	block_term(&mask);
	for (unsigned i = 0; i < r->workers; i++)
		if (r->pid[i] > 0)
			kill(r->pid[i], SIGKILL);
	for (unsigned i = 0; i < r->workers; i++) {
		if (r->pid[i] > 0) {
			while (waitpid(r->pid[i], NULL, 0) < 0 && errno == EINTR)
				;
			r->pid[i] = 0;
		}
	}
	r->alive = 0;
	sigprocmask(SIG_SETMASK, &mask, NULL);
}

/* Sets the control block for a start at step `first` (checkpoint first & 1 restored
 * unless this is the first start) and forks every worker. */
static int start_all(struct run *r, unsigned first, bool restore)
{
	struct control *c = r->ctl;

	if (restore)
		checkpoint(r, first & 1, false);
	fb_spin_init(&c->lock);
	fb_barrier_init(&c->barrier, r->workers);
	c->cursor = 0;
	c->task_cursor = 0;
	c->rows_done = (uint64_t)first * r->pass->rows;
	c->committed = first;
	c->ender = 0;
	for (unsigned w = 0; w < r->workers; w++) {
		c->slot[w].state = SLOT_NEW;
		c->slot[w].pos = 0;
	}
	for (unsigned w = 0; w < r->workers; w++)
		if (launch(r, w, first) < 0)
			return -1;
	return 0;
}

static void describe_status(int status, char *buf, size_t len)
{
	if (WIFSIGNALED(status)) {
		const char *abbrev = sigabbrev_np(WTERMSIG(status));

		if (abbrev)
			snprintf(buf, len, "killed by SIG%s", abbrev);
		else
			snprintf(buf, len, "killed by signal %d", WTERMSIG(status));
	} else {
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
	}
}

/* What the pass's rows are called in messages. */
static const char *unit(const struct fb_pass *pass)
{
	return pass->unit ? pass->unit : "rows";
}

/* What a hand [y0, y1) is called in messages: "rows 640-647", counted from the job's
 * first row, or "group 14" for a task. */
static void name_hand(const struct fb_pass *pass, uint32_t y0, uint32_t y1, char *buf,
		      size_t len)
{
	if (y0 >= pass->rows)
		snprintf(buf, len, "%s %u", pass->task_unit ? pass->task_unit : "task",
			 pass->task_origin + (y0 - pass->rows));
	else
		snprintf(buf, len, "%s %u-%u", unit(pass), pass->row_origin + y0,
			 pass->row_origin + y1 - 1);
}

static void describe_hand(const struct fb_pass *pass, const struct worker_slot *s, char *buf,
			  size_t len)
{
	char hand[48];

	name_hand(pass, s->y0, s->y1, hand, sizeof(hand));
	if (s->state == SLOT_WORKING)
		snprintf(buf, len, "in %s", hand);
	else if (s->state == SLOT_FINISHED)
		snprintf(buf, len, "after its last %s", unit(pass));
	else
		snprintf(buf, len, "before taking %s", unit(pass));
}

static void add_event(struct run *r, const char *fmt, ...) FB_PRINTF(2, 3);

static void add_event(struct run *r, const char *fmt, ...)
{
	char msg[512], **grown;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r->pass->notice)
		r->pass->notice(r->pass->pctx, msg);
	grown = realloc(r->events, (r->n_events + 1) * sizeof(*grown));
	if (!grown)
		return;	/* the event is only news; the run goes on */
	r->events = grown;
	if ((r->events[r->n_events] = strdup(msg)))
		r->n_events++;
}

/* One more death in the rows starting at y0, in the step under way (the pass's only
 * one if it has no steps); returns how many there have been there. */
static unsigned strike(struct run *r, uint32_t y0)
{
	uint32_t step = r->stepped ? __atomic_load_n(&r->ctl->committed, __ATOMIC_ACQUIRE) &
				     ~STEPS_STOP : 0;

	for (unsigned i = 0; i < r->n_strikes; i++)
		if (r->strikes[i].step == step && r->strikes[i].y0 == y0)
			return ++r->strikes[i].n;
	r->strikes[r->n_strikes] = (struct strike){ step, y0, 1 };
	r->n_strikes++;
	return 1;
}

enum holder { HOLDER_OTHER, HOLDER_DEAD, HOLDER_UNKNOWN };

/* Whether the lock is free or held by a live worker (HOLDER_OTHER), or held by the dead
 * worker `dead` (HOLDER_DEAD). Held with no owner named, it may be a live worker in the
 * two instructions between taking the word and naming itself, or the dead one, stopped
 * there or between the two stores of releasing: a live one gets 20 ms to show itself,
 * then it is HOLDER_UNKNOWN and treated like a dead holder (a rerun: slower, but
 * correct either way). The pid was reaped a moment ago with no fork since, so no live
 * process can hold it. */
static enum holder lock_holder(struct control *c, pid_t dead)
{
	for (int tries = 0;; tries++) {
		uint32_t owner;

		if (!fb_spin_is_held(&c->lock))
			return HOLDER_OTHER;
		owner = fb_spin_holder(&c->lock);
		if (owner != 0)
			return owner == (uint32_t)dead ? HOLDER_DEAD : HOLDER_OTHER;
		if (tries == 200)
			return HOLDER_UNKNOWN;
		usleep(100);
	}
}

/* A worker of slot w died (status). Replaces it, or reruns the pass or step, or fails
 * the pass; returns 0 or -1 (reported). */
static int on_death(struct run *r, unsigned w, pid_t p, int status)
{
	struct control *c = r->ctl;
	const struct worker_slot *s = &c->slot[w];
	char how[64], where[64], what[200];
	enum holder holder = lock_holder(c, p);
	bool in_lock = holder != HOLDER_OTHER;
	bool ending = r->stepped && __atomic_load_n(&c->ender, __ATOMIC_RELAXED) == w + 1;
	unsigned n, first;

	describe_status(status, how, sizeof(how));
	describe_hand(r->pass, s, where, sizeof(where));
	if (ending)
		snprintf(what, sizeof(what), "worker %u (pid %d) %s while ending step %u", w,
			 (int)p, how, c->ending + 1);
	else
		snprintf(what, sizeof(what), "worker %u (pid %d) %s %s%s", w, (int)p, how,
			 in_lock ? "holding the lock " : "", where);
	if (++r->deaths > FB_POOL_MAX_DEATHS)
		return fb_error("%u workers died in pass '%s' (the last: %s); giving up",
				r->deaths - 1, r->pass->name, what);
	/* Deaths with no rows in hand have no rows to blame; FB_POOL_MAX_DEATHS bounds
	 * them. */
	if (s->state == SLOT_WORKING && !ending &&
	    (n = strike(r, s->y0)) >= FB_POOL_STRIKES) {
		char hand[64];

		name_hand(r->pass, s->y0, s->y1, hand, sizeof(hand));
		return fb_error("%s of pass '%s' killed %s worker %u times (the last: worker %u, "
				"pid %d, %s); giving up", hand, r->pass->name,
				s->y0 >= r->pass->rows ? "its" : "their", n, w, (int)p, how);
	}
	if (!in_lock && !r->stepped) {
		if (s->state == SLOT_FINISHED) {
			add_event(r, "%s; nothing to redo", what);
			return 0;
		}
		if (s->state == SLOT_WORKING)
			add_event(r, "%s; %s redone", what,
				  s->y0 < r->pass->rows ? unit(r->pass) :
				  r->pass->task_unit ? r->pass->task_unit : "task");
		else
			add_event(r, "%s; replaced", what);
		return launch(r, w, 0);
	}

	/* Every other worker is stopped and the pass or step starts again from its
	 * checkpoint: after a death in the lock the shared totals cannot be trusted, and a
	 * stepped pass cannot take in a replacement halfway through a step (its barrier
	 * counts the workers), so any death restarts its step. Workers that died on their
	 * own meanwhile are reaped with the rest; their rows are redone too. */
	if (holder == HOLDER_DEAD && !r->stepped) {
		if (r->reran)
			return fb_error("%s, and the pass '%s' was already rerun once for that; "
					"giving up", what, r->pass->name);
		r->reran = true;
	}
	stop_all(r);
	first = __atomic_load_n(&c->committed, __ATOMIC_ACQUIRE);
	if (first & STEPS_STOP) {
		/* It died on its way out, after the last step was committed. */
		add_event(r, "%s after the last step; nothing to redo", what);
		return 0;
	}
	if (r->stepped && ending)
		add_event(r, "%s; the step was redone from its start", what);
	else if (r->stepped)
		add_event(r, "%s of step %u; the step was redone from its start", what,
			  first + 1);
	else
		add_event(r, "%s; the totals could not be trusted, so the pass '%s' was rerun "
			  "from its start", what, r->pass->name);
	return start_all(r, first, true);
}

/* Reaps whatever has exited; returns -1 after reporting an unrecoverable failure. */
static int reap_blocked(struct run *r)
{
	for (unsigned i = 0; i < r->workers; i++) {
		int status;
		pid_t got, p = r->pid[i];

		if (p <= 0)
			continue;
		got = waitpid(p, &status, WNOHANG);
		if (got == 0)
			continue;
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return fb_error_errno("cannot wait for worker %u (pid %d)", i, (int)p);
		}
		r->pid[i] = 0;
		r->alive--;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			if (on_death(r, i, p, status) < 0)
				return -1;
			/* A rerun restarted every slot: scan them again. */
			i = (unsigned)-1;
		}
	}
	return 0;
}

static int reap(struct run *r)
{
	sigset_t mask;
	int rc;

	block_term(&mask);
	rc = reap_blocked(r);
	sigprocmask(SIG_SETMASK, &mask, NULL);
	return rc;
}

/* The --timeout error: which workers were still busy, and where. */
static int timed_out(struct run *r)
{
	char where[64];
	unsigned busy = 0, first = 0;

	for (unsigned w = 0; w < r->workers; w++) {
		if (r->pid[w] > 0 && r->ctl->slot[w].state == SLOT_WORKING && busy++ == 0)
			first = w;
	}
	if (busy == 0)
		return fb_error("the run took longer than --timeout %g s, in pass '%s'; its "
				"workers were stopped", r->opt->timeout_s, r->pass->name);
	describe_hand(r->pass, &r->ctl->slot[first], where, sizeof(where));
	return fb_error("the run took longer than --timeout %g s: worker %u (pid %d) was still "
			"%s of pass '%s'%s; its workers were stopped", r->opt->timeout_s, first,
			(int)r->pid[first], where, r->pass->name,
			busy > 1 ? " (and other workers were busy)" : "");
}

static int validate(const struct fb_pool_options *opt, const struct fb_pass *pass)
{
	if (opt->workers < 1 || opt->workers > FB_POOL_MAX_WORKERS)
		return fb_error("worker count %u is out of range (1 to %d)", opt->workers,
				FB_POOL_MAX_WORKERS);
	if ((unsigned)opt->schedule >= FB_SCHED_COUNT)
		FB_BUG("bad schedule %d", (int)opt->schedule);
	if (!pass->compute)
		FB_BUG("pass '%s' has no compute callback", pass->name);
	if (pass->tasks && (!pass->task || pass->steps > 1 || pass->step_end ||
			    pass->rows > UINT32_MAX - pass->tasks))
		FB_BUG("pass '%s' has tasks it cannot run", pass->name);
	if ((pass->fold || pass->step_end) && !pass->state[0].p)
		FB_BUG("pass '%s' folds totals but names no state to checkpoint", pass->name);
	for (int i = 0; i < FB_PASS_STATE_MAX; i++)
		if (pass->state[i].zero && (pass->steps > 1 || pass->step_end))
			FB_BUG("stepped pass '%s' has state marked zero", pass->name);
	return 0;
}

static void free_events(char **events, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		free(events[i]);
	free(events);
}

/* Sizes and maps the control block and the checkpoints. */
static int map_control(struct run *r)
{
	size_t ckpt;

	r->state_size = 0;
	for (int i = 0; i < FB_PASS_STATE_MAX; i++)
		if (r->pass->state[i].p && !r->pass->state[i].zero &&
		    !fb_size_add(r->state_size, r->pass->state[i].size, &r->state_size))
			return fb_error("the pass's state is too large");
	if (!fb_size_mul(sizeof(struct worker_slot), r->workers, &r->ctl_size) ||
	    !fb_size_add(r->ctl_size, sizeof(struct control), &r->ctl_size) ||
	    !fb_size_mul(r->state_size, 2, &ckpt) ||
	    !fb_size_add(r->ctl_size, ckpt, &r->ctl_size))
		return fb_error("control block for %u workers is too large", r->workers);
	r->ctl = shared_malloc_or_error(r->ctl_size);
	if (!r->ctl)
		return -1;
	r->ckpt = (uint8_t *)r->ctl + r->ctl_size - ckpt;
	return 0;
}

int fb_pool_run(const struct fb_pool_options *opt, const struct fb_pass *pass,
		struct fb_pass_stats *stats)
{
	struct run *r;
	sigset_t chld;
	struct sigaction dfl = { 0 }, old_chld;
	uint64_t start, last_progress = 0;
	bool parent_busy;
	int rc = -1;

	memset(stats, 0, sizeof(*stats));
	if (validate(opt, pass) < 0)
		return -1;
	r = calloc(1, sizeof(*r));
	if (!r)
		return fb_error("out of memory");
	*r = (struct run){
		.pass = pass, .opt = opt, .schedule = opt->schedule, .workers = opt->workers,
		.stepped = pass->steps > 1 || pass->step_end, .parent = getpid(),
	};
	r->chunk = opt->chunk ? opt->chunk
			      : fb_schedule_default_chunk(opt->schedule, pass->rows, opt->workers);
	if (pass->align > 1) {	/* whole blocks (claim()); the stats say so too */
		uint64_t c = ((uint64_t)r->chunk + pass->align - 1) / pass->align * pass->align;

		r->chunk = c < UINT32_MAX ? (uint32_t)c : UINT32_MAX / pass->align * pass->align;
	}
	CPU_ZERO(&r->allowed);
	if (opt->pin && (sched_getaffinity(0, sizeof(r->allowed), &r->allowed) < 0 ||
			 CPU_COUNT(&r->allowed) == 0)) {
		fb_error_errno("cannot read the CPUs this process may run on");
		free(r);
		return -1;
	}
	if (map_control(r) < 0) {
		free(r);
		return -1;
	}
	r->pid = calloc(opt->workers, sizeof(*r->pid));
	r->last_pid = calloc(opt->workers, sizeof(*r->last_pid));
	if (pass->partial_size)
		r->partial = malloc(pass->partial_size);
	if (!r->pid || !r->last_pid || (pass->partial_size && !r->partial)) {
		fb_error("out of memory");
		goto out;
	}
	checkpoint(r, 0, true);
	fb_fault_pass_start(pass->name);

	/* SIGCHLD stays pending while blocked, so sigtimedwait() below wakes the moment a
	 * worker exits instead of polling. Children restore the old mask. An inherited
	 * SIG_IGN would have the kernel reap the workers and lose their exit status, so
	 * the default disposition is set for the pass and restored after. */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &r->old_mask);
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(SIGCHLD, &dfl, &old_chld);

	/* Buffered output would otherwise be inherited and could be flushed twice. */
	fflush(stdout);
	fflush(stderr);
	active_n = opt->workers;
	active_pid = r->pid;
	start = fb_now_ns();
	if (start_all(r, 0, false) < 0)
		goto stop;

	parent_busy = pass->parent_work != NULL;
	while (r->alive > 0) {
		struct timespec timeout = { 0, 100 * 1000 * 1000 };
		uint64_t now;

		if (reap(r) < 0)
			goto stop;
		if (r->alive == 0)
			break;
		now = fb_now_ns();
		if (opt->deadline_ns && now >= opt->deadline_ns) {
			timed_out(r);
			goto stop;
		}
		if (opt->deadline_ns && opt->deadline_ns - now < 100 * 1000 * 1000)
			timeout.tv_nsec = (long)(opt->deadline_ns - now);
		if (pass->progress && now - last_progress >= 100 * 1000 * 1000) {
			pass->progress(pass->pctx, pass,
				       __atomic_load_n(&r->ctl->rows_done, __ATOMIC_RELAXED) /
					       (pass->steps ? pass->steps : 1));
			last_progress = now;
		}
		if (parent_busy || (pass->parent_work && pass->parent_poll)) {
			/* A slice of the parent's own work, then only a look for news; a
			 * message loop is looked at again within half a millisecond. */
			parent_busy = pass->parent_work(pass->pctx);
			timeout.tv_nsec = parent_busy ? 0 : pass->parent_poll ? 500 * 1000
									    : timeout.tv_nsec;
		}
		if (sigtimedwait(&chld, NULL, &timeout) < 0 && errno != EAGAIN &&
		    errno != EINTR) {
			fb_error_errno("cannot wait for workers");
			goto stop;
		}
	}
	{
		uint32_t steps = r->ctl->committed & ~STEPS_STOP;

		if (r->ctl->rows_done != (uint64_t)pass->rows * (steps ? steps : 1) + pass->tasks) {
			/* Only possible through a schedule bug: fail loudly rather than emit
			 * an image with holes. */
			FB_BUG("pass '%s' computed %llu rows and tasks, not %u per step and %u",
			       pass->name, (unsigned long long)r->ctl->rows_done, pass->rows,
			       pass->tasks);
		}
	}

	stats->wall_s = (double)(fb_now_ns() - start) / 1e9;
	stats->chunk = r->chunk;
	stats->workers = opt->workers;
	stats->worker = calloc(opt->workers, sizeof(*stats->worker));
	if (!stats->worker) {
		fb_error("out of memory");
		goto restore;
	}
	for (unsigned w = 0; w < opt->workers; w++) {
		const struct worker_slot *s = &r->ctl->slot[w];

		stats->worker[w] = (struct fb_worker_stats){
			.pid = r->last_pid[w], .rows = s->rows, .chunks = s->chunks,
			.busy_ns = s->busy_ns,
		};
	}
	stats->events = r->events;
	stats->n_events = r->n_events;
	r->events = NULL;
	r->n_events = 0;
	if (pass->progress)
		pass->progress(pass->pctx, pass, (uint64_t)pass->rows + pass->tasks);
	rc = 0;
	goto restore;
stop:
	stop_all(r);
restore:
	active_pid = NULL;
	/* Drop a SIGCHLD left pending by the last exits before unblocking, so a caller's
	 * handler does not see a stale one. */
	{
		struct timespec zero = { 0, 0 };

		while (sigtimedwait(&chld, NULL, &zero) > 0)
			;
	}
	sigaction(SIGCHLD, &old_chld, NULL);
	sigprocmask(SIG_SETMASK, &r->old_mask, NULL);
out:
	free_events(r->events, r->n_events);
	free(r->partial);
	free(r->pid);
	free(r->last_pid);
	shared_free(r->ctl, r->ctl_size);
	free(r);
	return rc;
}

void fb_pass_stats_free(struct fb_pass_stats *stats)
{
	free(stats->worker);
	stats->worker = NULL;
	free_events(stats->events, stats->n_events);
	stats->events = NULL;
	stats->n_events = 0;
}
