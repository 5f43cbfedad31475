/* test_pool_recovery.c: the pool survives workers that die.
 *
 * - A worker that dies once (a signal or an exit status) costs a redo of its chunk:
 *   every row is written, the folded totals are exact (each row counted once), and the
 *   pass's events name the worker, its pid, the signal and the rows.
 * - A worker that dies inside the lock, after folding half its totals, makes the pool
 *   rerun the pass from the checkpoint: the totals are still exact. Twice fails.
 * - Rows that kill their worker every time fail the pass after 3 deaths, naming the
 *   rows and the signal, with every worker reaped.
 * - A stepped pass restarts the step, also after a death while the step was being
 *   ended: the per-step totals stay exact.
 * - Tasks after the rows (tasks_after) see every row, also after a death in the rows.
 * - An aligned pass gets only chunks of whole blocks from row 0, also when redone.
 * Every schedule, 1 to 4 workers.
 */
#include "runtime/compat.h"

#include "check.h"
#include "runtime/error.h"
#include "runtime/pool.h"
#include "runtime/shared_mem.h"

#include <errno.h>
#include <stddef.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define ROWS 96
#define TASKS 6

static char last_msg[512];

static void capture(const char *msg, void *ctx)
{
	(void)ctx;
	snprintf(last_msg, sizeof(last_msg), "%s", msg);
}

enum how { DIE_SEGV, DIE_EXIT, DIE_KILL, DIE_IN_LOCK, DIE_IN_STEP_END };

/* All shared: mapped before the pool forks. */
struct shared {
	/* The pass's state (what fold and step_end write), checkpointed by the pool. */
	uint64_t totals[2];	/* sum of the rows' values, rows computed: folded */
	uint64_t step_sum;	/* stepped: the sum of all steps' totals, by step_end */
	uint32_t step;
	/* The rest is not. */
	uint64_t out[ROWS];	/* row y holds y * y + 1 + step once computed */
	uint32_t task_saw[TASKS];	/* tasks_after: 1 every row was there, 2 one was not */
	uint32_t misaligned;	/* aligned: chunks that did not start or end on a block */
	int64_t deaths_left;	/* faults still to happen */
};

struct ctx {
	struct shared *sh;
	uint32_t row;		/* the row that kills its worker */
	enum how how;
};

FB_NORETURN static void die(enum how how)
{
	if (how == DIE_EXIT)
		_exit(3);
	/* A sanitizer build catches SIGSEGV itself; die as a plain build would. */
	signal(SIGSEGV, SIG_DFL);
	kill(getpid(), how == DIE_SEGV ? SIGSEGV : SIGKILL);
	for (;;)
		pause();
}

static bool take_death(struct shared *sh)
{
	return __atomic_fetch_sub(&sh->deaths_left, 1, __ATOMIC_RELAXED) > 0;
}

static void rows_cb(void *vctx, uint32_t y0, uint32_t y1, void *vpart)
{
	struct ctx *c = vctx;
	uint64_t *part = vpart;

	for (uint32_t y = y0; y < y1; y++) {
		if (y == c->row && c->how < DIE_IN_LOCK && take_death(c->sh))
			die(c->how);
		c->sh->out[y] = (uint64_t)y * y + 1 + c->sh->step;
		part[0] += c->sh->out[y];
		part[1]++;
	}
	usleep(300);	/* the others are still busy when the fault happens */
}

/* Under the lock: half the fold, then death, for the chunk holding the row. */
static void fold_cb(void *vctx, const void *vpart)
{
	struct ctx *c = vctx;
	const uint64_t *part = vpart;

	c->sh->totals[0] += part[0];
	if (c->how == DIE_IN_LOCK && c->sh->out[c->row] && take_death(c->sh))
		kill(getpid(), SIGKILL);
	c->sh->totals[1] += part[1];
}

