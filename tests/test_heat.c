/* test_heat.c: the heat kernel's field equals a plain serial reference bit for bit
 * after many steps, at -j 1, 2, 3, 7 and every schedule (workers kept across steps,
 * meeting at the process barrier), and a tolerance stops it at the same step. */
#include "runtime/compat.h"

#include "check.h"
#include "io/config.h"
#include "kernels/kernel.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W 37
#define H 23

/* The reference: the spec's update, written plainly, with the same held cells. */
static unsigned reference(double *u, unsigned steps, double alpha, double tol, double *residual)
{
	static double v[W * H];
	bool fixed[W * H];
	unsigned s;

	for (int i = 0; i < H; i++)
		for (int j = 0; j < W; j++) {
			double dx = j - 10.0, dy = i - 11.0;

			fixed[i * W + j] = i == 0 || i == H - 1 || j == 0 || j == W - 1 ||
					   dx * dx + dy * dy <= 3.0 * 3.0;
			u[i * W + j] = i == 0 ? 5 : i == H - 1 ? -2 : j == 0 ? 1 : j == W - 1 ? 3 : 0.5;
			if (dx * dx + dy * dy <= 9)
				u[i * W + j] = 40;
		}
	for (s = 0; s < steps;) {
		double most = 0;

		for (int c = 0; c < W * H; c++) {
			if (fixed[c]) {
				v[c] = u[c];
				continue;
			}
			v[c] = u[c] + alpha * (u[c - W] + u[c + W] + u[c - 1] + u[c + 1] - 4 * u[c]);
			most = fmax(most, fabs(v[c] - u[c]));
		}
		memcpy(u, v, sizeof(v));
		s++;
		*residual = most;
		if (tol > 0 && most < tol)
			break;
	}
	return s;
}

static void compare(unsigned steps, double tol)
{
	static double ref[W * H];
	double residual = 0;
	unsigned ref_steps = reference(ref, steps, 0.2, tol, &residual);
	char text[512];
	struct fb_batch b;

	snprintf(text, sizeof(text),
		 "{\"kernel\":\"heat\",\"width\":%d,\"height\":%d,\"params\":{\"alpha\":0.2,"
		 "\"steps\":%u,\"tolerance\":%g,\"initial\":0.5,\"boundary\":{\"top\":5,"
		 "\"bottom\":-2,\"left\":1,\"right\":3},\"sources\":[{\"x\":10,\"y\":11,"
		 "\"radius\":3,\"value\":40}]}}", W, H, steps, tol);
	if (fb_config_parse("test", text, strlen(text), NULL, 0, &b) < 0) {
		CHECK(0, "config refused");
		return;
	}
	for (unsigned w = 1; w <= 7; w += (w == 1 ? 1 : w == 2 ? 1 : 4)) {
		for (int sc = 0; sc < FB_SCHED_COUNT; sc++) {
			const struct fb_kernel *k = b.job[0].kernel;
			struct fb_pool_options opt = { .workers = w, .schedule = (enum fb_schedule)sc };
			struct fb_kernel_output out;
			struct fb_total t[8];
			struct fb_pass pass;
			void *state = NULL;
			size_t nt;

			if (k->create(&state, b.job[0].params, W, H, NULL) < 0) {
				CHECK(0, "create failed");
				continue;
			}
			for (unsigned i = 0; k->pass(state, i, &pass); i++) {
				struct fb_pass_stats st;

				CHECK(fb_pool_run(&opt, &pass, &st) == 0, "pass %u failed", i);
				fb_pass_stats_free(&st);
				k->after_pass(state, i);
			}
			k->output(state, &out);
			CHECK(memcmp(out.raw, ref, sizeof(ref)) == 0,
			      "%u steps, tolerance %g, -j %u %s: field differs from the reference",
			      steps, tol, w, fb_schedule_name((enum fb_schedule)sc));
			nt = k->totals(state, t, 8);
			CHECK(nt >= 2 && t[0].u == ref_steps && t[1].d == residual,
			      "-j %u: %llu steps, residual %g; reference %u, %g", w,
			      (unsigned long long)t[0].u, t[1].d, ref_steps, residual);
			k->destroy(state);
		}
	}
	printf("  %u steps, tolerance %g: stopped after %u steps, equal bit for bit\n", steps, tol,
	       ref_steps);
	fb_batch_free(&b);
}

int main(void)
{
	compare(300, 0);
	compare(5000, 1e-3);	/* stops early, at the same step for every -j */
	compare(1, 0);
	return check_exit("test_heat");
}
