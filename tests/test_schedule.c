/* test_schedule.c: every schedule computes every row exactly once.
 *
 * Two levels: the pure row-assignment functions over a large grid of heights, worker
 * counts and chunks (cheap), and the real pool (fork, shared cursor, lock, fold,
 * progress) over the awkward cases: odd heights, fewer rows than workers, a chunk
 * larger than the image.
 */
#include "runtime/compat.h"

#include "check.h"
#include "runtime/pool.h"
#include "runtime/shared_mem.h"

#include <string.h>
#include <unistd.h>

static const uint32_t heights[] = { 0, 1, 2, 7, 97, 1000, 1081 };
static const unsigned workers[] = { 1, 2, 3, 7, 16, 64 };
static const uint32_t chunks[] = { 0, 1, 5, 33, 5000 };

/* Simulates the pool's hand-out of rows without processes: private schedules per
 * worker, the shared cursor handed round-robin. */
static void simulate(enum fb_schedule s, uint32_t rows, unsigned n, uint32_t chunk)
{
	uint32_t *hits = calloc(rows + 1, sizeof(*hits));
	uint32_t c = chunk ? chunk : fb_schedule_default_chunk(s, rows, n);
	uint32_t y0, y1;

	if (fb_schedule_is_shared(s)) {
		uint64_t cursor = 0;

		while (fb_schedule_next_shared(s, rows, n, c, &cursor, &y0, &y1)) {
			CHECK(y0 < y1 && y1 <= rows, "bad chunk [%u, %u)", y0, y1);
			CHECK(y1 - y0 >= c || y1 == rows, "chunk of %u below minimum %u", y1 - y0, c);
			for (uint32_t y = y0; y < y1 && y1 <= rows; y++)
				hits[y]++;
		}
	} else {
		for (unsigned w = 0; w < n; w++) {
			uint64_t pos = 0;
			int64_t last = -1;

			while (fb_schedule_next_private(s, rows, n, c, w, &pos, &y0, &y1)) {
				CHECK(y0 < y1 && y1 <= rows, "bad chunk [%u, %u)", y0, y1);
				CHECK((int64_t)y0 > last, "worker %u went backwards", w);
				if (s == FB_SCHED_STATIC) {
					/* One contiguous band, the lecture's split. */
					CHECK(last < 0 || (int64_t)y0 == last + 1, "static band has a gap");
					CHECK(y0 >= (uint64_t)rows * w / n &&
						      y1 <= (uint64_t)rows * (w + 1) / n,
					      "static rows outside worker %u's band", w);
				}
				if (s == FB_SCHED_CYCLIC)
					CHECK(y0 / c % n == w, "cyclic block %u given to worker %u", y0 / c, w);
				for (uint32_t y = y0; y < y1 && y1 <= rows; y++)
					hits[y]++;
				last = (int64_t)y1 - 1;
			}
		}
	}
	for (uint32_t y = 0; y < rows; y++)
		CHECK(hits[y] == 1, "%s rows=%u workers=%u chunk=%u: row %u computed %u times",
		      fb_schedule_name(s), rows, n, chunk, y, hits[y]);
	free(hits);
}

struct pool_ctx {
	uint32_t *hits;		/* shared: per-row count */
	pid_t *owner;		/* shared: pid that computed the row */
	uint64_t *folded;	/* shared: rows folded under the lock */
	uint64_t progress_last;
	unsigned progress_calls;
};

static void rows_cb(void *vctx, uint32_t y0, uint32_t y1, void *partial)
{
	struct pool_ctx *c = vctx;

	for (uint32_t y = y0; y < y1; y++) {
		__atomic_fetch_add(&c->hits[y], 1, __ATOMIC_RELAXED);
		c->owner[y] = getpid();
	}
	*(uint64_t *)partial += y1 - y0;
}

static void fold_cb(void *vctx, const void *partial)
{
	struct pool_ctx *c = vctx;

	*c->folded += *(const uint64_t *)partial;
}

static void progress_cb(void *pctx, const struct fb_pass *pass, uint64_t done)
{
	struct pool_ctx *c = pctx;

	CHECK(done <= pass->rows, "progress %llu past %u rows", (unsigned long long)done,
	      pass->rows);
	CHECK(done >= c->progress_last, "progress went backwards");
	c->progress_last = done;
	c->progress_calls++;
}