static bool step_end_cb(void *vctx, unsigned step)
{
	struct ctx *c = vctx;

	(void)step;
	c->sh->step_sum += c->sh->totals[0];
	/* Half of the step's end done: the restart must undo it. */
	if (c->how == DIE_IN_STEP_END && c->sh->step == 2 && take_death(c->sh))
		kill(getpid(), SIGKILL);
	c->sh->totals[0] = c->sh->totals[1] = 0;
	c->sh->step++;
	return false;
}

static uint64_t expected_sum(uint32_t step)
{
	uint64_t sum = 0;

	for (uint64_t y = 0; y < ROWS; y++)
		sum += y * y + 1 + step;
	return sum;
}

static void no_children(const char *what)
{
	CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD, "%s: a worker was left behind",
	      what);
}

static int run(struct ctx *c, enum fb_schedule s, unsigned workers, unsigned steps,
	       int64_t deaths, struct fb_pass_stats *st)
{
	struct fb_pool_options opt = { .workers = workers, .schedule = s, .chunk = 8 };
	struct fb_pass pass = {
		.name = "test", .rows = ROWS, .ctx = c, .compute = rows_cb, .fold = fold_cb,
		.partial_size = 2 * sizeof(uint64_t), .steps = steps,
		.step_end = steps > 1 ? step_end_cb : NULL,
		.state = { { c->sh, offsetof(struct shared, out), false } },
	};

	memset(c->sh, 0, sizeof(*c->sh));
	c->sh->deaths_left = deaths;
	last_msg[0] = '\0';
	return fb_pool_run(&opt, &pass, st);
}

static void recovers(enum fb_schedule s, unsigned workers, enum how how, unsigned steps,
		     const char *want)
{
	static const char *const hows[] = { "SIGSEGV", "exit 3", "SIGKILL", "in lock",
					    "in step end" };
	struct ctx c = { .sh = shared_malloc(sizeof(struct shared)), .row = 41, .how = how };
	struct fb_pass_stats st;
	char what[128];
	int rc;

	snprintf(what, sizeof(what), "%s, %u workers, %s, %u steps", fb_schedule_name(s),
		 workers, hows[how], steps);
	CHECK(c.sh != NULL, "cannot map");
	if (!c.sh)
		return;
	rc = run(&c, s, workers, steps, 1, &st);
	CHECK(rc == 0, "%s: the pass failed: %s", what, last_msg);
	no_children(what);
	if (rc == 0) {
		uint32_t last = steps > 1 ? steps - 1 : 0;

		for (uint32_t y = 0; y < ROWS; y++)
			CHECK(c.sh->out[y] == (uint64_t)y * y + 1 + last, "%s: row %u is %llu", what,
			      y, (unsigned long long)c.sh->out[y]);
		if (steps > 1) {
			uint64_t want_sum = 0;

			for (uint32_t k = 0; k < steps; k++)
				want_sum += expected_sum(k);
			CHECK(c.sh->step_sum == want_sum, "%s: steps' sum %llu, not %llu", what,
			      (unsigned long long)c.sh->step_sum, (unsigned long long)want_sum);
		} else {
			CHECK(c.sh->totals[0] == expected_sum(0) && c.sh->totals[1] == ROWS,
			      "%s: totals %llu/%llu, not %llu/%u", what,
			      (unsigned long long)c.sh->totals[0],
			      (unsigned long long)c.sh->totals[1],
			      (unsigned long long)expected_sum(0), ROWS);
		}
		CHECK(st.n_events == 1, "%s: %u events", what, st.n_events);
		if (st.n_events)
			CHECK(strstr(st.events[0], want) && strstr(st.events[0], "(pid "),
			      "%s: event '%s' lacks '%s'", what, st.events[0], want);
		if (st.n_events && s == FB_SCHED_DYNAMIC && workers == 3)
			printf("  %s: %s\n", what, st.events[0]);
		fb_pass_stats_free(&st);
	}
	shared_free(c.sh, sizeof(struct shared));
}

