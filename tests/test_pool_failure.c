/* test_pool_failure.c: a worker that dies fails the pass with a message naming it,
 * its rows and the signal; the other workers are stopped and nothing is left behind.
 */
#include "runtime/compat.h"

#include "check.h"
#include "runtime/error.h"
#include "runtime/pool.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char last_msg[512];

static void capture(const char *msg, void *ctx)
{
	(void)ctx;
	snprintf(last_msg, sizeof(last_msg), "%s", msg);
}

struct fault {
	uint32_t row;
	int how;	/* 0: SIGSEGV, 1: exit(3), 2: SIGKILL self */
};

static void rows_cb(void *vctx, uint32_t y0, uint32_t y1, void *partial)
{
	const struct fault *f = vctx;

	(void)partial;
	if (f->row >= y0 && f->row < y1) {
		if (f->how == 0) {
			/* A sanitizer build catches SIGSEGV itself; die as a plain build would. */
			signal(SIGSEGV, SIG_DFL);
			raise(SIGSEGV);
		}
		if (f->how == 1)
			_exit(3);
		kill(getpid(), SIGKILL);
	}
	usleep(2000);	/* the others are still busy when the fault happens */
}

static void expect_failure(enum fb_schedule s, unsigned workers, int how, const char *want)
{
	struct fault f = { .row = 40, .how = how };
	struct fb_pool_options opt = { .workers = workers, .schedule = s, .chunk = 8 };
	struct fb_pass pass = { .name = "test", .rows = 64, .ctx = &f, .compute = rows_cb };
	struct fb_pass_stats st;
	uint64_t t0 = fb_now_ns();
	int rc;

	last_msg[0] = '\0';
	rc = fb_pool_run(&opt, &pass, &st);
	CHECK(rc == -1, "pass with a dying worker returned %d", rc);
	CHECK(strstr(last_msg, want) != NULL, "message '%s' lacks '%s'", last_msg, want);
	{
		/* The chunk in hand when row 40 failed: its bounds depend on the schedule. */
		const char *r = strstr(last_msg, "(rows ");
		unsigned a = 0, b = 0;

		CHECK(r && sscanf(r, "(rows %u-%u)", &a, &b) == 2 && a <= 40 && 40 <= b,
		      "message '%s' does not name the rows around row 40", last_msg);
	}
	CHECK(strncmp(last_msg, "worker ", 7) == 0, "message '%s' does not name the worker",
	      last_msg);
	/* No zombies and no survivors: every child was reaped. */
	CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD, "a worker was left behind");
	CHECK(fb_now_ns() - t0 < 5000000000ull, "failure took %.1f s to notice",
	      (double)(fb_now_ns() - t0) / 1e9);
	printf("  %s, %u workers: %s\n", fb_schedule_name(s), workers, last_msg);
}

int main(void)
{
	fb_error_set_sink(capture, NULL);
	for (int s = 0; s < FB_SCHED_COUNT; s++) {
		expect_failure((enum fb_schedule)s, 4, 0, "killed by SIGSEGV");
		expect_failure((enum fb_schedule)s, 3, 1, "exited with status 3");
		expect_failure((enum fb_schedule)s, 2, 2, "killed by SIGKILL");
	}
	/* The static band of worker w is rows [64w/N, 64(w+1)/N): row 40 is worker 2's of 4. */
	expect_failure(FB_SCHED_STATIC, 4, 0, "worker 2 ");
	/* Bad options are refused before any fork. */
	{
		struct fault f = { .row = 1000 };
		struct fb_pool_options opt = { .workers = 0, .schedule = FB_SCHED_DYNAMIC };
		struct fb_pass pass = { .name = "t", .rows = 4, .ctx = &f, .compute = rows_cb };
		struct fb_pass_stats st;

		CHECK(fb_pool_run(&opt, &pass, &st) == -1, "0 workers accepted");
		CHECK(strstr(last_msg, "worker count 0") != NULL, "message '%s'", last_msg);
	}
	return check_exit("test_pool_failure");
}