static void pooled(enum fb_schedule s, uint32_t rows, unsigned n, uint32_t chunk)
{
	/* One mapping, laid out as: the folded count, then hits[rows + 1], then
	 * owner[rows + 1]; mapped as uint64_t so every part is suitably aligned. */
	size_t words = 1 + (rows + 1 + 1) / 2 + (rows + 1);
	size_t sz = words * sizeof(uint64_t);
	uint64_t *mem = shared_malloc(sz);
	struct pool_ctx c = { 0 };
	struct fb_pool_options opt = { .workers = n, .schedule = s, .chunk = chunk };
	struct fb_pass pass = {
		.name = "test", .rows = rows, .ctx = &c, .partial_size = sizeof(uint64_t),
		.compute = rows_cb, .fold = fold_cb, .progress = progress_cb, .pctx = &c,
	};
	struct fb_pass_stats st;
	uint64_t sum_rows = 0, sum_chunks = 0;

	CHECK(mem != NULL, "shared_malloc");
	if (!mem)
		return;
	c.folded = mem;
	pass.state[0] = (struct fb_region){ c.folded, sizeof(*c.folded), false };
	c.hits = (uint32_t *)(void *)(mem + 1);
	c.owner = (pid_t *)(void *)(mem + 1 + (rows + 2) / 2);
	CHECK(fb_pool_run(&opt, &pass, &st) == 0, "pool run failed");
	for (uint32_t y = 0; y < rows; y++)
		CHECK(c.hits[y] == 1, "%s rows=%u workers=%u chunk=%u: row %u computed %u times",
		      fb_schedule_name(s), rows, n, chunk, y, c.hits[y]);
	CHECK(*c.folded == rows, "folded %llu rows of %u", (unsigned long long)*c.folded, rows);
	CHECK(c.progress_last == rows, "last progress %llu of %u",
	      (unsigned long long)c.progress_last, rows);
	CHECK(st.workers == n, "stats for %u workers", st.workers);
	for (unsigned w = 0; w < st.workers; w++) {
		sum_rows += st.worker[w].rows;
		sum_chunks += st.worker[w].chunks;
		if (s == FB_SCHED_CYCLIC && st.chunk == 1)
			for (uint32_t y = w; y < rows; y += n)
				CHECK(c.owner[y] == st.worker[w].pid, "cyclic row %u not by worker %u", y, w);
	}
	CHECK(sum_rows == rows, "workers report %llu rows of %u", (unsigned long long)sum_rows, rows);
	CHECK(rows == 0 || sum_chunks >= 1, "no chunks");
	fb_pass_stats_free(&st);
	shared_free(mem, sz);
}

int main(void)
{
	for (int s = 0; s < FB_SCHED_COUNT; s++)
		for (size_t h = 0; h < FB_ARRAY_LEN(heights); h++)
			for (size_t w = 0; w < FB_ARRAY_LEN(workers); w++)
				for (size_t c = 0; c < FB_ARRAY_LEN(chunks); c++)
					simulate((enum fb_schedule)s, heights[h], workers[w], chunks[c]);

	/* The default chunk leaves at least 16 chunks per worker when rows allow. */
	CHECK(fb_schedule_default_chunk(FB_SCHED_DYNAMIC, 1080, 2) == 33, "default chunk");
	CHECK(1080 / fb_schedule_default_chunk(FB_SCHED_DYNAMIC, 1080, 16) >= 16 * 16,
	      "16 chunks per worker");
	CHECK(fb_schedule_default_chunk(FB_SCHED_DYNAMIC, 5, 16) == 1, "chunk at least 1");
	CHECK(fb_schedule_default_chunk(FB_SCHED_CYCLIC, 1080, 2) == 1, "cyclic is row-cyclic");

	for (int s = 0; s < FB_SCHED_COUNT; s++) {
		pooled((enum fb_schedule)s, 97, 3, 0);		/* odd height */
		pooled((enum fb_schedule)s, 5, 16, 0);		/* fewer rows than workers */
		pooled((enum fb_schedule)s, 64, 4, 1000);	/* chunk larger than the image */
		pooled((enum fb_schedule)s, 1, 1, 1);
		pooled((enum fb_schedule)s, 1000, 7, 3);
	}
	pooled(FB_SCHED_DYNAMIC, 0, 2, 0);
	return check_exit("test_schedule");
}