static void gives_up(enum fb_schedule s, unsigned workers, enum how how, int64_t deaths,
		     const char *want)
{
	struct ctx c = { .sh = shared_malloc(sizeof(struct shared)), .row = 41, .how = how };
	struct fb_pass_stats st;
	uint64_t t0 = fb_now_ns();
	int rc;

	CHECK(c.sh != NULL, "cannot map");
	if (!c.sh)
		return;
	rc = run(&c, s, workers, 1, deaths, &st);
	CHECK(rc == -1, "%s, %u workers: a pass whose rows always kill returned %d",
	      fb_schedule_name(s), workers, rc);
	CHECK(strstr(last_msg, want) != NULL, "message '%s' lacks '%s'", last_msg, want);
	no_children(last_msg);
	CHECK(fb_now_ns() - t0 < 5000000000ull, "giving up took %.1f s",
	      (double)(fb_now_ns() - t0) / 1e9);
	if (s == FB_SCHED_DYNAMIC && workers == 3)
		printf("  gives up: %s\n", last_msg);
	shared_free(c.sh, sizeof(struct shared));
}

/* A task that reads the rows: all of them must be there. */
static void task_cb(void *vctx, uint32_t i)
{
	struct ctx *c = vctx;
	bool all = true;

	for (uint32_t y = 0; y < ROWS; y++)
		all = all && c->sh->out[y] == (uint64_t)y * y + 1;
	c->sh->task_saw[i] = all ? 1 : 2;
}

/* tasks_after: the tasks run once every row is in, also when a worker died in the rows
 * (the others wait for its replacement's redo). */
static void tasks_after(enum fb_schedule s, unsigned workers)
{
	struct ctx c = { .sh = shared_malloc(sizeof(struct shared)), .row = 70, .how = DIE_KILL };
	struct fb_pool_options opt = { .workers = workers, .schedule = s, .chunk = 8 };
	struct fb_pass pass = {
		.name = "test", .rows = ROWS, .ctx = &c, .compute = rows_cb, .fold = fold_cb,
		.partial_size = 2 * sizeof(uint64_t), .tasks = TASKS, .task = task_cb,
		.tasks_after = true,
		.state = { { c.sh, offsetof(struct shared, out), false } },
	};
	struct fb_pass_stats st;

	memset(c.sh, 0, sizeof(*c.sh));
	c.sh->deaths_left = 1;
	CHECK(fb_pool_run(&opt, &pass, &st) == 0, "tasks after rows, %s, %u workers: %s",
	      fb_schedule_name(s), workers, last_msg);
	for (unsigned i = 0; i < TASKS; i++)
		CHECK(c.sh->task_saw[i] == 1, "tasks after rows, %s, %u workers: task %u saw %s",
		      fb_schedule_name(s), workers, i,
		      c.sh->task_saw[i] ? "rows missing" : "nothing (never ran)");
	CHECK(c.sh->totals[1] == ROWS, "tasks after rows: %llu rows folded",
	      (unsigned long long)c.sh->totals[1]);
	fb_pass_stats_free(&st);
	shared_free(c.sh, sizeof(struct shared));
	no_children("tasks after rows");
}

#define ALIGN 7

/* rows_cb for an aligned pass: counts the chunks that are not whole blocks. */
static void aligned_cb(void *vctx, uint32_t y0, uint32_t y1, void *vpart)
{
	struct ctx *c = vctx;

	if (y0 % ALIGN || (y1 % ALIGN && y1 != ROWS))
		__atomic_add_fetch(&c->sh->misaligned, 1, __ATOMIC_RELAXED);
	rows_cb(vctx, y0, y1, vpart);
}

/* align 7 over 96 rows (the last block 5 rows), at chunks of 1, 5 and 13 rows, with a
 * worker killed in row 41: every chunk whole blocks, every row once. */
