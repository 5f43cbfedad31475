/* sum_squares.c: a loop of your own, parallelised with libforkband.
 *
 * The loop adds up value(x, y)^2 over a ROWS x COLS grid. It runs three ways, and the
 * program checks that they agree:
 *   1. serially, as the reference;
 *   2. with fb_pool_run(): the pool forks the workers, hands them rows, folds each
 *      chunk's partial sum under its spinlock, and redoes the rows of a worker that dies;
 *   3. the lecture's way, by hand: shared_malloc() before fork(), one band of rows per
 *      child, and a struct fb_spinlock around the shared total.
 * It prints one line per way and exits 0 when all agree, 1 when one does not, 2 on a
 * bad argument.
 *
 * Build it against the installed library (docs/library.md):
 *   cc sum_squares.c $(pkg-config --cflags --libs forkband) -o sum_squares
 * or with CMake: examples/CMakeLists.txt. Run: ./sum_squares [WORKERS]
 */

/* forkband's headers first: they set _GNU_SOURCE, which must come before any system
 * header (or pass -D_GNU_SOURCE). */
#include <forkband/error.h>
#include <forkband/pool.h>
#include <forkband/shared_mem.h>
#include <forkband/spinlock.h>

#include <inttypes.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#define ROWS 1500
#define COLS 1500

/* Any function of the position: an index formula, so every run adds the same numbers.
 * Integers, so the sum is exact whatever order the workers add in. */
static uint64_t value(uint32_t x, uint32_t y)
{
	return ((uint64_t)x * 7 + (uint64_t)y * 13) % 1001;
}

static uint64_t row_sum(uint32_t y)
{
	uint64_t s = 0;

	for (uint32_t x = 0; x < COLS; x++)
		s += value(x, y) * value(x, y);
	return s;
}

/* What the workers share. It is mapped with shared_malloc() before any fork(), so what
 * a worker writes here the parent reads after the workers are gone; everything else a
 * worker writes (locals, globals, the heap) is its private copy and is lost. */
struct shared {
	uint64_t row[ROWS];		/* 2: compute() leaves each row's sum here */
	uint64_t pool_total;		/* 2: fold() adds each chunk's sum here */
	struct fb_spinlock lock;	/* 3: guards hand_total */
	uint64_t hand_total;		/* 3: each child adds its band's sum here */
};

/* 2. The pool calls this in a worker for each chunk of rows [y0, y1). partial is the
 * worker's own, zeroed for every chunk; a chunk may be computed twice (when its worker
 * died), so compute() writes only its rows and the partial, never a running total. */
static void compute(void *ctx, uint32_t y0, uint32_t y1, void *partial)
{
	struct shared *sh = ctx;
	uint64_t *sum = partial;

	for (uint32_t y = y0; y < y1; y++) {
		sh->row[y] = row_sum(y);
		*sum += sh->row[y];
	}
}

/* ... and this once the chunk is done, inside the pool's own spinlock: the lecture's
 * "lock, add, unlock", once per chunk rather than once per value. */
static void fold(void *ctx, const void *partial)
{
	struct shared *sh = ctx;

	sh->pool_total += *(const uint64_t *)partial;
}

static int with_pool(struct shared *sh, unsigned workers)
{
	struct fb_pass pass = {
		.name = "sum_squares",
		.rows = ROWS,
		.ctx = sh,
		.partial_size = sizeof(uint64_t),
		.compute = compute,
		.fold = fold,
		/* Every byte fold() writes: if a worker dies inside the lock, the pool restores
		 * this (to zero) and reruns the pass. */
		.state = { { .p = &sh->pool_total, .size = sizeof(sh->pool_total), .zero = true } },
	};
	struct fb_pool_options opt = {
		.workers = workers,
		.schedule = FB_SCHED_DYNAMIC,	/* chunk 0: the default size */
	};
	struct fb_pass_stats stats;

	if (fb_pool_run(&opt, &pass, &stats) < 0)
		return -1;	/* the pool has printed why */
	fb_pass_stats_free(&stats);
	return 0;
}

/* 3. The lecture's program with forkband's lock: child w sums its band of rows and adds
 * it to the shared total under the lock. (The pool does all of this, and more: it
 * balances the load and survives a child's death.) */
static int by_hand(struct shared *sh, unsigned workers)
{
	int failed = 0;
	unsigned forked = 0;

	fb_spin_init(&sh->lock);
	for (unsigned w = 0; w < workers; w++) {
		pid_t pid = fork();

		if (pid < 0) {	/* wait for the children already running, then fail */
			fb_error_errno("cannot fork");
			failed = 1;
			break;
		}
		if (pid == 0) {
			uint64_t mine = 0;

			for (uint32_t y = (uint32_t)(w * ROWS / workers);
			     y < (uint32_t)((w + 1) * ROWS / workers); y++)
				mine += row_sum(y);
			fb_spin_lock(&sh->lock, (uint32_t)getpid());
			sh->hand_total += mine;	/* a read-modify-write: it needs the lock */
			fb_spin_unlock(&sh->lock);
			_exit(0);
		}
		forked++;
	}
	for (unsigned w = 0; w < forked; w++) {
		int status;

		if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed = 1;
	}
	return failed ? fb_error("the sum by hand failed") : 0;
}

int main(int argc, char **argv)
{
	uint64_t workers = fb_usable_cpus(), serial = 0;
	struct shared *sh;
	int ok = 1;

	/* Messages from the library are prefixed with the program's name. */
	fb_error_set_program("sum_squares");
	if (argc > 2 || (argc == 2 && (!fb_parse_count(argv[1], FB_POOL_MAX_WORKERS, &workers) ||
				       workers == 0))) {
		fprintf(stderr, "usage: sum_squares [WORKERS]  (1 to %d)\n", FB_POOL_MAX_WORKERS);
		return 2;
	}

	for (uint32_t y = 0; y < ROWS; y++)
		serial += row_sum(y);
	printf("serial:          %" PRIu64 "\n", serial);

	/* Zeroed, page-aligned, shared with every child forked from now on. */
	sh = shared_malloc_or_error(sizeof(*sh));
	if (!sh)
		return 1;

	if (with_pool(sh, (unsigned)workers) < 0) {
		ok = 0;
	} else {
		bool rows_ok = true;

		for (uint32_t y = 0; y < ROWS; y++)
			rows_ok = rows_ok && sh->row[y] == row_sum(y);
		printf("fb_pool_run:     %" PRIu64 " (%" PRIu64 " worker%s, rows %s)  %s\n",
		       sh->pool_total, workers, workers == 1 ? "" : "s", rows_ok ? "ok" : "WRONG",
		       sh->pool_total == serial && rows_ok ? "ok" : "WRONG");
		ok = sh->pool_total == serial && rows_ok;
	}

	if (by_hand(sh, (unsigned)workers) < 0) {
		ok = 0;
	} else {
		printf("fork + spinlock: %" PRIu64 " (%" PRIu64 " worker%s)  %s\n", sh->hand_total,
		       workers, workers == 1 ? "" : "s", sh->hand_total == serial ? "ok" : "WRONG");
		ok = ok && sh->hand_total == serial;
	}

	shared_free(sh, sizeof(*sh));
	return ok ? 0 : 1;
}
