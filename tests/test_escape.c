/* test_escape.c: the mandelbrot and julia kernels' counts and totals equal the serial
 * reference, and their counts and pixels are identical at every worker count and
 * schedule. */
#include "runtime/compat.h"

#include "check.h"
#include "kernels/kernel.h"
#include "kernels/escape.h"
#include "reference.h"

#include <math.h>
#include <string.h>

static const unsigned worker_counts[] = { 1, 2, 3, 7, 16 };

struct view {
	const char *name;
	struct ref_view v;
	int coloring;
};

static const struct view views[] = {
	{ "whole set", { 160, 90, -0.65, 0, 4.3, 2.0, 200, false, 0, 0 }, MB_SMOOTH },
	{ "seahorse valley", { 97, 61, -0.743643887037151, 0.131825904205330, 0.02, 2.0, 600,
				 false, 0, 0 },
	  MB_HISTOGRAM },
	{ "odd size, bands", { 37, 23, -0.5, 0.3, 2.5, 2.0, 50, false, 0, 0 }, MB_BANDS },
	{ "big bailout", { 64, 64, -0.75, 0.1, 3.0, 100.0, 300, false, 0, 0 }, MB_SMOOTH },
	{ "one pixel", { 1, 1, 0, 0, 1.0, 2.0, 100, false, 0, 0 }, MB_HISTOGRAM },
	{ "one row", { 200, 1, -0.75, 0, 3.0, 2.0, 100, false, 0, 0 }, MB_SMOOTH },
	{ "julia dendrite", { 120, 80, 0, 0, 3.0, 2.0, 300, true, 0, 1 }, MB_SMOOTH },
	{ "julia rabbit", { 90, 90, 0, 0, 3.2, 2.0, 500, true, -0.123, 0.745 }, MB_HISTOGRAM },
	{ "julia zoom", { 77, 41, 0.1, -0.2, 0.5, 4.0, 400, true, -0.8, 0.156 }, MB_BANDS },
};

static uint64_t total(const struct fb_total *t, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].name, name) == 0)
			return t[i].u;
	CHECK(0, "no total called %s", name);
	return 0;
}

/* Runs the kernel's passes on the pool; returns the created state (or NULL). */
static void *run_kernel(const struct fb_kernel *k, const struct escape_params *p, uint32_t w,
			uint32_t h, unsigned workers, enum fb_schedule s)
{
	struct fb_pool_options opt = { .workers = workers, .schedule = s };
	struct fb_pass pass;
	void *state = NULL;

	if (k->create(&state, p, w, h, NULL) < 0) {
		CHECK(0, "create failed");
		return NULL;
	}
	for (unsigned i = 0; k->pass(state, i, &pass); i++) {
		struct fb_pass_stats st;

		if (fb_pool_run(&opt, &pass, &st) < 0) {
			CHECK(0, "pass %u failed", i);
			k->destroy(state);
			return NULL;
		}
		fb_pass_stats_free(&st);
		CHECK(k->after_pass(state, i) == 0, "after_pass %u", i);
	}
	return state;
}

static void test_view(const struct view *vw)
{
	const struct ref_view *v = &vw->v;
	const struct fb_kernel *k = fb_kernel_find(v->julia ? "julia" : "mandelbrot");
	size_t px = (size_t)v->w * v->h;
	uint32_t *ref = malloc(px * sizeof(*ref));
	uint8_t *first_rgb = NULL;
	struct ref_totals rt;
	struct escape_params p;
	unsigned runs = 0;

	ref_escape(v, ref, &rt);
	fb_kernel_defaults(k, &p);
	p.center[0] = v->cx;
	p.center[1] = v->cy;
	p.scale = v->scale;
	p.bailout = v->bailout;
	p.max_iter = v->max_iter;
	p.coloring = vw->coloring;
	p.c[0] = v->jr;
	p.c[1] = v->ji;
	for (size_t wi = 0; wi < FB_ARRAY_LEN(worker_counts); wi++) {
		for (int s = 0; s < FB_SCHED_COUNT; s++) {
			void *state = run_kernel(k, &p, v->w, v->h, worker_counts[wi],
						 (enum fb_schedule)s);
			struct fb_kernel_output out;
			struct fb_total t[8];
			size_t nt, diff = 0;

			if (!state)
				continue;
			k->output(state, &out);
			for (size_t i = 0; i < px; i++)
				diff += ((const uint32_t *)out.raw)[i] != ref[i];
			CHECK(diff == 0, "%s, -j %u %s: %zu of %zu counts differ from the reference",
			      vw->name, worker_counts[wi], fb_schedule_name((enum fb_schedule)s), diff, px);
			nt = k->totals(state, t, FB_ARRAY_LEN(t));
			CHECK(total(t, nt, "inside") == rt.inside, "%s: inside", vw->name);
			CHECK(total(t, nt, "escaped") == rt.escaped, "%s: escaped", vw->name);
			CHECK(total(t, nt, "iterations") == rt.iterations, "%s: iterations", vw->name);
			for (size_t i = 0; i < px; i++)
				if (ref[i] == 0 && memcmp(out.rgb + 3 * i, "\0\0\0", 3) != 0) {
					CHECK(0, "%s: inside pixel %zu is not black", vw->name, i);
					break;
				}
			if (!first_rgb) {
				first_rgb = malloc(px * 3);
				memcpy(first_rgb, out.rgb, px * 3);
			} else {
				CHECK(memcmp(first_rgb, out.rgb, px * 3) == 0,
				      "%s, -j %u %s: pixels differ from -j 1 static", vw->name,
				      worker_counts[wi], fb_schedule_name((enum fb_schedule)s));
			}
			k->destroy(state);
			runs++;
		}
	}
	printf("  %-16s %ux%u max_iter %u: %u runs match the reference (inside %llu)\n",
	       vw->name, v->w, v->h, v->max_iter, runs, (unsigned long long)rt.inside);
	free(first_rgb);
	free(ref);
}

int main(void)
{
	for (size_t i = 0; i < FB_ARRAY_LEN(views); i++)
		test_view(&views[i]);
	return check_exit("test_escape");
}