static void aligned(enum fb_schedule s, unsigned workers)
{
	static const uint32_t chunks[] = { 1, 5, 13 };

	for (size_t i = 0; i < FB_ARRAY_LEN(chunks); i++) {
		struct ctx c = { .sh = shared_malloc(sizeof(struct shared)), .row = 41,
				 .how = DIE_KILL };
		struct fb_pool_options opt = { .workers = workers, .schedule = s,
					       .chunk = chunks[i] };
		struct fb_pass pass = {
			.name = "test", .rows = ROWS, .align = ALIGN, .ctx = &c,
			.compute = aligned_cb, .fold = fold_cb,
			.partial_size = 2 * sizeof(uint64_t),
			.state = { { c.sh, offsetof(struct shared, out), false } },
		};
		struct fb_pass_stats st;
		uint64_t sum = 0;

		memset(c.sh, 0, sizeof(*c.sh));
		c.sh->deaths_left = 1;
		for (uint32_t y = 0; y < ROWS; y++)
			sum += (uint64_t)y * y + 1;
		CHECK(fb_pool_run(&opt, &pass, &st) == 0, "aligned, %s, %u workers: %s",
		      fb_schedule_name(s), workers, last_msg);
		CHECK(c.sh->misaligned == 0 && c.sh->totals[1] == ROWS && c.sh->totals[0] == sum,
		      "aligned, %s, %u workers, chunk %u: %u chunks not whole blocks, %llu rows "
		      "folded", fb_schedule_name(s), workers, chunks[i], c.sh->misaligned,
		      (unsigned long long)c.sh->totals[1]);
		CHECK(c.sh->deaths_left <= 0 && st.n_events == 1,
		      "aligned, %s, %u workers: the worker was not killed and its rows redone "
		      "(deaths left %lld, %u events)", fb_schedule_name(s), workers,
		      (long long)c.sh->deaths_left, st.n_events);
		fb_pass_stats_free(&st);
		shared_free(c.sh, sizeof(struct shared));
		no_children("aligned");
	}
}

int main(void)
{
	fb_error_set_sink(capture, NULL);
	for (int s = 0; s < FB_SCHED_COUNT; s++) {
		for (unsigned w = 1; w <= 4; w++) {
			enum fb_schedule sc = (enum fb_schedule)s;

			recovers(sc, w, DIE_SEGV, 1, "killed by SIGSEGV in rows ");
			recovers(sc, w, DIE_EXIT, 1, "exited with status 3 in rows ");
			recovers(sc, w, DIE_KILL, 1, "; rows redone");
			recovers(sc, w, DIE_IN_LOCK, 1, "holding the lock");
			recovers(sc, w, DIE_SEGV, 5, "the step was redone");
			recovers(sc, w, DIE_IN_LOCK, 5, "holding the lock");
			recovers(sc, w, DIE_IN_STEP_END, 5, "while ending step 3;");
			gives_up(sc, w, DIE_SEGV, 1000, "killed their worker 3 times");
			gives_up(sc, w, DIE_SEGV, 1000, "SIGSEGV");
			gives_up(sc, w, DIE_IN_LOCK, 2, "already rerun once");
			tasks_after(sc, w);
			aligned(sc, w);
		}
	}
	/* The rows named: a chunk of 8 rows holding row 41. */
	gives_up(FB_SCHED_DYNAMIC, 3, DIE_SEGV, 1000, "rows 40-47 ");
	/* Bad options are refused before any fork. */
	{
		struct ctx c = { 0 };
		struct fb_pool_options opt = { .workers = 0, .schedule = FB_SCHED_DYNAMIC };
		struct fb_pass pass = { .name = "t", .rows = 4, .ctx = &c, .compute = rows_cb };
		struct fb_pass_stats st;

		CHECK(fb_pool_run(&opt, &pass, &st) == -1, "0 workers accepted");
		CHECK(strstr(last_msg, "worker count 0") != NULL, "message '%s'", last_msg);
	}
	return check_exit("test_pool_recovery");
}
